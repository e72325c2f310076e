//! `GET /oauth2/logout` (OpenID Connect RP-Initiated Logout 1.0).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::journal::Note;
use crate::oauth::form::Params;
use crate::oauth::sessions::{self, COOKIE};
use crate::state::AppState;
use crate::ui::login;

/// End the session and go back to the application.
#[utoipa::path(get, path = "/oauth2/logout", tag = "oauth",
    params(
        ("post_logout_redirect_uri" = Option<String>, Query, pattern = r"^(?:http://(?:localhost|127\.0\.0\.1|\[::1\])(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:[/?#][!#-~]*)?)?$", description = "Registered (or loopback without a clients file; the pattern: a loopback URL)"),
        ("state" = Option<String>, Query, description = "Returned as given"),
        ("client_id" = Option<String>, Query, description = "The client"),
        ("id_token_hint" = Option<String>, Query, description = "An ID token of ours (its aud names the client)"),
    ),
    responses(
        (status = 302, description = "To post_logout_redirect_uri with state"),
        (status = 200, description = "Signed-out page", content_type = "text/html"),
        (status = 400, description = "Unregistered post_logout_redirect_uri", content_type = "text/html"),
    ))]
pub async fn logout(
    State(app): State<AppState>,
    headers: HeaderMap,
    note: Note,
    uri: axum::http::Uri,
) -> Response {
    let params = match Params::parse(uri.query().unwrap_or("").as_bytes()) {
        Ok(params) => params,
        Err(e) => return login::error_page(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let client_id = params
        .get("client_id")
        .map(str::to_owned)
        .or_else(|| params.get("id_token_hint").and_then(hint_audience));
    if let Some(id) = &client_id {
        note.client(id);
    }
    let target = params.get("post_logout_redirect_uri");
    if let Some(target) = target
        && !app
            .oauth
            .clients
            .post_logout_ok(client_id.as_deref(), target)
    {
        return login::error_page(
            StatusCode::BAD_REQUEST,
            "This post_logout_redirect_uri is not registered.",
        );
    }
    if let Some(sid) = sessions::cookie(&headers) {
        app.oauth.sessions.end(&sid);
    }
    let mut response = match target {
        Some(target) => {
            let mut location = target.to_owned();
            if let Some(state) = params.get("state") {
                let mut q = form_urlencoded::Serializer::new(String::new());
                q.append_pair("state", state);
                location.push(if location.contains('?') { '&' } else { '?' });
                location.push_str(&q.finish());
            }
            crate::oauth::authorize::see_other(&location)
        }
        None => login::signed_out_page(),
    };
    let clear = format!("{COOKIE}=; Path=/oauth2; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The `aud` of an ID token hint, read without verification (only to pick
/// the client whose registered URIs apply; the URI check itself decides).
fn hint_audience(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match value.get("aud")? {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(list) => list.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}
