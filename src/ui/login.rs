//! The OAuth login page (what `/oauth2/authorize` shows): askama template
//! `templates/login.html`, CSS embedded from `assets/ui/login.css`, no
//! script and no external asset.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::oauth::authorize::{AuthzRequest, html};
use crate::oauth::form::Params;
use crate::state::AppState;

/// The page's stylesheet, compiled into the binary.
const CSS: &str = include_str!("../../assets/ui/login.css");

/// A problem shown on the page, with what the user typed.
pub struct PageError {
    /// The sentence shown.
    message: String,
    /// Whether it is about the extra claims field (else the password form).
    claims: bool,
    /// The email typed.
    email: String,
    /// The extra claims typed.
    extra_claims: String,
}

impl PageError {
    /// Wrong email or password.
    pub fn login(message: &str, params: &Params) -> Self {
        Self::new(message.to_owned(), false, params)
    }

    /// Bad extra claims.
    pub fn claims(message: String, params: &Params) -> Self {
        Self::new(message, true, params)
    }

    fn new(message: String, claims: bool, params: &Params) -> Self {
        Self {
            message,
            claims,
            email: params.get("email").unwrap_or("").to_owned(),
            extra_claims: params.get("extra_claims").unwrap_or("").to_owned(),
        }
    }
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    roles: String,
    initials: String,
    focus: bool,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    css: &'a str,
    client_id: &'a str,
    scopes: &'a [String],
    users: Vec<UserRow>,
    hidden: &'a [(String, String)],
    email: String,
    extra_claims: String,
    login_error: Option<String>,
    claims_error: Option<String>,
    focus_email: bool,
}

#[derive(Template)]
#[template(path = "login_message.html")]
struct MessagePage<'a> {
    css: &'a str,
    title: &'a str,
    message: &'a str,
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

/// Renders the login page for an authorization request.
pub fn page(
    app: &AppState,
    req: &AuthzRequest,
    error: Option<PageError>,
    status: StatusCode,
) -> Response {
    let hint = req.login_hint.as_deref().map(str::to_lowercase);
    let (mut users, _) = app.users.page(0, 200);
    users.retain(|u| !u.disabled);
    let rows: Vec<UserRow> = users
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.name.clone(),
            email: u.email.to_string(),
            roles: u.roles.join(", "),
            initials: initials(&u.name),
            focus: error.is_none() && hint.as_deref() == Some(&*u.email),
        })
        .collect();
    let any_focus = rows.iter().any(|r| r.focus);
    let (login_error, claims_error) = match &error {
        Some(e) if e.claims => (None, Some(e.message.clone())),
        Some(e) => (Some(e.message.clone()), None),
        None => (None, None),
    };
    let page = LoginPage {
        css: CSS,
        client_id: &req.client.id,
        scopes: &req.scope,
        users: rows,
        hidden: &req.carried,
        email: error.as_ref().map_or_else(
            || req.login_hint.clone().unwrap_or_default(),
            |e| e.email.clone(),
        ),
        extra_claims: error
            .as_ref()
            .map(|e| e.extra_claims.clone())
            .unwrap_or_default(),
        // After a wrong password the email is kept and the password field
        // takes the focus (it is the one to retype).
        focus_email: error.is_none() && !any_focus && hint.is_some(),
        login_error,
        claims_error,
    };
    render(status, page.render())
}

fn render(status: StatusCode, result: askama::Result<String>) -> Response {
    match result {
        Ok(body) => html(status, body),
        Err(e) => axum::response::IntoResponse::into_response(crate::error::ApiError::Internal(
            e.to_string(),
        )),
    }
}

/// A page for a request that cannot go back to the client.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let page = MessagePage {
        css: CSS,
        title: "This sign-in request is not valid",
        message,
    };
    render(status, page.render())
}

/// The page after a logout without a redirect.
pub fn signed_out_page() -> Response {
    let page = MessagePage {
        css: CSS,
        title: "You are signed out",
        message: "You can close this tab.",
    };
    render(StatusCode::OK, page.render())
}
