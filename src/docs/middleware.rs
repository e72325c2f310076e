//! What the middleware adds to every operation of the OpenAPI document,
//! which the handlers' annotations cannot know: the fault-injection
//! parameters, the statuses of the layers, and an example body for every
//! error response, made from the error type itself so it cannot drift.

use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder};

use crate::error::{ApiError, ErrorBody};

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
    super::rules::add_cross_field_rules(document);
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
    for (path, item) in document.paths.paths.iter_mut() {
        item.parameters
            .get_or_insert_with(Vec::new)
            .extend(knobs.iter().cloned());
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.delete,
            &mut item.put,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let json_body = takes_json(operation);
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
            // What the JSON body extractor answers before any handler runs.
            if json_body {
                add("400", "`bad_request`: the body is not valid JSON");
                add(
                    "413",
                    "`payload_too_large`: the body is over MAX_BODY_BYTES",
                );
                add(
                    "415",
                    "`unsupported_media_type`: the body is not application/json",
                );
            }
            if TOKEN_FAULT_ROUTES.contains(&path.as_str()) {
                add_token_fault_params(operation);
            }
            add_error_examples(path, operation);
        }
    }
}

/// Whether the operation's body is JSON (read by `crate::extract::Json`).
fn takes_json(operation: &Operation) -> bool {
    operation.request_body.as_ref().is_some_and(
        |body| matches!(body, RefOr::T(body) if body.content.contains_key("application/json")),
    )
}

/// Routes that take `X-Mock-Token-Fault` / `mock_token_fault` (issue 11).
const TOKEN_FAULT_ROUTES: &[&str] = &[
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/refresh",
    "/oauth2/token",
];

/// Documents the per-request token fault knobs on one operation. No
/// `example`: Swagger UI fills examples in, and every "Try it out" would
/// then ask for a bad token.
fn add_token_fault_params(operation: &mut Operation) {
    let description = "A bad-token catalogue case name (see GET /api/dev/tokens/bad): the \
                       issued access token carries that defect (e.g. `expired`); unknown names \
                       are 422 (400 invalid_request on /oauth2/token)";
    for (name, place) in [
        ("mock_token_fault", ParameterIn::Query),
        ("X-Mock-Token-Fault", ParameterIn::Header),
    ] {
        let schema = ObjectBuilder::new().schema_type(Type::String);
        operation.parameters.get_or_insert_with(Vec::new).push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(place)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
                .into(),
        );
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

/// Gives each error response an example per error code its description
/// names (or the status's usual one), so the docs do not show one login
/// failure under every status.
fn add_error_examples(path: &str, operation: &mut Operation) {
    let errors = operation
        .responses
        .responses
        .iter_mut()
        .filter(|(status, _)| status.parse::<u16>().is_ok_and(|code| code >= 400));
    for (status, response) in errors {
        let RefOr::T(response) = response else {
            continue;
        };
        let errors = match status.as_str() {
            "408" => vec![ApiError::Timeout(75)],
            "422" => vec![validation_error(path, &response.description)],
            _ => codes_named(status, &response.description)
                .into_iter()
                .filter_map(sample_error)
                .collect(),
        };
        let Some(RefOr::T(content)) = response.content.get_mut("application/json") else {
            continue;
        };
        if !content.examples.is_empty() {
            continue;
        }
        for error in errors {
            let body = ErrorBody {
                detail: error.to_string(),
                code: error.code().to_owned(),
            };
            let value = serde_json::to_value(&body).ok();
            let example = ExampleBuilder::new().value(value).build();
            content.examples.insert(body.code, RefOr::T(example));
        }
    }
}

/// The codes that stand in backticks in `description`, in order, or the
/// status's usual one where it names none.
fn codes_named<'a>(status: &str, description: &'a str) -> Vec<&'a str> {
    let named: Vec<&str> = description.split('`').skip(1).step_by(2).collect();
    if !named.is_empty() {
        return named;
    }
    let usual = match status {
        "400" => "bad_request",
        "401" => "invalid_token",
        "409" => "email_taken",
        "413" => "payload_too_large",
        "415" => "unsupported_media_type",
        _ => "internal_error",
    };
    vec![usual]
}

/// The 422 of a bad fault knob, the one every operation can give.
const BAD_KNOB: (&str, &str) = (
    "simulate_delay",
    "must be an integer from 0 to 60000, got 'soon'",
);

/// The 422 a route most often gives, worded as the server words it.
fn validation_error(path: &str, description: &str) -> ApiError {
    let (field, problem) = if description.contains("fault") {
        BAD_KNOB
    } else {
        match path {
            "/api/auth/register" => ("password", "must be at least 8 bytes"),
            "/api/auth/login" => ("email", "must not be empty"),
            "/api/auth/refresh" | "/api/auth/logout" => ("refresh_token", "must not be empty"),
            "/api/auth/users" => ("limit", "must be an integer from 1 to 10000, got '0'"),
            _ => BAD_KNOB,
        }
    };
    ApiError::validation(field, problem)
}

/// A typical error of each code.
fn sample_error(code: &str) -> Option<ApiError> {
    Some(match code {
        "bad_request" => ApiError::BadRequest(
            "Body is not valid JSON: expected value at line 1 column 1".to_owned(),
        ),
        "unsupported_media_type" => ApiError::UnsupportedMediaType,
        "payload_too_large" => ApiError::PayloadTooLarge(65_536),
        "invalid_credentials" => ApiError::InvalidCredentials,
        "email_taken" => ApiError::EmailTaken,
        "not_found" => ApiError::NotFound("No user with id user-42".to_owned()),
        "missing_token" => ApiError::MissingToken,
        "invalid_token" => ApiError::InvalidToken("InvalidSignature".to_owned()),
        "token_expired" => ApiError::TokenExpired,
        "wrong_token_type" => ApiError::WrongTokenType {
            expected: "refresh",
            got: "access".to_owned(),
        },
        "token_revoked" => ApiError::TokenRevoked,
        "user_not_found" => ApiError::UserNotFound,
        "internal_error" => ApiError::Internal(String::new()),
        // The RFC 6749 names of the /oauth2/* endpoints (issue 10).
        "invalid_request" => ApiError::oauth("invalid_request", "Missing parameter 'grant_type'"),
        "invalid_grant" => ApiError::oauth("invalid_grant", "Unknown or expired code"),
        "unsupported_grant_type" => ApiError::oauth(
            "unsupported_grant_type",
            "Grant type 'magic' is not supported",
        ),
        "invalid_scope" => ApiError::oauth("invalid_scope", "Unknown or forbidden scope 'admin'"),
        "unauthorized_client" => ApiError::oauth(
            "unauthorized_client",
            "This client may not use the password grant",
        ),
        "invalid_client" => ApiError::oauth("invalid_client", "Wrong client secret"),
        _ => return None,
    })
}
