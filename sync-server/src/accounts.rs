//! The account logic above storage: passwords are hashed and checked here
//! (on the blocking pool, in reused memory: see [`crate::password`]), and
//! fresh tokens, keys and invite codes are made here and stored only as
//! their SHA-256, so a backend never sees a secret.

use porchlight_api::apikeys::{ApiKeyInfo, KEY_PREFIX, Scope};

use crate::store::{Created, Identity, Role, Storage, StoreError, sha256_hex};

fn random_token(bytes: usize) -> String {
    porchlight_model::ids::random_hex(bytes)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Internal(format!("hashing task: {e}")))
}

fn hash_error(e: crate::password::HashError) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// The hash an invite code is stored under (as typed, trimmed).
pub fn invite_hash(code: &str) -> String {
    sha256_hex(code.trim().as_bytes())
}

/// Creates an account (hashing the password), redeeming `invite` in the
/// same transaction.
pub async fn sign_up(
    store: &dyn Storage,
    email: &str,
    name: &str,
    password: &str,
    invite: Option<&str>,
) -> Result<Created, StoreError> {
    let pw = password.to_string();
    let hash = blocking(move || crate::password::hash(&pw))
        .await?
        .map_err(hash_error)?;
    store
        .create_account(email, name, &hash, invite.map(invite_hash).as_deref())
        .await
}

/// The account whose password `password` is; `None` for a wrong email or
/// password (an unknown email costs the same time as a real check).
pub async fn check_password(
    store: &dyn Storage,
    email: &str,
    password: &str,
) -> Result<Option<i64>, StoreError> {
    let stored = store.password_of(email).await?;
    let pw = password.to_string();
    blocking(move || match stored {
        None => {
            crate::password::pretend(&pw);
            Ok(None)
        }
        Some((account, hash)) => Ok(crate::password::verify(&pw, &hash)
            .map_err(hash_error)?
            .then_some(account)),
    })
    .await?
}

/// Checks a password and makes a device token: `(token, device, account)`,
/// or `None` for a wrong email or password.
pub async fn log_in(
    store: &dyn Storage,
    email: &str,
    password: &str,
    device: &str,
    max_devices: u32,
    token_days: u32,
) -> Result<Option<(String, i64, i64)>, StoreError> {
    let Some(account) = check_password(store, email, password).await? else {
        return Ok(None);
    };
    let token = random_token(32);
    let id = store
        .add_device(
            account,
            device,
            &sha256_hex(token.as_bytes()),
            max_devices,
            token_days,
        )
        .await?;
    Ok(Some((token, id, account)))
}

/// The identity behind a device token or an API key.
pub async fn identity(
    store: &dyn Storage,
    token: &str,
    token_days: u32,
) -> Result<Option<Identity>, StoreError> {
    let hash = sha256_hex(token.as_bytes());
    if token.starts_with(KEY_PREFIX) {
        store.key_identity(&hash).await
    } else {
        store.device_identity(&hash, token_days).await
    }
}

/// Changes the password after checking the current one and signs every
/// other device out: the devices revoked, or `None` for a wrong password.
pub async fn change_password(
    store: &dyn Storage,
    account: i64,
    keep_device: i64,
    current: &str,
    new: &str,
) -> Result<Option<Vec<i64>>, StoreError> {
    let Some(stored) = store.password_of_account(account).await? else {
        return Ok(None);
    };
    let (current, new) = (current.to_string(), new.to_string());
    let hash = blocking(move || -> Result<Option<String>, StoreError> {
        if !crate::password::verify(&current, &stored).map_err(hash_error)? {
            return Ok(None);
        }
        crate::password::hash(&new).map(Some).map_err(hash_error)
    })
    .await??;
    match hash {
        Some(hash) => Ok(Some(store.set_password(account, &hash, keep_device).await?)),
        None => Ok(None),
    }
}

/// Deletes an account after checking its password: the devices signed
/// out, or `None` for a wrong password.
pub async fn delete_account(
    store: &dyn Storage,
    account: i64,
    password: &str,
) -> Result<Option<Vec<i64>>, StoreError> {
    let Some(stored) = store.password_of_account(account).await? else {
        return Ok(None);
    };
    let password = password.to_string();
    let unusable = blocking(move || -> Result<Option<String>, StoreError> {
        if !crate::password::verify(&password, &stored).map_err(hash_error)? {
            return Ok(None);
        }
        crate::password::hash(&random_token(32))
            .map(Some)
            .map_err(hash_error)
    })
    .await??;
    match unusable {
        Some(hash) => Ok(Some(store.delete_account(account, &hash).await?)),
        None => Ok(None),
    }
}

/// A new invite code (returned once; stored hashed).
pub async fn create_invite(
    store: &dyn Storage,
    team: i64,
    role: Role,
    expires_at: i64,
    by: i64,
) -> Result<String, StoreError> {
    let code = random_token(12);
    store
        .create_invite(team, role, expires_at, by, &invite_hash(&code))
        .await?;
    Ok(code)
}

/// Redeems an invite code for a signed-in account.
pub async fn join(
    store: &dyn Storage,
    account: i64,
    code: &str,
) -> Result<Option<(i64, Role)>, StoreError> {
    store.join(account, &invite_hash(code)).await
}

/// A new API key for `team`: the key (shown once) and its record.
pub async fn create_api_key(
    store: &dyn Storage,
    team: i64,
    by: i64,
    name: &str,
    scope: Scope,
    expires_at: Option<i64>,
) -> Result<(String, ApiKeyInfo), StoreError> {
    let key = format!("{KEY_PREFIX}{}", random_token(32));
    let info = store
        .create_api_key(
            team,
            by,
            name,
            scope,
            &sha256_hex(key.as_bytes()),
            expires_at,
        )
        .await?;
    Ok((key, info))
}
