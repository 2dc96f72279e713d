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
    components(schemas(porchlight_api::webhooks::WebhookEvent)),
    tags(
        (name = "accounts", description = "Sign-up, login and device tokens"),
        (name = "teams", description = "Teams, members, invites and their documents"),
        (name = "tasks", description = "Boards and tasks for integrations (errors as RFC 9457 problem details)"),
        (name = "webhooks", description = "Signed event deliveries to a team's endpoints (Standard Webhooks)"),
        (name = "calendar", description = "Calendar feeds (RFC 5545) of the team's tasks"),
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

/// The answers every route can give, added where a handler does not list
/// them: 400 for input it cannot read (a path or query that does not
/// parse), 401 where a token is needed, 413 and 415 where a JSON body is
/// taken. All carry the relay's error body. Applied to the finished
/// document (the routes are merged in after `ApiDoc`'s own modifiers run).
#[derive(Debug)]
pub struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        // The REST API for tasks answers errors as RFC 9457 problem details.
        let error = |text: &str, problem: bool| {
            let (content, schema) = if problem {
                ("application/problem+json", "Problem")
            } else {
                ("application/json", "ErrorBody")
            };
            ResponseBuilder::new()
                .description(text)
                .content(
                    content,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let problem = path.starts_with("/api/v1/");
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for op in operations.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = op.request_body.is_some();
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let answers = &mut op.responses.responses;
                let mut add = |code: &str, text: &str| {
                    answers
                        .entry(code.to_string())
                        .or_insert_with(|| error(text, problem).into());
                };
                if has_body || has_params {
                    add(
                        "400",
                        "The input cannot be read (the message says what is wrong)",
                    );
                }
                if secured {
                    add("401", "No valid token");
                }
                if has_body {
                    add("413", "The body is too large");
                    add(
                        "415",
                        "The body is not JSON (Content-Type: application/json)",
                    );
                }
            }
        }
    }
}

/// The finished document as served (JSON), shared with the handler.
#[derive(Debug, Clone)]
pub struct Spec(pub Arc<str>);
