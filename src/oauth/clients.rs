//! OAuth clients: permissive without `OAUTH_CLIENTS_FILE` (any client id,
//! loopback redirect URIs, confidential when it sends any secret), strict
//! with it (only those clients, exact URIs, secrets checked).

use std::collections::HashMap;
use std::path::Path;

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use serde::Deserialize;

use crate::error::ApiError;
use crate::oauth::form::Params;

/// One entry of `OAUTH_CLIENTS_FILE`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    /// The client id.
    pub client_id: String,
    /// Its secret; none makes it a public client.
    pub client_secret: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grants it may use (default: all).
    pub grant_types: Option<Vec<String>>,
    /// Scopes it may ask (default: all).
    pub scopes: Option<Vec<String>>,
    /// PKCE required (default: for public clients).
    pub require_pkce: Option<bool>,
}

/// A client as a request sees it.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// Whether it authenticated with a secret.
    pub confidential: bool,
    /// Whether authorization requests must carry a PKCE challenge.
    pub require_pkce: bool,
    /// The registered entry (strict mode).
    pub entry: Option<ClientEntry>,
}

impl Client {
    /// Whether the client may use this grant.
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.entry
            .as_ref()
            .and_then(|e| e.grant_types.as_ref())
            .is_none_or(|grants| grants.iter().any(|g| g == grant))
    }

    /// Whether the client may ask this scope.
    pub fn allows_scope(&self, scope: &str) -> bool {
        self.entry
            .as_ref()
            .and_then(|e| e.scopes.as_ref())
            .is_none_or(|scopes| scopes.iter().any(|s| s == scope))
    }
}

/// The credentials a request presented.
#[derive(Debug, Default)]
pub struct Credentials {
    /// `client_id` (Basic user or form parameter).
    pub client_id: Option<String>,
    /// The secret, if any.
    pub secret: Option<String>,
    /// Whether HTTP Basic was used.
    pub basic: bool,
}

/// Every client, or the permissive rules.
pub struct Clients {
    strict: Option<HashMap<String, ClientEntry>>,
}

fn invalid_client(description: &str, basic: bool) -> ApiError {
    ApiError::OAuth {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        description: description.to_owned(),
        basic,
    }
}

impl Clients {
    /// Reads the clients file; a bad file names the setting and the entry.
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Self { strict: None });
        };
        let name = format!("OAUTH_CLIENTS_FILE ({})", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
        let entries: Vec<serde_json::Value> = serde_json::from_str(&text)
            .map_err(|e| format!("{name}: not a JSON array of clients: {e}"))?;
        let mut clients = HashMap::new();
        for (index, value) in entries.into_iter().enumerate() {
            let label = value.get("client_id").and_then(|v| v.as_str()).map_or_else(
                || format!("entry {index}"),
                |id| format!("entry {index} ('{id}')"),
            );
            let entry: ClientEntry =
                serde_json::from_value(value).map_err(|e| format!("{name}: {label}: {e}"))?;
            if entry.client_id.is_empty() {
                return Err(format!("{name}: {label}: client_id must not be empty"));
            }
            if clients.insert(entry.client_id.clone(), entry).is_some() {
                return Err(format!("{name}: {label}: client_id given twice"));
            }
        }
        Ok(Self {
            strict: Some(clients),
        })
    }

    /// Whether a clients file is loaded.
    pub fn is_strict(&self) -> bool {
        self.strict.is_some()
    }

    /// The client named by an authorization request, without a secret.
    pub fn lookup(&self, client_id: &str) -> Option<Client> {
        match &self.strict {
            None => Some(Client {
                id: client_id.to_owned(),
                confidential: false,
                require_pkce: true,
                entry: None,
            }),
            Some(map) => map.get(client_id).map(|entry| Client {
                id: entry.client_id.clone(),
                confidential: entry.client_secret.is_some(),
                require_pkce: entry.require_pkce.unwrap_or(entry.client_secret.is_none()),
                entry: Some(entry.clone()),
            }),
        }
    }

    /// Whether `uri` is a redirect URI of the client.
    pub fn redirect_ok(&self, client: &Client, uri: &str) -> bool {
        match &client.entry {
            Some(entry) => entry.redirect_uris.iter().any(|u| u == uri),
            None => is_loopback(uri),
        }
    }

    /// Whether `uri` may be a post-logout redirect (of `client_id` if given).
    pub fn post_logout_ok(&self, client_id: Option<&str>, uri: &str) -> bool {
        match &self.strict {
            None => is_loopback(uri),
            Some(map) => map
                .values()
                .filter(|e| client_id.is_none_or(|id| id == e.client_id))
                .any(|e| e.post_logout_redirect_uris.iter().any(|u| u == uri)),
        }
    }

    /// Authenticates the client of a token/introspect/revoke request.
    pub fn authenticate(&self, creds: &Credentials) -> Result<Client, ApiError> {
        let id = creds
            .client_id
            .as_deref()
            .ok_or_else(|| invalid_client("Client authentication is required", creds.basic))?;
        let mut client = self
            .lookup(id)
            .ok_or_else(|| invalid_client("Unknown client", creds.basic))?;
        match (&client.entry, &creds.secret) {
            (None, secret) => client.confidential = secret.is_some(),
            (Some(entry), given) => match (&entry.client_secret, given) {
                (None, None) => {}
                (Some(expected), Some(given)) if constant_eq(expected, given) => {}
                (None, Some(_)) => {
                    return Err(invalid_client(
                        "This client is public: no secret",
                        creds.basic,
                    ));
                }
                _ => return Err(invalid_client("Wrong client secret", creds.basic)),
            },
        }
        Ok(client)
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `http://localhost:*`, `http://127.0.0.1:*` or `http://[::1]:*`, any port and path.
pub fn is_loopback(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return false;
    }
    let host = if authority.starts_with("[::1]") {
        "[::1]"
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let port = &authority[host.len()..];
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        && (port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
}

/// The client credentials of a request: HTTP Basic (RFC 6749 2.3.1, form-
/// encoded user and password) or `client_id`/`client_secret` in the body.
pub fn credentials(headers: &HeaderMap, params: &Params) -> Result<Credentials, ApiError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"));
    if let Some((_, encoded)) = basic {
        let bad = || invalid_client("Malformed HTTP Basic credentials", true);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (user, password) = text.split_once(':').ok_or_else(bad)?;
        let decode = |s: &str| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        if params.get("client_secret").is_some() {
            return Err(ApiError::oauth(
                "invalid_request",
                "Use one client authentication method, not two",
            ));
        }
        let user = decode(user);
        if let Some(form_id) = params.get("client_id")
            && form_id != user
        {
            return Err(invalid_client(
                "client_id differs from the Basic user",
                true,
            ));
        }
        return Ok(Credentials {
            client_id: Some(user),
            secret: Some(decode(password)).filter(|s| !s.is_empty()),
            basic: true,
        });
    }
    Ok(Credentials {
        client_id: params.get("client_id").map(str::to_owned),
        secret: params.get("client_secret").map(str::to_owned),
        basic: false,
    })
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_uris_are_the_three_hosts_on_plain_http() {
        assert!(is_loopback("http://localhost:3000/callback"));
        assert!(is_loopback("http://127.0.0.1:5173/"));
        assert!(is_loopback("http://[::1]:8080/cb?x=1"));
        assert!(is_loopback("http://localhost/cb"));
        assert!(!is_loopback("https://localhost:3000/"));
        assert!(!is_loopback("http://localhost.evil.com/"));
        assert!(!is_loopback("http://localhost@evil.com/"));
        assert!(!is_loopback("http://evil.com/?localhost"));
    }
}
