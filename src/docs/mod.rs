//! The OpenAPI document and the two documentation UIs, all served by the
//! server itself: Swagger UI from `utoipa-swagger-ui`'s vendored bundle and
//! ReDoc from the bundle in `assets/`, so the docs load with no network.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi as _};
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

mod middleware;
mod rules;

pub use middleware::describe_middleware;

/// The document's static part; paths are added by the routers (`routes!`),
/// so the document cannot drift from what is served.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "mock-auth-server",
        description = include_str!("../../docs/openapi-description.md"),
        license(name = "MIT"),
    ),
    modifiers(&BearerScheme),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "auth", description = "Register, log in, refresh, log out, who am I"),
        (name = "dev", description = "Development helpers: users list and reset, metrics (off with ENABLE_DEV_ENDPOINTS=false)"),
        (name = "health", description = "Health check and Prometheus metrics"),
        (name = "discovery", description = "Signing keys (JWKS) and OpenID Connect / RFC 8414 discovery"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
        // OAuth (issue 10): Swagger UI's Authorize button signs in through
        // our own login page with the code flow and PKCE.
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("oauth2", oauth2_scheme());
    }
}

/// Authorization code with PKCE against our own `/oauth2/*` URLs.
fn oauth2_scheme() -> SecurityScheme {
    use utoipa::openapi::security::{AuthorizationCode, Flow, OAuth2, Scopes};
    let scopes = Scopes::from_iter([
        ("openid", "An ID token"),
        ("profile", "The name"),
        ("email", "The email"),
        ("roles", "The roles"),
        ("offline_access", "A refresh token"),
    ]);
    let flow = AuthorizationCode::new("/oauth2/authorize", "/oauth2/token", scopes);
    SecurityScheme::OAuth2(OAuth2::new([Flow::AuthorizationCode(flow)]))
}

/// The base document, before the routers add their paths.
pub fn base_document() -> OpenApi {
    ApiDoc::openapi()
}

/// `/docs` (Swagger UI), `/redoc` and `/openapi.json`.
pub fn router(document: OpenApi) -> Router<AppState> {
    let config = utoipa_swagger_ui::Config::from("/openapi.json")
        // Swagger UI would otherwise send the document to an online validator.
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(true);
    // Issue 10: the Authorize button's client (any id works without a clients file).
    let oauth = utoipa_swagger_ui::oauth::Config::new()
        .client_id("swagger-ui")
        .scopes(vec![
            "openid".into(),
            "profile".into(),
            "email".into(),
            "roles".into(),
        ])
        .use_pkce_with_authorization_code_grant(true);
    let swagger = SwaggerUi::new("/docs")
        .url("/openapi.json", document)
        .config(config)
        .oauth(oauth);
    Router::new()
        .merge(swagger)
        .route("/redoc", get(redoc_page))
        .route("/redoc/redoc.standalone.js", get(redoc_script))
}

async fn redoc_page() -> Html<&'static str> {
    Html(REDOC_PAGE)
}

async fn redoc_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        REDOC_JS.as_str(),
    )
}

/// The ReDoc bundle as shipped upstream (MIT); see [`REDOC_JS`] for the one change.
const REDOC_BUNDLE: &str = include_str!("../../assets/redoc.standalone.js");

/// The only URL the bundle fetches by itself: the sidebar logo on Redocly's CDN.
const REDOC_CDN_LOGO: &str = "https://cdn.redoc.ly/redoc/logo-mini.svg";

/// A plain stand-in for that logo, inline, so no request leaves the machine.
const LOCAL_LOGO: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%23888'/%3E%3C/svg%3E";

/// The bundle served at `/redoc/redoc.standalone.js`: upstream's file with
/// the CDN logo swapped for [`LOCAL_LOGO`] at first use, which keeps the
/// vendored file byte-for-byte upstream's and the docs free of the CDN.
static REDOC_JS: LazyLock<String> =
    LazyLock::new(|| REDOC_BUNDLE.replace(REDOC_CDN_LOGO, LOCAL_LOGO));

const REDOC_PAGE: &str = r#"<!DOCTYPE html>
<html>
  <head>
    <title>mock-auth-server - ReDoc</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_redoc_bundle_fetches_nothing_from_a_cdn() {
        assert!(
            REDOC_BUNDLE.contains(REDOC_CDN_LOGO),
            "upstream moved the logo"
        );
        assert!(!REDOC_JS.contains("cdn.redoc.ly"));
        assert!(REDOC_JS.contains(LOCAL_LOGO));
    }
}
