//! The users page's forms: add, edit, disable or enable, delete, reset.
//! Each checks what the control plane checks (`crate::validation`, the
//! reserved claims) and answers with a redirect back to the page.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::forms::{Fields, done, failed};
use super::pages::{Flash, render};
use crate::auth::passwords;
use crate::dev::actions::{self, Via};
use crate::dev::users::check_claims;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;
use crate::store::{User, rfc3339};
use crate::validation;

const PAGE: &str = "/ui/users";

/// Users shown per page: a server with 100,000 fake users still renders fast.
const PER_PAGE: usize = 100;

/// A user row.
pub struct UserRow {
    id: String,
    email: String,
    name: String,
    roles: Vec<String>,
    roles_text: String,
    claims_json: String,
    created_at: String,
    email_verified: bool,
    disabled: bool,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.clone(),
            roles: user.roles.to_vec(),
            roles_text: user.roles.join(", "),
            claims_json: serde_json::to_string(&*user.claims).unwrap_or_default(),
            created_at: rfc3339(user.created_at),
            email_verified: user.email_verified,
            disabled: user.disabled,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage {
    title: &'static str,
    page: &'static str,
    flash: String,
    error: String,
    clock: String,
    users: Vec<UserRow>,
    total: usize,
    matching: usize,
    q: String,
    offset: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

/// The users page's query: a search and the page's first row.
#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    offset: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

/// `GET /ui/users`: the users, searchable by email, name or id, a page at a time.
pub async fn page(State(app): State<AppState>, Query(query): Query<UsersQuery>) -> Response {
    let q = query.q.clone().unwrap_or_default().trim().to_lowercase();
    let offset = query
        .offset
        .as_deref()
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let (all, total) = app.users.page(0, usize::MAX);
    let matching: Vec<_> = all
        .iter()
        .filter(|u| {
            q.is_empty()
                || u.email.contains(&q)
                || u.name.to_lowercase().contains(&q)
                || u.id.contains(&q)
        })
        .collect();
    render(&UsersPage {
        title: "Users",
        page: "users",
        flash: query.flash.done(),
        error: query.flash.error(),
        clock: app.clock.view().now,
        users: matching
            .iter()
            .skip(offset)
            .take(PER_PAGE)
            .map(|u| UserRow::from(&***u))
            .collect(),
        total,
        matching: matching.len(),
        q,
        offset,
        prev: (offset > 0).then(|| offset.saturating_sub(PER_PAGE)),
        next: (offset + PER_PAGE < matching.len()).then_some(offset + PER_PAGE),
    })
}

/// Roles from a comma-separated field; `None` when it is blank.
fn roles(text: &str) -> Option<Arc<[String]>> {
    let roles: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    (!roles.is_empty()).then(|| Arc::from(roles))
}

/// Custom claims from a JSON object field; blank is no claims.
fn claims(text: &str) -> Result<Map<String, Value>, String> {
    let claims = match text {
        "" => Map::new(),
        text => serde_json::from_str(text)
            .map_err(|_| "claims: must be a JSON object, e.g. {\"tenant\": \"acme\"}".to_owned())?,
    };
    check_claims(&claims).map_err(|e| message(&e))?;
    Ok(claims)
}

/// The sentence of a validation error ("field: problem").
fn message(error: &ApiError) -> String {
    match error {
        ApiError::Validation(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `POST /ui/users`: adds a user who can log in at once.
pub async fn add(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("adding users");
    }
    let form = Fields::parse(&body);
    let checked = (|| {
        let email = validation::email(form.text("email")).map_err(|e| message(&e))?;
        let password = validation::password(form.text("password")).map_err(|e| message(&e))?;
        let name = match form.text("name") {
            "" => email.clone(),
            name => validation::name(name).map_err(|e| message(&e))?,
        };
        Ok::<_, String>((email, password, name, claims(form.text("claims"))?))
    })();
    let (email, password, name, claims) = match checked {
        Ok(fields) => fields,
        Err(problem) => return failed(PAGE, &problem),
    };
    // bcrypt runs on the blocking pool inside `passwords::hash`.
    let password_hash = match passwords::hash(password, app.config.bcrypt_cost).await {
        Ok(hash) => hash,
        Err(error) => return failed(PAGE, &error.to_string()),
    };
    let added = actions::add_user(
        &app,
        User {
            id: format!("user-{}", uuid::Uuid::new_v4()).into(),
            email: email.clone().into(),
            name,
            roles: roles(form.text("roles")).unwrap_or_else(|| app.users.default_roles()),
            created_at: app.clock.now(),
            password_hash,
            claims: Arc::new(claims),
            email_verified: !form.checked("email_unverified"),
            disabled: false,
        },
        Via::Dashboard,
    );
    match added {
        Ok(_) => done(PAGE, &format!("Added {email}")),
        Err(error) => failed(PAGE, &error.to_string()),
    }
}

/// `POST /ui/users/{id}`: changes name, roles, claims and `email_verified`.
pub async fn edit(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("editing users");
    }
    let Some(old) = app.users.find_by_id(&id) else {
        return failed(PAGE, &format!("No user with id {id}"));
    };
    let form = Fields::parse(&body);
    let mut user = (*old).clone();
    let checked = (|| {
        user.name = validation::name(form.text("name")).map_err(|e| message(&e))?;
        user.claims = Arc::new(claims(form.text("claims"))?);
        user.roles = roles(form.text("roles")).unwrap_or_else(|| Arc::from(Vec::new()));
        user.email_verified = form.checked("email_verified");
        Ok::<_, String>(())
    })();
    if let Err(problem) = checked {
        return failed(PAGE, &format!("{}: {problem}", old.email));
    }
    match actions::change_user(&app, user, Via::Dashboard) {
        Ok(user) => done(PAGE, &format!("Saved {}", user.email)),
        Err(error) => failed(PAGE, &error.to_string()),
    }
}

/// `POST /ui/users/{id}/disable` with `disabled=true|false`.
pub async fn disable(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("disabling users");
    }
    let Some(old) = app.users.find_by_id(&id) else {
        return failed(PAGE, &format!("No user with id {id}"));
    };
    let disabled = Fields::parse(&body).checked("disabled");
    let mut user = (*old).clone();
    user.disabled = disabled;
    match actions::change_user(&app, user, Via::Dashboard) {
        Ok(user) if disabled => done(
            PAGE,
            &format!(
                "Disabled {}: logins and tokens get user_disabled",
                user.email
            ),
        ),
        Ok(user) => done(PAGE, &format!("Enabled {}", user.email)),
        Err(error) => failed(PAGE, &error.to_string()),
    }
}

/// `POST /ui/users/{id}/delete`: removes the user; its tokens get `user_not_found`.
pub async fn delete(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("deleting users");
    }
    match actions::delete_user(&app, &id, Via::Dashboard) {
        Some(user) => done(PAGE, &format!("Deleted {}", user.email)),
        None => failed(PAGE, &format!("No user with id {id}")),
    }
}

/// `POST /ui/users/reset`: back to the seed users, as `DELETE /api/auth/users/reset`.
pub async fn reset(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if !super::allowed(&app, &headers) {
        return super::refused("resetting users");
    }
    // As the API's reset: the marker first, so no refresh token outlives it.
    app.revoked.revoke_all_issued();
    let n = app.users.reset();
    done(PAGE, &format!("Reset to the {n} seed users"))
}
