//! JWT issue and verification. The token format is a contract with the
//! chat-api, which verifies these tokens with the same secret: the claims are
//! exactly those of the README, and verification is strict (algorithm pinned,
//! `exp`, `iss` and `aud` required as configured, no leeway).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::ApiError;
use crate::store::User;

/// The `type` claim: which route a token is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// Short-lived, sent as `Authorization: Bearer`.
    Access,
    /// Long-lived, sent in the body of refresh and logout; single use.
    Refresh,
}

impl TokenType {
    /// The claim's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// The claims of both token types; the access-only ones are absent from refresh tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// Access only: the user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Access only: the user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Access only: the user's roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// `"access"` or `"refresh"`.
    #[serde(rename = "type")]
    pub token_type: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Unique id: a UUID v7, whose time order lets a reset revoke older tokens.
    pub jti: String,
    /// Issuer (`JWT_ISSUER`).
    pub iss: String,
    /// Audience (`JWT_AUDIENCE`), only when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// A freshly issued access + refresh pair.
#[derive(Debug, Clone)]
pub struct IssuedPair {
    /// The access JWT.
    pub access_token: String,
    /// The refresh JWT.
    pub refresh_token: String,
    /// Access lifetime in seconds.
    pub expires_in: i64,
    /// Refresh lifetime in seconds.
    pub refresh_expires_in: i64,
}

/// Keys and rules for issuing and verifying tokens, built once from config.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
    issuer: String,
    audience: Option<String>,
    access_ttl: i64,
    refresh_ttl: i64,
}

impl TokenKeys {
    /// Builds the keys and the validation rules from the configuration.
    pub fn from_config(config: &Config) -> Self {
        let algorithm: Algorithm = config.jwt_algorithm.into();
        let secret = config.jwt_secret.as_bytes();
        // Spelled out rather than defaulted: jsonwebtoken's default leeway is
        // 60 s, and its default required claims do not include iss.
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_issuer(&[&config.jwt_issuer]);
        let mut required = vec!["exp", "iss", "sub"];
        match &config.jwt_audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            // With no audience configured, a token that names one is refused.
            None => validation.validate_aud = true,
        }
        validation.set_required_spec_claims(&required);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            header: Header::new(algorithm),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl: i64::try_from(config.access_token_expire_minutes * 60).unwrap_or(i64::MAX),
            refresh_ttl: i64::try_from(config.refresh_token_expire_days * 86_400)
                .unwrap_or(i64::MAX),
        }
    }

    /// Issues an access and a refresh token for `user`, both fresh `jti`s.
    pub fn issue_pair(&self, user: &User) -> Result<IssuedPair, ApiError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let access = Claims {
            sub: user.id.to_string(),
            email: Some(user.email.to_string()),
            name: Some(user.name.clone()),
            roles: Some(user.roles.to_vec()),
            ..self.base_claims(TokenType::Access, now, self.access_ttl)
        };
        let refresh = Claims {
            sub: user.id.to_string(),
            ..self.base_claims(TokenType::Refresh, now, self.refresh_ttl)
        };
        Ok(IssuedPair {
            access_token: self.sign(&access)?,
            refresh_token: self.sign(&refresh)?,
            expires_in: self.access_ttl,
            refresh_expires_in: self.refresh_ttl,
        })
    }

    fn base_claims(&self, token_type: TokenType, now: i64, ttl: i64) -> Claims {
        Claims {
            sub: String::new(),
            email: None,
            name: None,
            roles: None,
            token_type: token_type.as_str().to_owned(),
            iat: now,
            exp: now.saturating_add(ttl),
            jti: uuid::Uuid::now_v7().to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        }
    }

    /// Signs arbitrary claims with the configured key (tests forge tokens this way).
    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
            .map_err(|error| ApiError::Internal(format!("signing failed: {error}")))
    }

    /// Verifies signature, algorithm, `exp`, `iss`, `aud`, then the `type`.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, ApiError> {
        let claims: Claims = self.decode(token)?;
        check_type(expected, &claims.token_type)?;
        Ok(claims)
    }

    /// The user id of a valid access token: the checks of [`Self::verify`],
    /// without copying out the claims a request does not read (the hot path
    /// of every authenticated route).
    pub fn verify_access(&self, token: &str) -> Result<String, ApiError> {
        let subject: Subject = self.decode(token)?;
        check_type(TokenType::Access, &subject.token_type)?;
        Ok(subject.sub)
    }

    fn decode<T: DeserializeOwned>(&self, token: &str) -> Result<T, ApiError> {
        jsonwebtoken::decode::<T>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => ApiError::TokenExpired,
                ErrorKind::InvalidSignature => ApiError::InvalidToken("bad signature".into()),
                ErrorKind::InvalidAlgorithm => {
                    ApiError::InvalidToken("algorithm not accepted".into())
                }
                ErrorKind::InvalidIssuer => ApiError::InvalidToken("wrong issuer".into()),
                ErrorKind::InvalidAudience => ApiError::InvalidToken("wrong audience".into()),
                ErrorKind::MissingRequiredClaim(claim) => {
                    ApiError::InvalidToken(format!("missing claim {claim}"))
                }
                _ => ApiError::InvalidToken("malformed token".into()),
            })
    }
}

/// The two claims an access check reads; serde skips the others unread.
#[derive(Deserialize)]
struct Subject {
    sub: String,
    #[serde(rename = "type")]
    token_type: String,
}

fn check_type(expected: TokenType, got: &str) -> Result<(), ApiError> {
    if got == expected.as_str() {
        Ok(())
    } else {
        Err(ApiError::WrongTokenType {
            expected: expected.as_str(),
            got: got.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JwtAlgorithm;
    use std::sync::Arc;

    fn alice() -> User {
        User {
            id: "test-user-123".into(),
            email: "alice@example.com".into(),
            name: "Alice Johnson".into(),
            roles: Arc::from(vec!["admin".to_owned(), "user".to_owned()]),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            password_hash: String::new(),
        }
    }

    fn keys_with(edit: impl FnOnce(&mut Config)) -> TokenKeys {
        let mut config = Config::default();
        edit(&mut config);
        TokenKeys::from_config(&config)
    }

    #[test]
    fn verify_access_agrees_with_verify() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).unwrap();
        assert_eq!(
            keys.verify_access(&pair.access_token).unwrap(),
            "test-user-123"
        );
        assert_eq!(
            keys.verify_access(&pair.refresh_token).unwrap_err().code(),
            "wrong_token_type"
        );
        let tampered = format!("{}x", pair.access_token);
        assert_eq!(
            keys.verify_access(&tampered).unwrap_err().code(),
            keys.verify(&tampered, TokenType::Access)
                .unwrap_err()
                .code()
        );
    }

    #[test]
    fn access_token_carries_exactly_the_contract_claims() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).unwrap();
        let claims = keys.verify(&pair.access_token, TokenType::Access).unwrap();
        assert_eq!(claims.sub, "test-user-123");
        assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
        assert_eq!(claims.exp - claims.iat, 1800);
        assert_eq!(claims.iss, "mock-auth-server");
        assert!(claims.aud.is_none());
        let json = serde_json::to_value(&claims).unwrap();
        let mut names: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "email", "exp", "iat", "iss", "jti", "name", "roles", "sub", "type"
            ]
        );
    }

    #[test]
    fn refresh_token_has_no_profile_claims_and_a_week_of_life() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).unwrap();
        let claims = keys
            .verify(&pair.refresh_token, TokenType::Refresh)
            .unwrap();
        assert!(claims.email.is_none() && claims.roles.is_none());
        assert_eq!(claims.exp - claims.iat, 7 * 86_400);
    }

    #[test]
    fn each_token_gets_a_unique_jti() {
        let keys = keys_with(|_| {});
        let a = keys.issue_pair(&alice()).unwrap();
        let b = keys.issue_pair(&alice()).unwrap();
        let jti = |t: &str, ty| keys.verify(t, ty).unwrap().jti;
        assert_ne!(
            jti(&a.access_token, TokenType::Access),
            jti(&b.access_token, TokenType::Access)
        );
        assert_ne!(
            jti(&a.refresh_token, TokenType::Refresh),
            jti(&a.access_token, TokenType::Access)
        );
    }

    #[test]
    fn wrong_type_is_its_own_error() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).unwrap();
        let error = keys
            .verify(&pair.refresh_token, TokenType::Access)
            .unwrap_err();
        assert_eq!(error.code(), "wrong_token_type");
    }

    #[test]
    fn other_secret_or_algorithm_is_invalid() {
        let keys = keys_with(|_| {});
        let forged = keys_with(|c| c.jwt_secret = "other".into())
            .issue_pair(&alice())
            .unwrap();
        assert_eq!(
            keys.verify(&forged.access_token, TokenType::Access)
                .unwrap_err()
                .code(),
            "invalid_token"
        );
        let hs512 = keys_with(|c| c.jwt_algorithm = JwtAlgorithm::Hs512)
            .issue_pair(&alice())
            .unwrap();
        assert_eq!(
            keys.verify(&hs512.access_token, TokenType::Access)
                .unwrap_err()
                .code(),
            "invalid_token"
        );
    }

    #[test]
    fn expired_token_is_token_expired() {
        let keys = keys_with(|_| {});
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = keys.base_claims(TokenType::Access, now - 100, 10);
        claims.sub = "test-user-123".into();
        let token = keys.sign(&claims).unwrap();
        assert_eq!(
            keys.verify(&token, TokenType::Access).unwrap_err().code(),
            "token_expired"
        );
    }

    #[test]
    fn audience_is_required_when_configured_and_refused_when_not() {
        let with_aud = keys_with(|c| c.jwt_audience = Some("chat-api".into()));
        let without = keys_with(|_| {});
        let pair = with_aud.issue_pair(&alice()).unwrap();
        assert!(
            with_aud
                .verify(&pair.access_token, TokenType::Access)
                .is_ok()
        );
        assert!(
            without
                .verify(&pair.access_token, TokenType::Access)
                .is_err()
        );
        let plain = without.issue_pair(&alice()).unwrap();
        assert!(
            with_aud
                .verify(&plain.access_token, TokenType::Access)
                .is_err()
        );
    }

    #[test]
    fn wrong_issuer_is_invalid() {
        let other = keys_with(|c| c.jwt_issuer = "someone-else".into());
        let pair = other.issue_pair(&alice()).unwrap();
        let error = keys_with(|_| {})
            .verify(&pair.access_token, TokenType::Access)
            .unwrap_err();
        assert_eq!(error.code(), "invalid_token");
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).unwrap();
        let payload = pair.access_token.split('.').nth(1).unwrap();
        // {"alg":"none","typ":"JWT"} in base64url, with an empty signature.
        let token = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(
            keys.verify(&token, TokenType::Access).unwrap_err().code(),
            "invalid_token"
        );
    }
}
