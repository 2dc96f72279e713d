//! Password hashing: Argon2id with its parameters stated, on reused memory.
//!
//! Each hash or check needs 19 MiB of working memory. Allocating it fresh
//! each time let glibc keep a freed 19 MiB block in every thread's arena
//! (its mmap threshold rises to the size of the first block freed), so a
//! login flood spread over the blocking pool's threads took the relay past
//! 800 MiB with only two checks ever running at once. The buffers are kept
//! in a small pool instead: the handlers bound how many checks run at once
//! (`limits.password_hashing`), so the pool holds at most that many.

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;

/// Argon2id with the parameters stated: 19 MiB of memory, 2 passes, one
/// lane (OWASP's first recommendation).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

/// Working memory kept for reuse (at most this many buffers).
const POOL_MAX: usize = 64;
static POOL: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// What went wrong hashing (never a wrong password: that is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
#[error("password hashing: {0}")]
pub struct HashError(String);

fn params() -> Result<Params, HashError> {
    Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| HashError(format!("parameters: {e}")))
}

/// Runs `f` on `blocks` blocks of working memory from the pool.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let mut memory = POOL
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let out = f(&mut memory[..blocks]);
    if let Ok(mut pool) = POOL.lock()
        && pool.len() < POOL_MAX
    {
        pool.push(memory);
    }
    out
}

fn raw(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    with_memory(params.block_count(), |memory| {
        argon
            .hash_password_into_with_memory(password, salt, out, memory)
            .map_err(|e| HashError(e.to_string()))
    })
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of `password` with a
/// fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let params = params()?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; 32];
    raw(&argon, &params, password.as_bytes(), &salt, &mut out)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(format!("salt: {e}")))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| HashError(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| HashError(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (compared in
/// constant time). A stored string that is not an Argon2 hash is an error.
pub fn verify(password: &str, stored: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|e| HashError(format!("stored hash: {e}")))?;
    let algorithm = Algorithm::try_from(parsed.algorithm)
        .map_err(|e| HashError(format!("stored hash: {e}")))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| HashError(format!("stored hash: {e}")))?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|e| HashError(format!("stored hash: {e}")))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(HashError("stored hash has no salt or no output".into()));
    };
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| HashError(format!("stored salt: {e}")))?;
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    raw(&argon, &params, password.as_bytes(), salt, &mut out)?;
    // Output's equality is constant-time.
    Ok(Output::new(&out).map_err(|e| HashError(e.to_string()))? == expected)
}

/// Spends the time and memory of a real check, for an unknown account, so
/// timing does not tell which accounts exist.
pub fn pretend(password: &str) {
    let _ = hash(password);
}

#[cfg(test)]
mod tests {
    use argon2::PasswordVerifier;

    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_reads_as_standard_argon2id() {
        let stored = hash("correct horse").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse", &stored).expect("verify"));
        assert!(!verify("correct horsf", &stored).expect("verify"));
        // The argon2 crate's own verifier agrees, both ways.
        let parsed = PasswordHash::new(&stored).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        let theirs = argon2::PasswordHasher::hash_password(
            &Argon2::default(),
            b"battery staple",
            &SaltString::encode_b64(b"0123456789abcdef").expect("salt"),
        )
        .expect("theirs")
        .to_string();
        assert!(verify("battery staple", &theirs).expect("verify theirs"));
        assert!(verify("x", "not a hash").is_err());
    }

    #[test]
    fn memory_is_reused_not_allocated_per_check() {
        let stored = hash("pw").expect("hash");
        for _ in 0..3 {
            verify("pw", &stored).expect("verify");
        }
        let pooled = POOL.lock().map(|p| p.len()).unwrap_or(0);
        assert!((1..=POOL_MAX).contains(&pooled), "{pooled}");
    }
}
