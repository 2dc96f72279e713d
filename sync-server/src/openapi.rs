//! The OpenAPI document. The router and the document are built from the
//! same list of handlers (utoipa-axum's `routes!`), each documented by its
//! `#[utoipa::path]`, with the porchlight-api types as schemas, so no route
//! can be served undocumented or documented unserved.

use std::sync::Arc;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Porchlight relay",
        description = "Accounts, teams and the document registry of a Porchlight sync relay. \
            Sync itself is the automerge-repo WebSocket protocol at /sync."
    ),
    modifiers(&DeviceToken),
    tags(
        (name = "accounts", description = "Sign-up, login and device tokens"),
        (name = "teams", description = "Teams, members, invites and their documents"),
        (name = "sync", description = "The automerge-repo WebSocket"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// The bearer scheme the `security(("device" = []))` of the handlers names.
struct DeviceToken;

impl Modify for DeviceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A device token from POST /api/login, or a team API key (plk_…) on the routes that take one (sync, a team's members and documents). /sync also accepts the token as the subprotocol porchlight.token.<TOKEN> or as ?token=.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The finished document as served (JSON), shared with the handler.
#[derive(Debug, Clone)]
pub struct Spec(pub Arc<str>);
