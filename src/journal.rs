//! The request journal (a ring of the last `JOURNAL_SIZE` requests) and the
//! token lineage index. By construction nothing in it can hold a secret: it
//! records ids (request id, `jti`, `kid`, user and client ids), never a token,
//! a password or an `Authorization` value.
//!
//! Handlers and layers tell the journal about a request through its [`Note`],
//! a cheap handle that the journal layer puts in the request's extensions
//! and reads back when the response is made.

use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;

use crate::auth::tokens::Claims;
use crate::config::Config;

/// The journal and the lineage index.
#[derive(Debug, Default)]
pub struct Journal {}

impl Journal {
    /// An empty journal of `JOURNAL_SIZE` entries.
    pub fn new(_config: &Config) -> Self {
        Self {}
    }
}

/// What was injected into a request (`fault` of a journal entry).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FaultNote {
    /// The simulated status answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The delay the response was held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Whether the connection was closed with no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop: Option<bool>,
    /// The bad-token case put into the issued tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_fault: Option<String>,
    /// The id of the fault rule that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// A token the request issued, as the lineage index keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedToken {
    /// Its `jti`.
    pub jti: String,
    /// `access`, `refresh` or `id`.
    pub token_type: String,
    /// Its `sub`.
    pub sub: String,
    /// Its `exp`, seconds since the epoch.
    pub exp: i64,
}

impl From<&Claims> for IssuedToken {
    fn from(claims: &Claims) -> Self {
        Self {
            jti: claims.jti.clone(),
            token_type: claims.token_type.clone(),
            sub: claims.sub.clone(),
            exp: claims.exp,
        }
    }
}

/// What a request's handlers and layers found out about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoteData {
    /// The `sub` of the credentials or token.
    pub user: Option<String>,
    /// The OAuth client.
    pub client: Option<String>,
    /// What was injected.
    pub fault: Option<FaultNote>,
    /// Tokens issued.
    pub issued: Vec<IssuedToken>,
    /// The `jti` of the token presented.
    pub presented: Option<String>,
    /// The refresh token this request exchanged.
    pub parent: Option<String>,
}

/// A request's note: handed to handlers as an extractor, always present
/// (a request outside the journal layer gets a note nobody reads).
#[derive(Debug, Clone, Default)]
pub struct Note(Arc<Mutex<NoteData>>);

impl Note {
    fn with(&self, edit: impl FnOnce(&mut NoteData)) {
        let mut data = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        edit(&mut data);
    }

    /// Records the user (`sub`) of the credentials or token.
    pub fn user(&self, sub: &str) {
        self.with(|data| data.user = Some(sub.to_owned()));
    }

    /// Records the OAuth client.
    pub fn client(&self, client_id: &str) {
        self.with(|data| data.client = Some(client_id.to_owned()));
    }

    /// Edits what was injected.
    pub fn fault(&self, edit: impl FnOnce(&mut FaultNote)) {
        self.with(|data| edit(data.fault.get_or_insert_with(FaultNote::default)));
    }

    /// Records a token the request issued.
    pub fn issued(&self, token: impl Into<IssuedToken>) {
        let token = token.into();
        self.with(|data| data.issued.push(token));
    }

    /// Records the `jti` of the token presented.
    pub fn presented(&self, jti: &str) {
        self.with(|data| data.presented = Some(jti.to_owned()));
    }

    /// Records the refresh token this request exchanged.
    pub fn parent(&self, jti: &str) {
        self.with(|data| data.parent = Some(jti.to_owned()));
    }

    /// A copy of what was noted.
    pub fn snapshot(&self) -> NoteData {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Note {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Note>().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_collects_what_handlers_tell_it() {
        let note = Note::default();
        let clone = note.clone();
        clone.user("test-user-123");
        clone.fault(|fault| fault.status = Some(503));
        clone.fault(|fault| fault.rule = Some("r1".into()));
        let data = note.snapshot();
        assert_eq!(data.user.as_deref(), Some("test-user-123"));
        assert_eq!(data.fault.unwrap().status, Some(503));
    }
}
