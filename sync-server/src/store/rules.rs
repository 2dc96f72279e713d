//! The rules both storage backends enforce inside their transactions,
//! written once: who may change whose membership, the last owner, and the
//! quotas, each refusal worded for the person who hit it.

use super::{MemberChange, Role, StoreError};

/// Checks `actor` (role `mine`) changing `target` (role `theirs`) in a team
/// with `owners` owners: only owners and admins act on others (anyone may
/// leave); nobody acts on a member of equal or higher rank, or gives a
/// rank at or above their own, unless they are an owner; the last owner
/// can neither leave nor be demoted.
pub fn member_change(
    mine: Role,
    theirs: Role,
    leaving: bool,
    change: MemberChange,
    owners: i64,
) -> Result<(), StoreError> {
    if !leaving {
        if !mine.manages() {
            return Err(StoreError::Forbidden(
                "only a team owner or admin can do that".into(),
            ));
        }
        let too_high = |r: Role| r.rank() >= mine.rank();
        if mine != Role::Owner
            && (too_high(theirs) || matches!(change, MemberChange::Role(r) if too_high(r)))
        {
            return Err(StoreError::Forbidden(format!(
                "an {} can only change members below their own rank; ask an owner",
                mine.as_str()
            )));
        }
    }
    let demotes_owner = theirs == Role::Owner && !matches!(change, MemberChange::Role(Role::Owner));
    if demotes_owner && owners <= 1 {
        return Err(StoreError::Forbidden(
            "the team's last owner cannot leave or be demoted: hand ownership to another member first (porchlight team transfer)".into(),
        ));
    }
    Ok(())
}

/// Ownership is handed over by an owner only.
pub fn transfer(owner_role: Option<Role>, target_in_team: bool) -> Result<(), StoreError> {
    match owner_role {
        None => return Err(StoreError::NotFound("no such team".into())),
        Some(Role::Owner) => {}
        Some(_) => {
            return Err(StoreError::Forbidden(
                "only an owner can hand ownership over".into(),
            ));
        }
    }
    if !target_in_team {
        return Err(StoreError::NotFound(
            "that account is not in the team".into(),
        ));
    }
    Ok(())
}

pub fn teams_quota(owned: i64, max: u32) -> Result<(), StoreError> {
    if owned >= i64::from(max) {
        return Err(StoreError::Quota(format!(
            "this account already owns {owned} teams (the relay allows {max}): hand one over or ask the relay's admin to raise teams_per_account"
        )));
    }
    Ok(())
}

pub fn devices_quota(live: i64, max: u32) -> Result<(), StoreError> {
    if live >= i64::from(max) {
        return Err(StoreError::Quota(format!(
            "this account already has {live} signed-in devices (the relay allows {max}): sign one out with `porchlight devices revoke ID` or in Settings, then sign in again"
        )));
    }
    Ok(())
}

pub fn documents_quota(count: i64, max: u32) -> Result<(), StoreError> {
    if count >= i64::from(max) {
        return Err(StoreError::Quota(format!(
            "the team already has {count} documents (the relay allows {max}): delete boards it no longer needs, or ask the relay's admin to raise documents_per_team"
        )));
    }
    Ok(())
}

/// A device token unused since before this instant has expired.
pub fn live_since(now_ms: i64, token_days: u32) -> i64 {
    now_ms - i64::from(token_days) * 86_400_000
}

/// Token use is written at most this often (ms): a sliding expiry needs no
/// write per request.
pub const TOUCH_EVERY_MS: i64 = 3_600_000;

/// Whether an account may be deleted, given the teams it owns as (name,
/// owners, members): not while it is the last owner of a team that has
/// other members (the team would have nobody to manage it).
pub fn may_delete_account(owned: &[(String, i64, i64)]) -> Result<(), StoreError> {
    if let Some((name, _, _)) = owned
        .iter()
        .find(|(_, owners, members)| *owners <= 1 && *members > 1)
    {
        return Err(StoreError::Forbidden(format!(
            "you are the last owner of the team '{name}': hand it over first (porchlight team transfer), then delete the account"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_cannot_touch_an_owner_or_make_one() {
        let e = member_change(Role::Admin, Role::Owner, false, MemberChange::Remove, 2)
            .expect_err("owner");
        assert!(e.to_string().contains("below their own rank"), "{e}");
        member_change(
            Role::Admin,
            Role::Member,
            false,
            MemberChange::Role(Role::Owner),
            2,
        )
        .expect_err("make owner");
        member_change(
            Role::Admin,
            Role::Member,
            false,
            MemberChange::Role(Role::Viewer),
            1,
        )
        .expect("demote a member");
        member_change(Role::Member, Role::Viewer, false, MemberChange::Remove, 1)
            .expect_err("members manage nobody");
        member_change(Role::Viewer, Role::Viewer, true, MemberChange::Remove, 1)
            .expect("anyone may leave");
    }

    #[test]
    fn the_last_owner_stays() {
        let e = member_change(Role::Owner, Role::Owner, true, MemberChange::Remove, 1)
            .expect_err("last");
        assert!(e.to_string().contains("team transfer"), "{e}");
        member_change(Role::Owner, Role::Owner, true, MemberChange::Remove, 2).expect("one of two");
        member_change(
            Role::Owner,
            Role::Owner,
            false,
            MemberChange::Role(Role::Admin),
            1,
        )
        .expect_err("demote the last");
    }

    #[test]
    fn quotas_name_their_setting() {
        assert!(
            teams_quota(5, 5)
                .expect_err("q")
                .to_string()
                .contains("teams_per_account")
        );
        assert!(
            devices_quota(2, 2)
                .expect_err("q")
                .to_string()
                .contains("devices revoke")
        );
        assert!(
            documents_quota(9, 9)
                .expect_err("q")
                .to_string()
                .contains("documents_per_team")
        );
        teams_quota(4, 5).expect("under");
    }
}
