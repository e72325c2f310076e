//! `GET|POST /oauth2/authorize`: validates the request, then either answers
//! with a code (a session exists), shows the login page, or handles the
//! page's submission (continue as, password, deny).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::journal::Note;
use crate::oauth::clients::Client;
use crate::oauth::form::{Form, Params};
use crate::oauth::sessions::{self, CODE_TTL, COOKIE, Code, SESSION_TTL, Session};
use crate::state::AppState;
use crate::ui::login::{self, PageError};

/// The parameters of the authorization request kept through the login page.
const CARRIED: [&str; 9] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
];

/// A validated authorization request.
pub struct AuthzRequest {
    /// The client.
    pub client: Client,
    /// Where the answer goes.
    pub redirect_uri: String,
    /// Returned as given.
    pub state: Option<String>,
    /// Put in the ID token.
    pub nonce: Option<String>,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// PKCE challenge and method.
    pub challenge: Option<(String, String)>,
    /// `none`, `login` or absent.
    pub prompt: Option<String>,
    /// Email to prefill.
    pub login_hint: Option<String>,
    /// The parameters to carry through the page.
    pub carried: Vec<(String, String)>,
}

/// The form of `POST /oauth2/authorize`: the authorization request's
/// parameters and, from the login page, what the user chose.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AuthorizeForm {
    /// `code` (missing or another: an error sent back to the redirect URI).
    response_type: Option<String>,
    /// The client.
    #[schema(min_length = 1)]
    client_id: String,
    /// Registered, or loopback without a clients file (the pattern: a loopback URL).
    #[schema(
        pattern = r"^http://(?:localhost|127\.0\.0\.1|\[::1\])(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:[/?#][!#-~]*)?$"
    )]
    redirect_uri: String,
    /// openid profile email roles offline_access.
    scope: Option<String>,
    /// Returned as given.
    state: Option<String>,
    /// Put in the ID token.
    nonce: Option<String>,
    /// PKCE (required for public clients).
    code_challenge: Option<String>,
    /// `S256` or `plain` (default).
    code_challenge_method: Option<String>,
    /// `none` or `login`.
    prompt: Option<String>,
    /// Email to prefill and focus.
    login_hint: Option<String>,
    /// `continue` (as `user_id`), `password` (`email` and `password`) or `deny`.
    action: Option<String>,
    /// The user of `continue`.
    user_id: Option<String>,
    /// The email of `password`.
    email: Option<String>,
    /// The password of `password`.
    password: Option<String>,
    /// Extra claims for this login's tokens: a JSON object, read when
    /// `action` is given.
    extra_claims: Option<String>,
}

/// Start an authorization (query parameters).
#[utoipa::path(get, path = "/oauth2/authorize", tag = "oauth",
    params(
        ("response_type" = Option<String>, Query, description = "`code` (missing or another: an error sent back to the redirect URI)"),
        ("client_id" = String, Query, min_length = 1, description = "The client"),
        ("redirect_uri" = String, Query, pattern = r"^http://(?:localhost|127\.0\.0\.1|\[::1\])(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:[/?#][!#-~]*)?$", description = "Registered, or loopback without a clients file (the pattern: a loopback URL)"),
        ("scope" = Option<String>, Query, description = "openid profile email roles offline_access"),
        ("state" = Option<String>, Query, description = "Returned as given"),
        ("nonce" = Option<String>, Query, description = "Put in the ID token"),
        ("code_challenge" = Option<String>, Query, description = "PKCE (required for public clients)"),
        ("code_challenge_method" = Option<String>, Query, description = "`S256` or `plain` (default)"),
        ("prompt" = Option<String>, Query, description = "`none` or `login`"),
        ("login_hint" = Option<String>, Query, description = "Email to prefill and focus"),
    ),
    responses(
        (status = 200, description = "The login page", content_type = "text/html"),
        (status = 302, description = "Back to the redirect URI with `code` or `error`"),
        (status = 400, description = "Invalid client or redirect URI (a page, never redirected)", content_type = "text/html"),
    ))]
pub async fn authorize_get(
    State(app): State<AppState>,
    headers: HeaderMap,
    note: Note,
    uri: axum::http::Uri,
) -> Response {
    match Params::parse(uri.query().unwrap_or("").as_bytes()) {
        Ok(params) => handle(&app, &headers, &note, params).await,
        Err(e) => login::error_page(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

/// Start an authorization (form body), or submit the login page.
#[utoipa::path(post, path = "/oauth2/authorize", tag = "oauth",
    request_body(content = AuthorizeForm, content_type = "application/x-www-form-urlencoded",
        description = "The parameters of GET, plus the login page's `action` (`continue`, `password`, `deny`), `user_id`, `email`, `password`, `extra_claims`"),
    responses(
        (status = 200, description = "The login page", content_type = "text/html"),
        (status = 302, description = "Back to the redirect URI with `code` or `error`"),
        (status = 400, description = "Invalid client or redirect URI, or bad extra claims (a page); a body that is not a form is `invalid_request`", content(
            ("text/html"),
            (crate::error::ErrorBody = "application/json"),
        )),
        (status = 401, description = "Wrong email or password (the page again)", content_type = "text/html"),
    ))]
pub async fn authorize_post(
    State(app): State<AppState>,
    note: Note,
    Form { headers, params }: Form,
) -> Response {
    handle(&app, &headers, &note, params).await
}

async fn handle(app: &AppState, headers: &HeaderMap, note: &Note, params: Params) -> Response {
    let req = match validate(app, &params) {
        Ok(req) => req,
        Err(failure) => return failure,
    };
    note.client(&req.client.id);
    if let Some(action) = params.get("action") {
        return submit(app, note, &req, action, &params).await;
    }
    let now = app.clock.unix();
    let session = sessions::cookie(headers).and_then(|id| app.oauth.sessions.find(&id, now));
    match (req.prompt.as_deref(), session) {
        (Some("login"), _) => login::page(app, &req, None, StatusCode::OK),
        (_, Some(session)) => {
            note.user(&session.user_id);
            code_redirect(app, &req, &session, None)
        }
        (Some("none"), None) => {
            error_redirect(&req, "login_required", "No session: the user must log in")
        }
        (_, None) => login::page(app, &req, None, StatusCode::OK),
    }
}

/// Checks the client and redirect URI (failures are pages), then the rest
/// (failures go back to the redirect URI).
// A Response is the natural failure here: a page or a redirect, built once.
#[allow(clippy::result_large_err)]
fn validate(app: &AppState, params: &Params) -> Result<AuthzRequest, Response> {
    let page = |text: &str| login::error_page(StatusCode::BAD_REQUEST, text);
    let client_id = params
        .get("client_id")
        .ok_or_else(|| page("The request has no client_id."))?;
    let client = app
        .oauth
        .clients
        .lookup(client_id)
        .ok_or_else(|| page("Unknown client: this application is not registered."))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| page("The request has no redirect_uri."))?;
    if !app.oauth.clients.redirect_ok(&client, redirect_uri) {
        return Err(page(
            "This redirect URI is not registered for the client (without a clients file: a loopback http URL).",
        ));
    }
    let mut req = AuthzRequest {
        client,
        redirect_uri: redirect_uri.to_owned(),
        state: params.get("state").map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        scope: Vec::new(),
        challenge: None,
        prompt: params.get("prompt").map(str::to_owned),
        login_hint: params.get("login_hint").map(str::to_owned),
        carried: CARRIED
            .iter()
            .filter_map(|k| params.get(k).map(|v| ((*k).to_owned(), v.to_owned())))
            .collect(),
    };
    match params.get("response_type") {
        Some("code") => {}
        None => {
            return Err(error_redirect(
                &req,
                "invalid_request",
                "response_type is required",
            ));
        }
        Some(_) => {
            return Err(error_redirect(
                &req,
                "unsupported_response_type",
                "Only response_type=code is supported",
            ));
        }
    }
    req.scope = match crate::oauth::token::scopes(&req.client, params.get("scope")) {
        Ok(scope) => scope,
        Err(e) => return Err(error_redirect(&req, "invalid_scope", &e.to_string())),
    };
    if let Some(challenge) = params.get("code_challenge") {
        let method = params.get("code_challenge_method").unwrap_or("plain");
        if method != "S256" && method != "plain" {
            return Err(error_redirect(
                &req,
                "invalid_request",
                "code_challenge_method must be S256 or plain",
            ));
        }
        let ok = (43..=128).contains(&challenge.len())
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !ok {
            return Err(error_redirect(
                &req,
                "invalid_request",
                "code_challenge must be 43 to 128 unreserved characters",
            ));
        }
        req.challenge = Some((challenge.to_owned(), method.to_owned()));
    } else if req.client.require_pkce {
        return Err(error_redirect(
            &req,
            "invalid_request",
            "PKCE is required: send code_challenge (S256)",
        ));
    }
    if matches!(req.prompt.as_deref(), Some(p) if p != "none" && p != "login" && p != "consent") {
        return Err(error_redirect(
            &req,
            "invalid_request",
            "prompt must be none or login",
        ));
    }
    Ok(req)
}

async fn submit(
    app: &AppState,
    note: &Note,
    req: &AuthzRequest,
    action: &str,
    params: &Params,
) -> Response {
    let extra = match parse_extra(params.get("extra_claims")) {
        Ok(extra) => extra,
        Err(text) => {
            return login::page(
                app,
                req,
                Some(PageError::claims(text, params)),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let user = match action {
        "deny" => return error_redirect(req, "access_denied", "The user denied the request"),
        "continue" => params
            .get("user_id")
            .and_then(|id| app.users.find_by_id(id))
            .filter(|u| !u.disabled),
        "password" => {
            let email = params.get("email").unwrap_or("");
            let password = params.get("password").unwrap_or("").to_owned();
            match crate::oauth::grants::password::check_password(app, email, password).await {
                Ok(user) => user,
                Err(e) => return e.into_response(),
            }
        }
        _ => None,
    };
    let Some(user) = user else {
        let error = PageError::login("Wrong email or password.", params);
        return login::page(app, req, Some(error), StatusCode::UNAUTHORIZED);
    };
    note.user(&user.id);
    let now = app.clock.unix();
    let session = Session {
        user_id: user.id.to_string(),
        auth_time: now,
        extra: Arc::new(extra),
        exp: now + SESSION_TTL,
    };
    let sid = app.oauth.sessions.start(session.clone(), now);
    code_redirect(app, req, &session, Some(sid))
}

fn parse_extra(text: Option<&str>) -> Result<Map<String, Value>, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Map::new());
    };
    match serde_json::from_str::<Value>(text) {
        // The same rule as a user's custom claims: a claim the server sets
        // itself would appear twice in the token and break its verifiers.
        Ok(Value::Object(map)) => match crate::dev::users::reserved_claim(&map) {
            Some(claim) => Err(format!(
                "Extra claims may not set \"{claim}\": the server sets it itself."
            )),
            None => Ok(map),
        },
        Ok(_) => Err("Extra claims must be a JSON object, like {\"tenant\": \"acme\"}.".into()),
        Err(e) => Err(format!("Extra claims are not valid JSON: {e}.")),
    }
}

fn code_redirect(
    app: &AppState,
    req: &AuthzRequest,
    session: &Session,
    new_sid: Option<String>,
) -> Response {
    let now = app.clock.unix();
    let code = app.oauth.sessions.insert_code(
        Code {
            client_id: req.client.id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            challenge: req.challenge.clone(),
            user_id: session.user_id.clone(),
            scope: req.scope.join(" "),
            nonce: req.nonce.clone(),
            auth_time: session.auth_time,
            extra: session.extra.clone(),
            exp: now + CODE_TTL,
        },
        now,
    );
    let mut response = redirect(req, &[("code", &code)]);
    if let Some(sid) = new_sid {
        let cookie =
            format!("{COOKIE}={sid}; Path=/oauth2; HttpOnly; SameSite=Lax; Max-Age={SESSION_TTL}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn error_redirect(req: &AuthzRequest, error: &str, description: &str) -> Response {
    redirect(req, &[("error", error), ("error_description", description)])
}

fn redirect(req: &AuthzRequest, pairs: &[(&str, &str)]) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    if let Some(state) = &req.state {
        query.append_pair("state", state);
    }
    let sep = if req.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let location = format!("{}{sep}{}", req.redirect_uri, query.finish());
    see_other(&location)
}

/// A 302 to `location` (no-store: it carries a code).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page itself, as an `Html` response (used by login.rs).
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
