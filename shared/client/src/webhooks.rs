//! Typed calls for a team's webhooks (owners and admins).

use porchlight_api::webhooks::{CreateWebhook, CreatedWebhook, DeliveryInfo, WebhookInfo};

use super::{Credentials, Method, Result, call, get};

/// Adds an endpoint; the secret is in the answer and nowhere else.
pub async fn create(creds: &Credentials, team: i64, req: &CreateWebhook) -> Result<CreatedWebhook> {
    let path = format!("/api/teams/{team}/webhooks");
    call(
        Method::POST,
        &creds.endpoint()?,
        &path,
        Some(&creds.token),
        Some(req),
    )
    .await
}

pub async fn list(creds: &Credentials, team: i64) -> Result<Vec<WebhookInfo>> {
    let path = format!("/api/teams/{team}/webhooks");
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}

pub async fn remove(creds: &Credentials, team: i64, id: i64) -> Result<()> {
    let path = format!("/api/teams/{team}/webhooks/{id}");
    let _: bool = get(
        Method::DELETE,
        &creds.endpoint()?,
        &path,
        Some(&creds.token),
    )
    .await?;
    Ok(())
}

/// Sends a test event to endpoint `id`; the event's id.
pub async fn test(creds: &Credentials, team: i64, id: i64) -> Result<String> {
    let path = format!("/api/teams/{team}/webhooks/{id}/test");
    get(Method::POST, &creds.endpoint()?, &path, Some(&creds.token)).await
}

/// Endpoint `id`'s deliveries, newest first.
pub async fn log(creds: &Credentials, team: i64, id: i64, limit: i64) -> Result<Vec<DeliveryInfo>> {
    let path = format!("/api/teams/{team}/webhooks/{id}/deliveries?limit={limit}");
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}
