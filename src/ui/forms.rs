//! Reading the dashboard's HTML forms and answering them with a redirect.
//!
//! The forms are read from the raw body rather than with `axum::Form`: a
//! typed `Form` answers a missing or non-numeric field with axum's plain-text
//! rejection, whereas a person at the page must get the page back with a
//! sentence naming the field (Post/Redirect/Get, the message in the query).

use std::collections::HashMap;

use axum::response::{IntoResponse, Redirect, Response};

/// The fields of one submitted form (the last value of a repeated name wins).
#[derive(Debug, Default)]
pub struct Fields(HashMap<String, String>);

impl Fields {
    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The field's value, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }

    /// Whether a checkbox was ticked (browsers send `on` by default).
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.text(name), "on" | "true" | "1" | "yes")
    }

    /// An optional whole number within `min..=max`; blank is `None`.
    pub fn number(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, String> {
        match self.text(name) {
            "" => Ok(None),
            raw => match raw.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(format!(
                    "{name}: must be a whole number from {min} to {max}, got '{raw}'"
                )),
            },
        }
    }

    /// An optional non-negative whole number up to `max`; blank is `None`.
    pub fn count(&self, name: &str, max: u64) -> Result<Option<u64>, String> {
        let max_i = i64::try_from(max).unwrap_or(i64::MAX);
        Ok(self
            .number(name, 0, max_i)?
            .and_then(|n| u64::try_from(n).ok()))
    }

    /// An optional decimal within `min..=max`; blank is `None`.
    pub fn decimal(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, String> {
        match self.text(name) {
            "" => Ok(None),
            raw => match raw.parse::<f64>() {
                Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(Some(x)),
                _ => Err(format!(
                    "{name}: must be a number from {min} to {max}, got '{raw}'"
                )),
            },
        }
    }
}

/// How the action went: shown at the top of the page it redirects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (a green note).
    Done,
    /// Refused (a red note naming what was wrong).
    Failed,
}

/// `303 See Other` back to `to` with the message in `?flash=` or `?error=`.
pub fn back(to: &str, outcome: Outcome, message: &str) -> Response {
    let key = match outcome {
        Outcome::Done => "flash",
        Outcome::Failed => "error",
    };
    let encoded: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}{key}={encoded}")).into_response()
}

/// Back to `to` with a green note.
pub fn done(to: &str, message: &str) -> Response {
    back(to, Outcome::Done, message)
}

/// Back to `to` with a red note.
pub fn failed(to: &str, message: &str) -> Response {
    back(to, Outcome::Failed, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_range_or_not_numbers_name_their_field() {
        let fields = Fields::parse(b"status=700&delay_ms=abc&times=&minutes=-5");
        let status = fields.number("status", 400, 599).unwrap_err();
        assert!(status.starts_with("status:"), "{status}");
        assert!(status.contains("'700'"), "{status}");
        assert!(
            fields
                .count("delay_ms", 60_000)
                .unwrap_err()
                .starts_with("delay_ms:")
        );
        assert_eq!(fields.count("times", 10).unwrap(), None);
        assert_eq!(fields.number("minutes", -100, 100).unwrap(), Some(-5));
        assert!(fields.count("minutes", 100).is_err());
    }

    #[test]
    fn decimals_and_checkboxes_are_read_as_browsers_send_them() {
        let fields = Fields::parse(b"probability=0.25&rate=1.5&drop=on&name=+Ann+");
        assert_eq!(fields.decimal("probability", 0.0, 1.0).unwrap(), Some(0.25));
        assert!(
            fields
                .decimal("rate", 0.0, 1.0)
                .unwrap_err()
                .starts_with("rate:")
        );
        assert!(fields.checked("drop"));
        assert!(!fields.checked("missing"));
        assert_eq!(fields.text("name"), "Ann");
    }

    #[test]
    fn the_message_is_url_encoded_after_the_right_separator() {
        let response = failed("/ui/users?offset=100", "name: é & co");
        let location = response.headers()["location"].to_str().unwrap();
        assert_eq!(location, "/ui/users?offset=100&error=name%3A+%C3%A9+%26+co");
        let response = done("/ui/faults", "ok");
        assert_eq!(response.headers()["location"], "/ui/faults?flash=ok");
    }
}
