//! Fractional positions: order keys that always have room between them.
//!
//! Columns, tasks and checklist items are ordered by a string key rather than
//! by list index, so two people reordering the same column concurrently each
//! change one field and the merge keeps both moves (a list move would be a
//! delete plus an insert, and could duplicate the item). Keys use the digits
//! `0-9a-z`, compare as plain strings and never end in `0`, so there is always
//! a key between two others. Equal keys (two concurrent inserts at one spot)
//! are tie-broken by id wherever items are sorted.

const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const BASE: usize = DIGITS.len();

fn digit(c: u8) -> usize {
    DIGITS
        .iter()
        .position(|d| *d == c)
        .unwrap_or(if c < b'0' { 0 } else { BASE - 1 })
}

/// A key that sorts after `before` (or first) and before `after` (or last).
/// When the bounds are out of order — possible after concurrent edits — the
/// key goes right after `before`.
pub fn between(before: Option<&str>, after: Option<&str>) -> String {
    let a = before.unwrap_or("").as_bytes();
    let b = after.map(str::as_bytes).filter(|b| a < *b && !b.is_empty());
    let key = match b {
        None if !a.is_empty() => next(a),
        _ => midpoint(a, b),
    };
    String::from_utf8(key).unwrap_or_else(|_| "i".to_string())
}

/// `count` keys in increasing order, spread out for a fresh list.
pub fn sequence(count: usize) -> Vec<String> {
    let mut keys: Vec<String> = Vec::with_capacity(count);
    for _ in 0..count {
        let next = between(keys.last().map(String::as_str), None);
        keys.push(next);
    }
    keys
}

/// Digits an overflowing key grows by at most (see [`next`]).
const GROW: usize = 4;

/// The key after `a` with nothing above it: `a` counted up by one as a
/// base-36 number (carrying over `z`s; a result ending in `0` takes a `1`
/// there instead). When `a` is all `z`s there is no key of its length
/// above it, so it grows by `0…01`, as many digits as it has (at most
/// [`GROW`]), which leaves room for 36^m more keys. So a column appended to
/// 10,000 times keeps keys of 8 characters. (Halving the room above each
/// time, as [`midpoint`] does, grew keys a character every six appends:
/// 1,700 characters after 10,000, in every task's document entry and row.)
fn next(a: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    for i in (0..out.len()).rev() {
        match DIGITS.iter().position(|d| *d == out[i]) {
            Some(d) if d + 1 < BASE => {
                out[i] = DIGITS[d + 1];
                let last = out.len() - 1;
                for c in &mut out[i + 1..] {
                    *c = b'0';
                }
                if out[last] == b'0' {
                    out[last] = b'1';
                }
                return out;
            }
            // `z`: carry on to the digit before.
            Some(_) => {}
            // Not a digit (a key written by something else): grow instead.
            None => break,
        }
    }
    let m = a.len().clamp(1, GROW);
    out.extend(std::iter::repeat_n(b'0', m - 1));
    out.push(b'1');
    out
}

fn midpoint(a: &[u8], b: Option<&[u8]>) -> Vec<u8> {
    if let Some(b) = b {
        let mut n = 0;
        while n < b.len() && a.get(n).copied().unwrap_or(b'0') == b[n] {
            n += 1;
        }
        if n > 0 {
            let mut out = b[..n].to_vec();
            let rest_b = &b[n..];
            if rest_b.is_empty() {
                // `b` is a prefix of `a` padded with zeros: no room; go after `a`.
                out = a.to_vec();
                out.extend(midpoint(&[], None));
                return out;
            }
            out.extend(midpoint(a.get(n..).unwrap_or(&[]), Some(rest_b)));
            return out;
        }
    }
    let da = a.first().map_or(0, |c| digit(*c));
    let db = b.map_or(BASE, |b| digit(b[0]));
    if db > da + 1 {
        return vec![DIGITS[(da + db) / 2]];
    }
    if let Some(b) = b.filter(|b| b.len() > 1) {
        return vec![b[0]];
    }
    let mut out = vec![DIGITS[da]];
    out.extend(midpoint(a.get(1..).unwrap_or(&[]), None));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_fall_between_their_bounds() {
        assert_eq!(between(None, None), "i");
        let a = between(None, None);
        let b = between(Some(&a), None);
        let m = between(Some(&a), Some(&b));
        assert!(a < m && m < b, "{a} {m} {b}");
        let first = between(None, Some(&a));
        assert!(first < a);
    }

    #[test]
    fn appending_ten_thousand_times_keeps_keys_short() {
        let mut last = between(None, None);
        for n in 0..10_000 {
            let next = between(Some(&last), None);
            assert!(next > last, "{next} !> {last} at {n}");
            assert!(!next.ends_with('0'), "{next}");
            last = next;
        }
        assert!(last.len() <= 8, "{last}");
        // A key made by the old halving (a run of z's) grows by at most
        // four digits however often it is appended to.
        let mut last = format!("{}i", "z".repeat(1_000));
        for _ in 0..10_000 {
            let next = between(Some(&last), None);
            assert!(next > last);
            last = next;
        }
        assert!(last.len() <= 1_005, "{}", last.len());
        // Room stays between neighbours.
        let (a, b) = (between(None, None), between(Some("i"), None));
        let m = between(Some(&a), Some(&b));
        assert!(a < m && m < b, "{a} {m} {b}");
    }

    #[test]
    fn repeated_inserts_at_the_front_keep_working() {
        let mut head = between(None, None);
        for _ in 0..500 {
            let next = between(None, Some(&head));
            assert!(next < head, "{next} !< {head}");
            assert!(!next.ends_with('0'));
            head = next;
        }
    }

    #[test]
    fn out_of_order_or_equal_bounds_do_not_panic() {
        let k = between(Some("m"), Some("m"));
        assert!(k.as_str() > "m");
        let k = between(Some("z"), Some("a"));
        assert!(k.as_str() > "z");
        let k = between(Some("\u{1F600}"), None);
        assert!(!k.is_empty());
    }

    #[test]
    fn sequence_is_sorted() {
        let keys = sequence(50);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    proptest! {
        #[test]
        fn random_inserts_stay_strictly_ordered(choices in proptest::collection::vec(0usize..1000, 1..200)) {
            let mut keys: Vec<String> = vec![];
            for choice in choices {
                let i = if keys.is_empty() { 0 } else { choice % (keys.len() + 1) };
                let before = if i == 0 { None } else { Some(keys[i - 1].as_str()) };
                let after = keys.get(i).map(String::as_str);
                let key = between(before, after);
                if let Some(b) = before { prop_assert!(b < key.as_str()); }
                if let Some(a) = after { prop_assert!(key.as_str() < a); }
                keys.insert(i, key);
            }
        }
    }
}
