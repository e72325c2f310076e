//! The OpenAPI document and the two documentation UIs, all served by the
//! server itself: Swagger UI from `utoipa-swagger-ui`'s vendored bundle and
//! ReDoc from the bundle in `assets/`, so the docs load with no network.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

/// The document's static part; paths are added by the routers (`routes!`),
/// so the document cannot drift from what is served.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "mock-auth-server",
        description = include_str!("../docs/openapi-description.md"),
        license(name = "MIT"),
    ),
    modifiers(&BearerScheme),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "auth", description = "Register, log in, refresh, log out, who am I"),
        (name = "dev", description = "Development helpers: users list and reset, metrics (off with ENABLE_DEV_ENDPOINTS=false)"),
        (name = "health", description = "Health check and Prometheus metrics"),
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
    }
}

/// The base document, before the routers add their paths.
pub fn base_document() -> OpenApi {
    ApiDoc::openapi()
}

/// The fault-injection knobs, as (name, where, range, what it does).
const FAULT_KNOBS: [(&str, ParameterIn, i32, i32, &str); 4] = [
    ("simulate_error", ParameterIn::Query, 400, 599, ERROR_KNOB),
    ("simulate_delay", ParameterIn::Query, 0, 60_000, DELAY_KNOB),
    ("X-Mock-Error", ParameterIn::Header, 400, 599, ERROR_KNOB),
    ("X-Mock-Delay", ParameterIn::Header, 0, 60_000, DELAY_KNOB),
];
const ERROR_KNOB: &str = "Fault injection: answer with this status and `{\"detail\": \"Simulated <status> error\", \"code\": \"simulated_error\"}` without running the handler (no side effect). The query parameter wins over the header.";
const DELAY_KNOB: &str = "Fault injection: hold the response this many milliseconds (a timer), then answer (or fail, with the error knob). The query parameter wins over the header.";

/// Adds what the middleware gives every operation, which the handlers'
/// annotations cannot know: the fault-injection parameters (so Swagger UI's
/// "Try it out" can set them), their 422, and the panic catcher's 500; a 408
/// where a body can be sent too slowly.
pub fn describe_middleware(document: &mut OpenApi) {
    let knobs: Vec<RefOr<Parameter>> = FAULT_KNOBS
        .iter()
        .map(|(name, place, min, max, description)| {
            let schema = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(*min))
                .maximum(Some(*max));
            RefOr::T(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(place.clone())
                    .required(Required::False)
                    .description(Some(*description))
                    .schema(Some(schema))
                    .build(),
            )
        })
        .collect();
    for item in document.paths.paths.values_mut() {
        item.parameters
            .get_or_insert_with(Vec::new)
            .extend(knobs.iter().cloned());
        let operations = [&mut item.get, &mut item.post, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            add("422", "`validation_error`: a bad fault-injection value");
            add(
                "500",
                "`internal_error`: a bug (a caught panic); the cause is logged, never sent",
            );
            if operation.request_body.is_some() {
                add(
                    "408",
                    "`bad_request`: the request did not complete within 75 s",
                );
            }
        }
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build(),
    )
}

/// `/docs` (Swagger UI), `/redoc` and `/openapi.json`.
pub fn router(document: OpenApi) -> Router<AppState> {
    let config = utoipa_swagger_ui::Config::from("/openapi.json")
        // Swagger UI would otherwise send the document to an online validator.
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(true);
    let swagger = SwaggerUi::new("/docs")
        .url("/openapi.json", document)
        .config(config);
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
const REDOC_BUNDLE: &str = include_str!("../assets/redoc.standalone.js");

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
