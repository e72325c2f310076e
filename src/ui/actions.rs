//! The dashboard's forms (POST, then a redirect: Post/Redirect/Get), calling
//! the same state the control plane does. With `DEV_API_KEY` set, each needs
//! the key (see [`super::allowed`]).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::passwords;
use crate::state::AppState;
use crate::store::User;

fn back(to: &str, flash: &str) -> Response {
    let flash: String = flash
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("%{:02X}", u32::from(c) & 0xff)
            }
        })
        .collect();
    Redirect::to(&format!("{to}?flash={flash}")).into_response()
}

fn refused(to: &str) -> Response {
    back("/ui/system", &format!("DEV_API_KEY needed for {to}"))
}

/// The add-user form.
#[derive(Debug, Deserialize)]
pub struct AddUser {
    email: String,
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    roles: String,
    #[serde(default)]
    claims: String,
}

/// `POST /ui/users`: adds a user who can log in at once.
pub async fn add_user(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AddUser>,
) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("adding users");
    }
    let email = form.email.trim().to_lowercase();
    if email.is_empty() || form.password.len() < 8 {
        return back(
            "/ui/users",
            "An email and a password of 8 characters or more are needed",
        );
    }
    let claims: Map<String, Value> = match form.claims.trim() {
        "" => Map::new(),
        text => match serde_json::from_str(text) {
            Ok(claims) => claims,
            Err(_) => return back("/ui/users", "Claims must be a JSON object"),
        },
    };
    let roles: Vec<String> = form
        .roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let password_hash = match passwords::hash(form.password, app.config.bcrypt_cost).await {
        Ok(hash) => hash,
        Err(error) => return error.into_response(),
    };
    let name = if form.name.trim().is_empty() {
        email.clone()
    } else {
        form.name.trim().to_owned()
    };
    let added = app.users.insert(User {
        id: format!("user-{}", uuid::Uuid::new_v4()).into(),
        email: email.clone().into(),
        name,
        roles: if roles.is_empty() {
            app.users.default_roles()
        } else {
            Arc::from(roles)
        },
        created_at: app.clock.now(),
        password_hash,
        claims: Arc::new(claims),
        email_verified: true,
        disabled: false,
    });
    match added {
        Ok(_) => back("/ui/users", &format!("Added {email}")),
        Err(error) => back("/ui/users", &error.to_string()),
    }
}

/// `POST /ui/users/reset`: back to the seed users.
pub async fn reset_users(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("resetting users");
    }
    let n = app.users.reset();
    back("/ui/users", &format!("Reset to the {n} seed users"))
}

/// A number of seconds.
#[derive(Debug, Deserialize)]
pub struct Seconds {
    seconds: i64,
}

/// `POST /ui/clock/advance`.
pub async fn clock_advance(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Seconds>,
) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("the clock");
    }
    app.clock.advance(form.seconds);
    back("/ui/system", &format!("Clock advanced {} s", form.seconds))
}

/// Freeze or not.
#[derive(Debug, Deserialize)]
pub struct Freeze {
    frozen: bool,
}

/// `POST /ui/clock/freeze`.
pub async fn clock_freeze(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Freeze>,
) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("the clock");
    }
    app.clock.freeze(form.frozen);
    back(
        "/ui/system",
        if form.frozen {
            "Clock frozen"
        } else {
            "Clock running"
        },
    )
}

/// `POST /ui/clock/reset`.
pub async fn clock_reset(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("the clock");
    }
    app.clock.reset();
    back("/ui/system", "Clock back to real time")
}

/// `POST /ui/keys/rotate`.
pub async fn rotate_key(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("keys");
    }
    match app.keys().rotate().await {
        Ok(key) => back("/ui/system", &format!("New signing key {}", key.kid)),
        Err(error) => back("/ui/system", &error.to_string()),
    }
}

/// A key id.
#[derive(Debug, Deserialize)]
pub struct Kid {
    kid: String,
}

/// `POST /ui/keys/retire`.
pub async fn retire_key(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Kid>,
) -> Response {
    if !super::allowed(&app, &headers) {
        return refused("keys");
    }
    match app.keys().retire(&form.kid).await {
        Ok(()) => back("/ui/system", &format!("Retired {}", form.kid)),
        Err(error) => back("/ui/system", &error.to_string()),
    }
}

/// The key form.
#[derive(Debug, Deserialize)]
pub struct KeyForm {
    key: String,
}

/// `POST /ui/key`: keeps the `DEV_API_KEY` in an HttpOnly cookie.
pub async fn remember_key(Form(form): Form<KeyForm>) -> Response {
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict",
        super::KEY_COOKIE,
        form.key.trim()
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/ui/system?flash=Key%20remembered"),
    )
        .into_response()
}
