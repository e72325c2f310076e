//! Field rules of the register and login bodies. Each check returns the
//! cleaned value or a 422 naming the field.

use crate::error::ApiError;

/// Longest accepted email (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Shortest accepted password, in bytes.
pub const MIN_PASSWORD_BYTES: usize = 8;
/// bcrypt ignores bytes past 72, so longer passwords are refused rather than truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;
/// Longest accepted display name, in characters after trimming.
pub const MAX_NAME_CHARS: usize = 100;

/// Trims and lowercases an email and checks its syntax: one `@`, a non-empty
/// local part, a domain with a dot, at most 254 characters.
pub fn email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let invalid = |why: &str| ApiError::validation("email", why);
    if email.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if email.chars().count() > MAX_EMAIL_LEN {
        return Err(invalid("must be at most 254 characters"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid("must contain an @"));
    };
    if domain.contains('@') {
        return Err(invalid("must contain exactly one @"));
    }
    if local.is_empty() {
        return Err(invalid("must have a non-empty part before the @"));
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(invalid("must have a domain with a dot, like example.com"));
    }
    // The crate knows the RFC 5322 grammar (allowed characters, dot placement)
    // that the rules above do not spell out.
    if !email_address::EmailAddress::is_valid(&email) {
        return Err(invalid("is not a valid email address"));
    }
    Ok(email)
}

/// Checks a new password's length in bytes (8 to 72).
pub fn password(raw: &str) -> Result<String, ApiError> {
    let bytes = raw.len();
    if bytes < MIN_PASSWORD_BYTES {
        return Err(ApiError::validation(
            "password",
            format!("must be at least {MIN_PASSWORD_BYTES} bytes"),
        ));
    }
    if bytes > MAX_PASSWORD_BYTES {
        return Err(ApiError::validation(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)"),
        ));
    }
    Ok(raw.to_owned())
}

/// 2^53: every integer below it has an exact `f64`.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// The JSON value of `bytes` with every whole float that fits an integer
/// (`4953.0`) written as that integer, or `None` when there is none. JSON
/// Schema counts `4953.0` as an integer, serde's integer fields do not.
pub fn whole_floats_as_integers(bytes: &[u8]) -> Option<serde_json::Value> {
    fn fix(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(number) => {
                let Some(float) = number.as_f64().filter(|_| number.is_f64()) else {
                    return false;
                };
                // Below 2^53 a float is the integer it was written as; past
                // it, it may be the rounding of a larger integer literal
                // (serde_json reads one that fits no integer type as a float).
                let integer = (float.fract() == 0.0 && float.abs() < MAX_EXACT_FLOAT)
                    .then(|| serde_json::Number::from(float as i64));
                integer.map(|n| *number = n).is_some()
            }
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |any, v| fix(v) | any),
            serde_json::Value::Object(map) => map.values_mut().fold(false, |any, v| fix(v) | any),
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fix(&mut value).then_some(value)
}

/// Trims a display name and checks it has 1 to 100 characters.
pub fn name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(ApiError::validation("name", "must not be empty"));
    }
    if chars > MAX_NAME_CHARS {
        return Err(ApiError::validation(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(email("  Alice@Example.COM ").unwrap(), "alice@example.com");
    }

    #[test]
    fn email_without_dot_in_domain_is_refused() {
        assert!(email("a@localhost").is_err());
    }

    #[test]
    fn email_with_two_ats_or_empty_local_part_is_refused() {
        assert!(email("a@b@c.com").is_err());
        assert!(email("@c.com").is_err());
        assert!(email("no-at.com").is_err());
    }

    #[test]
    fn email_over_254_chars_is_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        assert!(email(&long).unwrap_err().to_string().contains("email"));
    }

    #[test]
    fn password_length_is_counted_in_bytes() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(password(&"a".repeat(72)).is_ok());
        assert!(password(&"a".repeat(73)).is_err());
        // 24 three-byte characters are 72 bytes; 25 are 75.
        assert!(password(&"€".repeat(24)).is_ok());
        assert!(password(&"€".repeat(25)).is_err());
    }

    #[test]
    fn whole_floats_become_integers_and_nothing_else_changes() {
        let fixed = whole_floats_as_integers(br#"{"a": 4953.0, "b": [-2.0, 1.5], "c": "7.0"}"#);
        assert_eq!(
            fixed,
            Some(serde_json::json!({"a": 4953, "b": [-2, 1.5], "c": "7.0"}))
        );
        assert_eq!(whole_floats_as_integers(br#"{"a": 1, "b": 0.5}"#), None);
        assert_eq!(whole_floats_as_integers(b"{\"a\": 1e300}"), None);
        // An integer literal too large for i64 must stay refused, not rounded.
        assert_eq!(
            whole_floats_as_integers(b"{\"a\": -9223372036854775809}"),
            None
        );
    }

    #[test]
    fn name_is_trimmed_and_bounded() {
        assert_eq!(name("  Zoe ").unwrap(), "Zoe");
        assert!(name("   ").is_err());
        assert!(name(&"n".repeat(101)).is_err());
        assert!(name(&"n".repeat(100)).is_ok());
    }
}
