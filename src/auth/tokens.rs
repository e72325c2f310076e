//! JWT issue and verification: the one verifier of the server. The token
//! format is a contract with the chat-api, which verifies these tokens with
//! the same secret: the claims are exactly those of the README, and
//! verification is strict (algorithm pinned, `exp`, `iss` and `aud` required
//! as configured, no leeway). Every route that reads a token (REST `/me`,
//! refresh, userinfo, introspection, the token debugger, the audit) asks
//! [`TokenKeys::verify`] and gets the same typed refusal.
//!
//! Time comes from the server's [`Clock`]: jsonwebtoken would check `exp`
//! and `nbf` against the system time, which the control plane cannot move,
//! so those two checks are made here.

use std::sync::Arc;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::keys::{self, KeySet, SigningKey, alg_name, is_hmac};
use crate::clock::Clock;
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

/// The claims of access and refresh tokens; the access-only ones are absent
/// from refresh tokens, the OAuth ones from REST tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id (or, for client credentials, the client's).
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
    /// Not before, seconds since the epoch (only tokens made by the control plane).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Unique id: a UUID v7, whose time order lets a reset revoke older tokens.
    pub jti: String,
    /// Issuer (`JWT_ISSUER`).
    pub iss: String,
    /// Audience (`JWT_AUDIENCE`, or the OAuth client), only when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// OAuth only: the client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OAuth only: the granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The user's custom claims (and a login's extra claims).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A token's payload: our claims, written directly, or any JSON value.
pub trait Payload {
    /// Appends the payload's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
}

impl Payload for Value {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
}

/// Byte for byte what `Serialize` writes (a unit test compares the two for
/// every field present and absent): each string goes through
/// [`push_json_text`] instead of serde_json's escape scan, which with the
/// map that `flatten` makes of the struct cost more per token than its
/// base64.
impl Payload for Claims {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        fn text(out: &mut Vec<u8>, key: &[u8], value: &str) {
            out.extend_from_slice(key);
            push_json_text(out, value);
        }
        fn number(out: &mut Vec<u8>, key: &[u8], value: i64) {
            out.extend_from_slice(key);
            out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        }
        text(out, b"{\"sub\":", &self.sub);
        if let Some(email) = &self.email {
            text(out, b",\"email\":", email);
        }
        if let Some(name) = &self.name {
            text(out, b",\"name\":", name);
        }
        if let Some(roles) = &self.roles {
            out.extend_from_slice(b",\"roles\":[");
            for (n, role) in roles.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                push_json_text(out, role);
            }
            out.push(b']');
        }
        text(out, b",\"type\":", &self.token_type);
        number(out, b",\"iat\":", self.iat);
        number(out, b",\"exp\":", self.exp);
        if let Some(nbf) = self.nbf {
            number(out, b",\"nbf\":", nbf);
        }
        text(out, b",\"jti\":", &self.jti);
        text(out, b",\"iss\":", &self.iss);
        if let Some(aud) = &self.aud {
            text(out, b",\"aud\":", aud);
        }
        if let Some(client_id) = &self.client_id {
            text(out, b",\"client_id\":", client_id);
        }
        if let Some(scope) = &self.scope {
            text(out, b",\"scope\":", scope);
        }
        for (key, value) in &self.extra {
            text(out, b",", key);
            out.push(b':');
            serde_json::to_writer(&mut *out, value)?;
        }
        out.push(b'}');
        Ok(())
    }
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
    /// The access token's claims (its `jti` for the journal and revocation).
    pub access: Claims,
    /// The refresh token's claims.
    pub refresh: Claims,
}

/// What signs a token: the server's own key for its algorithm, a key it
/// never publishes, no key at all, or an explicit HMAC secret.
pub enum Signer<'a> {
    /// The HMAC secret (HS*) or the current asymmetric key.
    Server,
    /// An asymmetric key that is not in the JWKS (or, for HS*, another secret).
    Foreign,
    /// `alg: none`, an empty signature.
    Unsigned,
    /// HMAC with these bytes (the catalogue's HS/RS confusion).
    Hmac(&'a [u8]),
}

/// Keys and rules for issuing and verifying tokens, built once from config.
pub struct TokenKeys {
    /// `JWT_ALGORITHM`: access and refresh tokens are signed and verified with it.
    algorithm: Algorithm,
    /// The HMAC key, kept parsed (HS* only).
    hmac: Option<(hmac::Key, DecodingKey)>,
    /// The asymmetric keys (ID tokens; access tokens when not HS*).
    keys: Arc<KeySet>,
    clock: Arc<Clock>,
    validation: Validation,
    issuer: String,
    audience: Option<String>,
    access_ttl: i64,
    refresh_ttl: i64,
}

fn hmac_algorithm(alg: Algorithm) -> hmac::Algorithm {
    match alg {
        Algorithm::HS384 => hmac::HMAC_SHA384,
        Algorithm::HS512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    }
}

impl TokenKeys {
    /// Builds the keys and the validation rules from the configuration.
    pub fn new(config: &Config, keys: Arc<KeySet>, clock: Arc<Clock>) -> Self {
        let algorithm: Algorithm = config.jwt_algorithm.into();
        let secret = config.jwt_secret.as_bytes();
        // Spelled out rather than defaulted: jsonwebtoken's default leeway is
        // 60 s, and its default required claims do not include iss. `exp` and
        // `nbf` are checked against our clock in `check_time`.
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let mut issuers = vec![config.jwt_issuer.clone()];
        issuers.extend(config.keys.issuer_aliases());
        validation.set_issuer(&issuers);
        let mut required = vec!["exp", "iss", "sub"];
        match &config.jwt_audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            // With no audience configured, a token that names one is refused,
            // unless it is an OAuth token whose audience is its own client
            // (`check_audience`): one verifier serves both APIs.
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            algorithm,
            hmac: is_hmac(algorithm).then(|| {
                (
                    hmac::Key::new(hmac_algorithm(algorithm), secret),
                    DecodingKey::from_secret(secret),
                )
            }),
            keys,
            clock,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl: i64::try_from(config.access_token_expire_minutes * 60).unwrap_or(i64::MAX),
            refresh_ttl: i64::try_from(config.refresh_token_expire_days * 86_400)
                .unwrap_or(i64::MAX),
        }
    }

    /// Built from the configuration alone, with a fresh key set and clock
    /// (unit tests, fuzzing and property tests).
    pub fn from_config(config: &Config) -> Self {
        let clock = Arc::new(Clock::default());
        let keys = Arc::new(KeySet::generated(
            config.asymmetric_algorithm(),
            clock.clone(),
        ));
        Self::new(config, keys, clock)
    }

    /// `JWT_ALGORITHM`.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key set (ID tokens, JWKS, rotation).
    pub fn key_set(&self) -> &Arc<KeySet> {
        &self.keys
    }

    /// `JWT_ISSUER`: the `iss` of access and refresh tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `JWT_AUDIENCE`, if set.
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// Access token lifetime in seconds.
    pub fn access_ttl(&self) -> i64 {
        self.access_ttl
    }

    /// Refresh token lifetime in seconds.
    pub fn refresh_ttl(&self) -> i64 {
        self.refresh_ttl
    }

    /// The claims of a new access token for `user`, valid from now.
    pub fn access_claims(&self, user: &User) -> Claims {
        let now = self.clock.unix();
        Claims {
            sub: user.id.to_string(),
            email: Some(user.email.to_string()),
            name: Some(user.name.clone()),
            roles: Some(user.roles.to_vec()),
            extra: (*user.claims).clone(),
            ..self.base_claims(TokenType::Access, now, self.access_ttl)
        }
    }

    /// The claims of a new refresh token for `sub`, valid from now.
    pub fn refresh_claims(&self, sub: &str) -> Claims {
        let now = self.clock.unix();
        Claims {
            sub: sub.to_owned(),
            ..self.base_claims(TokenType::Refresh, now, self.refresh_ttl)
        }
    }

    /// Issues an access and a refresh token for `user`, both fresh `jti`s.
    pub async fn issue_pair(&self, user: &User) -> Result<IssuedPair, ApiError> {
        let access = self.access_claims(user);
        let refresh = self.refresh_claims(&user.id);
        self.sign_pair(access, refresh).await
    }

    /// Signs a pair of claims made by [`Self::access_claims`] and
    /// [`Self::refresh_claims`] (perhaps edited, as OAuth does).
    pub async fn sign_pair(&self, access: Claims, refresh: Claims) -> Result<IssuedPair, ApiError> {
        Ok(IssuedPair {
            access_token: self.sign(&access).await?,
            refresh_token: self.sign(&refresh).await?,
            expires_in: access.exp - access.iat,
            refresh_expires_in: refresh.exp - refresh.iat,
            access,
            refresh,
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
            nbf: None,
            jti: new_jti(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            client_id: None,
            scope: None,
            extra: Map::new(),
        }
    }

    /// Claims of an access token for a client itself (no user): `sub` is the
    /// client id.
    pub fn client_claims(&self, client_id: &str) -> Claims {
        let now = self.clock.unix();
        Claims {
            sub: client_id.to_owned(),
            ..self.base_claims(TokenType::Access, now, self.access_ttl())
        }
    }

    /// Signs claims with the configured algorithm and key (tests forge tokens this way).
    pub async fn sign(&self, claims: &impl Payload) -> Result<String, ApiError> {
        self.sign_as(self.algorithm, None, claims, Signer::Server)
            .await
    }

    /// Signs an ID token (or any claims) with the current asymmetric key.
    pub async fn sign_asymmetric(&self, claims: &impl Payload) -> Result<String, ApiError> {
        self.sign_as(self.keys.algorithm(), None, claims, Signer::Server)
            .await
    }

    /// Signs `claims` exactly as asked: any algorithm, any `kid` (`None`: the
    /// key's own), any signer. The header is `{"typ", "alg", "kid"?}` in
    /// jsonwebtoken's order, so HS tokens stay byte for byte what they were.
    pub async fn sign_as(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
        claims: &impl Payload,
        signer: Signer<'_>,
    ) -> Result<String, ApiError> {
        let key = match (&signer, is_hmac(alg)) {
            (Signer::Server, false) => Some(self.keys_for(alg, false).await?),
            (Signer::Foreign, false) => Some(self.keys_for(alg, true).await?),
            _ => None,
        };
        let alg_text = match signer {
            Signer::Unsigned => "none",
            _ => alg_name(alg),
        };
        let kid = kid.or(key.as_deref().map(|key| key.kid.as_str()));
        // Claims are a few hundred bytes: one buffer, never regrown.
        let mut payload = Vec::with_capacity(1024);
        claims
            .write_json(&mut payload)
            .map_err(|error| ApiError::Internal(format!("claims do not serialise: {error}")))?;
        let mut input = String::with_capacity(512 + payload.len() * 4 / 3);
        URL_SAFE_NO_PAD.encode_string(header_text(alg_text, kid), &mut input);
        input.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut input);
        let signature = match (signer, key) {
            (Signer::Unsigned, _) => Vec::new(),
            (_, Some(key)) => key.sign(input.as_bytes())?,
            (Signer::Hmac(secret), None) => hmac_sign(alg, secret, &input),
            (Signer::Foreign, None) => hmac_sign(alg, b"a secret this server never uses", &input),
            (Signer::Server, None) => match &self.hmac {
                Some((key, _)) if alg == self.algorithm => {
                    hmac::sign(key, input.as_bytes()).as_ref().to_vec()
                }
                _ => {
                    return Err(ApiError::Internal(
                        "no HMAC secret for this algorithm".into(),
                    ));
                }
            },
        };
        let mut token = input;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }

    async fn keys_for(&self, alg: Algorithm, foreign: bool) -> Result<Arc<SigningKey>, ApiError> {
        match (foreign, alg == self.keys.algorithm()) {
            (false, true) => self.keys.current().await,
            (true, _) => self.keys.foreign_for(alg).await,
            (false, false) => Err(ApiError::Validation(format!(
                "alg: the server holds no {} key (its key is {})",
                alg_name(alg),
                alg_name(self.keys.algorithm())
            ))),
        }
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss`, `aud`, then the `type`.
    pub async fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, ApiError> {
        let claims: Claims = self.decode(token).await?;
        check_type(expected, &claims.token_type)?;
        Ok(claims)
    }

    /// The subject and `jti` of a valid access token: the checks of
    /// [`Self::verify`], without copying out the claims a request does not
    /// read (the hot path of every authenticated route).
    pub async fn verify_access(&self, token: &str) -> Result<Subject, ApiError> {
        let subject: Subject = self.decode(token).await?;
        check_type(TokenType::Access, &subject.token_type)?;
        Ok(subject)
    }

    async fn decode<T: DeserializeOwned + Timed>(&self, token: &str) -> Result<T, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::InvalidToken("malformed token".into()))?;
        if header.alg != self.algorithm {
            return Err(ApiError::InvalidToken("algorithm not accepted".into()));
        }
        let claims: T = match &self.hmac {
            Some((_, decoding)) => decode_with(token, decoding, &self.validation)?,
            None => {
                let key = match header.kid.as_deref() {
                    Some(kid) => self.keys.find(kid).await?,
                    None => Some(self.keys.current().await?),
                };
                let key =
                    key.ok_or_else(|| ApiError::InvalidToken("unknown key id (kid)".into()))?;
                decode_with(token, &key.decoding, &self.validation)?
            }
        };
        self.check_time(&claims)?;
        if self.audience.is_none() && claims.aud().is_some() && claims.aud() != claims.client_id() {
            return Err(ApiError::InvalidToken("wrong audience".into()));
        }
        Ok(claims)
    }

    fn check_time(&self, claims: &impl Timed) -> Result<(), ApiError> {
        let now = self.clock.unix();
        if claims.exp() < now {
            return Err(ApiError::TokenExpired);
        }
        if claims.nbf().is_some_and(|nbf| nbf > now) {
            return Err(ApiError::InvalidToken("token not yet valid (nbf)".into()));
        }
        Ok(())
    }
}

/// jsonwebtoken writes `{"typ":"JWT","alg":..}`; serde_json's map would sort
/// the keys, so the header is written in that order by hand.
/// The JWS header `{"typ":"JWT","alg":..,"kid":..}`, written directly: it
/// is made for every token, and a `serde_json::Value` map of it cost a
/// dozen allocations. `kid` may be a caller's (a forged token's), so it is
/// escaped as JSON.
fn header_text(alg: &str, kid: Option<&str>) -> Vec<u8> {
    let mut text = Vec::with_capacity(96);
    text.extend_from_slice(br#"{"typ":"JWT","alg":"#);
    push_json_text(&mut text, alg);
    if let Some(kid) = kid {
        text.extend_from_slice(br#","kid":"#);
        push_json_text(&mut text, kid);
    }
    text.push(b'}');
    text
}

/// Whether `text` goes into a JSON string as it is: serde_json escapes only
/// the control characters, `"` and `\`. A block's fold has no early exit,
/// so the compiler checks its 32 bytes with a few vector instructions;
/// serde_json's own scan (a table lookup and a branch a byte) cost more
/// than the rest of writing a token's claims.
fn needs_no_escape(text: &str) -> bool {
    fn clean(bytes: &[u8]) -> bool {
        bytes.iter().fold(true, |plain, &b| {
            plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
        })
    }
    let mut blocks = text.as_bytes().chunks_exact(32);
    blocks.by_ref().all(clean) && clean(blocks.remainder())
}

/// Appends `text` as a JSON string literal, byte for byte what serde_json
/// writes: as it is when nothing in it needs an escape (every token, name
/// and scope list we make), else through serde_json.
pub(crate) fn push_json_text(out: &mut Vec<u8>, text: &str) {
    if needs_no_escape(text) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, text).is_err() {
        // A `&str` always serialises; an empty literal keeps the JSON valid.
        out.extend_from_slice(b"\"\"");
    }
}

fn hmac_sign(alg: Algorithm, secret: &[u8], input: &str) -> Vec<u8> {
    let alg = if is_hmac(alg) { alg } else { Algorithm::HS256 };
    let key = hmac::Key::new(hmac_algorithm(alg), secret);
    hmac::sign(&key, input.as_bytes()).as_ref().to_vec()
}

fn decode_with<T: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<T, ApiError> {
    jsonwebtoken::decode::<T>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|error| match error.kind() {
            ErrorKind::ExpiredSignature => ApiError::TokenExpired,
            ErrorKind::InvalidSignature => ApiError::InvalidToken("bad signature".into()),
            ErrorKind::InvalidAlgorithm => ApiError::InvalidToken("algorithm not accepted".into()),
            ErrorKind::InvalidIssuer => ApiError::InvalidToken("wrong issuer".into()),
            ErrorKind::InvalidAudience => ApiError::InvalidToken("wrong audience".into()),
            ErrorKind::MissingRequiredClaim(claim) => {
                ApiError::InvalidToken(format!("missing claim {claim}"))
            }
            _ => ApiError::InvalidToken("malformed token".into()),
        })
}

/// The claims the verifier itself checks, in every shape it decodes.
trait Timed {
    fn exp(&self) -> i64;
    fn nbf(&self) -> Option<i64>;
    fn aud(&self) -> Option<&str>;
    fn client_id(&self) -> Option<&str>;
}

impl Timed for Claims {
    fn exp(&self) -> i64 {
        self.exp
    }
    fn nbf(&self) -> Option<i64> {
        self.nbf
    }
    fn aud(&self) -> Option<&str> {
        self.aud.as_deref()
    }
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
}

/// The claims an access check reads; serde skips the others unread.
#[derive(Debug, Deserialize)]
pub struct Subject {
    /// The user (or client) id.
    pub sub: String,
    #[serde(rename = "type")]
    token_type: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    /// The token's id, for the revoked-access check.
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(default)]
    aud: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
}

impl Timed for Subject {
    fn exp(&self) -> i64 {
        self.exp
    }
    fn nbf(&self) -> Option<i64> {
        self.nbf
    }
    fn aud(&self) -> Option<&str> {
        self.aud.as_deref()
    }
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
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

/// Re-exported for the modules that sign by hand.
pub use keys::alg_name as algorithm_name;

/// A fresh `jti`: a UUID v7, formatted on the stack (`to_string` goes
/// through the formatting machinery and a growing buffer).
fn new_jti() -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut buffer)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JwtAlgorithm;

    #[test]
    fn the_header_is_jsonwebtokens_bytes_and_escapes_a_forged_kid() {
        assert_eq!(
            header_text("HS256", None),
            br#"{"typ":"JWT","alg":"HS256"}"#
        );
        let forged = header_text("RS256", Some("a\"b\\c"));
        assert_eq!(forged, br#"{"typ":"JWT","alg":"RS256","kid":"a\"b\\c"}"#);
        let parsed: Value = serde_json::from_slice(&forged).expect("valid JSON");
        assert_eq!(parsed["kid"], "a\"b\\c");
    }

    #[test]
    fn claims_are_written_byte_for_byte_as_serde_writes_them() {
        let odd = "quote \" backslash \\ tab \t nul \u{0} del \u{7f} é 😀 </script>";
        let full = Claims {
            sub: odd.into(),
            email: Some("alice@example.com".into()),
            name: Some(odd.into()),
            roles: Some(vec!["admin".into(), odd.into()]),
            token_type: "access".into(),
            iat: -5,
            exp: i64::MAX,
            nbf: Some(0),
            jti: "j".into(),
            iss: "\u{1f}".into(),
            aud: Some(String::new()),
            client_id: Some("chat-web".into()),
            scope: Some("openid profile".into()),
            extra: serde_json::from_str(
                r#"{"tenant":"acme","sub":"again","n":1.5,"deep":{"a":[null,true,"\n"]},"":""}"#,
            )
            .expect("extra claims"),
        };
        let bare = Claims {
            email: None,
            name: None,
            roles: Some(Vec::new()),
            nbf: None,
            aud: None,
            client_id: None,
            scope: None,
            extra: Map::new(),
            ..full.clone()
        };
        let no_roles = Claims {
            roles: None,
            ..bare.clone()
        };
        for claims in [full, bare, no_roles] {
            let mut ours = Vec::new();
            claims.write_json(&mut ours).expect("written");
            let serde = serde_json::to_vec(&claims).expect("serialised");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&serde)
            );
        }
    }

    #[test]
    fn a_text_with_anything_json_escapes_is_escaped_as_serde_does() {
        for text in [
            "",
            "plain.base64-url_",
            "a\"b",
            "a\\b",
            "\u{1}",
            "\u{7f}",
            "é\n",
        ] {
            let mut ours = Vec::new();
            push_json_text(&mut ours, text);
            assert_eq!(
                ours,
                serde_json::to_vec(text).expect("serialised"),
                "{text:?}"
            );
        }
    }

    const ALL: [JwtAlgorithm; 10] = [
        JwtAlgorithm::Hs256,
        JwtAlgorithm::Hs384,
        JwtAlgorithm::Hs512,
        JwtAlgorithm::Rs256,
        JwtAlgorithm::Rs384,
        JwtAlgorithm::Rs512,
        JwtAlgorithm::Ps256,
        JwtAlgorithm::Es256,
        JwtAlgorithm::Es384,
        JwtAlgorithm::EdDsa,
    ];

    fn alice() -> User {
        User {
            id: "test-user-123".into(),
            email: "alice@example.com".into(),
            name: "Alice Johnson".into(),
            roles: Arc::from(vec!["admin".to_owned(), "user".to_owned()]),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            password_hash: String::new(),
            claims: Arc::default(),
            email_verified: true,
            disabled: false,
        }
    }

    fn keys_with(edit: impl FnOnce(&mut Config)) -> TokenKeys {
        let mut config = Config::default();
        edit(&mut config);
        TokenKeys::from_config(&config)
    }

    async fn code_of(keys: &TokenKeys, token: &str) -> &'static str {
        keys.verify(token, TokenType::Access)
            .await
            .unwrap_err()
            .code()
    }

    #[tokio::test]
    async fn verify_access_agrees_with_verify() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).await.unwrap();
        let subject = keys.verify_access(&pair.access_token).await.unwrap();
        assert_eq!(subject.sub, "test-user-123");
        assert_eq!(subject.jti.as_deref(), Some(pair.access.jti.as_str()));
        let refresh = keys.verify_access(&pair.refresh_token).await.unwrap_err();
        assert_eq!(refresh.code(), "wrong_token_type");
        let tampered = format!("{}x", pair.access_token);
        assert_eq!(
            keys.verify_access(&tampered).await.unwrap_err().code(),
            code_of(&keys, &tampered).await
        );
    }

    #[tokio::test]
    async fn access_token_carries_exactly_the_contract_claims() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).await.unwrap();
        let claims = keys
            .verify(&pair.access_token, TokenType::Access)
            .await
            .unwrap();
        assert_eq!(claims.exp - claims.iat, 1800);
        assert_eq!(claims.iss, "mock-auth-server");
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

    #[tokio::test]
    async fn an_hs256_token_is_byte_for_byte_what_jsonwebtoken_signs() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).await.unwrap();
        let expected = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &pair.access,
            &jsonwebtoken::EncodingKey::from_secret(crate::config::DEFAULT_JWT_SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(pair.access_token, expected);
    }

    #[tokio::test]
    async fn custom_claims_of_the_user_are_copied_into_the_access_token() {
        let keys = keys_with(|_| {});
        let mut user = alice();
        let mut extra = Map::new();
        extra.insert("tenant".into(), serde_json::json!("acme"));
        user.claims = Arc::new(extra);
        let pair = keys.issue_pair(&user).await.unwrap();
        let claims = keys
            .verify(&pair.access_token, TokenType::Access)
            .await
            .unwrap();
        assert_eq!(claims.extra["tenant"], "acme");
    }

    #[tokio::test]
    async fn refresh_token_has_no_profile_claims_and_a_week_of_life() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).await.unwrap();
        let claims = keys
            .verify(&pair.refresh_token, TokenType::Refresh)
            .await
            .unwrap();
        assert!(claims.email.is_none() && claims.roles.is_none());
        assert_eq!(claims.exp - claims.iat, 7 * 86_400);
        assert_ne!(claims.jti, pair.access.jti);
    }

    #[tokio::test]
    async fn every_algorithm_signs_and_verifies_its_own_tokens_with_a_kid_when_asymmetric() {
        for alg in ALL {
            let keys = keys_with(|c| c.jwt_algorithm = alg);
            let pair = keys.issue_pair(&alice()).await.unwrap();
            assert!(
                keys.verify(&pair.access_token, TokenType::Access)
                    .await
                    .is_ok(),
                "{alg:?}"
            );
            let header = jsonwebtoken::decode_header(&pair.access_token).unwrap();
            assert_eq!(header.alg, Algorithm::from(alg));
            assert_eq!(header.kid.is_some(), !alg.is_hmac(), "{alg:?}");
        }
    }

    #[tokio::test]
    async fn alg_none_and_the_hs_rs_confusion_are_refused_for_every_algorithm() {
        for alg in ALL {
            let keys = keys_with(|c| c.jwt_algorithm = alg);
            let claims = keys.access_claims(&alice());
            let none = keys
                .sign_as(alg.into(), None, &claims, Signer::Unsigned)
                .await
                .unwrap();
            assert_eq!(code_of(&keys, &none).await, "invalid_token", "{alg:?} none");
            let confused = if alg.is_hmac() {
                let other = if alg == JwtAlgorithm::Hs384 {
                    Algorithm::HS256
                } else {
                    Algorithm::HS384
                };
                keys.sign_as(
                    other,
                    None,
                    &claims,
                    Signer::Hmac(crate::config::DEFAULT_JWT_SECRET.as_bytes()),
                )
                .await
                .unwrap()
            } else {
                let pem = keys.key_set().current().await.unwrap().public_pem.clone();
                keys.sign_as(
                    Algorithm::HS256,
                    None,
                    &claims,
                    Signer::Hmac(pem.as_bytes()),
                )
                .await
                .unwrap()
            };
            assert_eq!(
                code_of(&keys, &confused).await,
                "invalid_token",
                "{alg:?} confusion"
            );
            let foreign = keys
                .sign_as(alg.into(), None, &claims, Signer::Foreign)
                .await
                .unwrap();
            assert_eq!(
                code_of(&keys, &foreign).await,
                "invalid_token",
                "{alg:?} foreign"
            );
        }
    }

    #[tokio::test]
    async fn a_retired_key_stops_verifying_its_tokens() {
        let keys = keys_with(|c| c.jwt_algorithm = JwtAlgorithm::Es256);
        let old = keys.issue_pair(&alice()).await.unwrap();
        let first = keys.key_set().current().await.unwrap();
        keys.key_set().rotate().await.unwrap();
        assert!(
            keys.verify(&old.access_token, TokenType::Access)
                .await
                .is_ok()
        );
        keys.key_set().retire(&first.kid).await.unwrap();
        assert_eq!(code_of(&keys, &old.access_token).await, "invalid_token");
    }

    #[tokio::test]
    async fn moving_the_clock_expires_and_un_expires_tokens() {
        let keys = keys_with(|_| {});
        let pair = keys.issue_pair(&alice()).await.unwrap();
        keys.clock.advance(31 * 60);
        assert_eq!(code_of(&keys, &pair.access_token).await, "token_expired");
        keys.clock.advance(-31 * 60);
        assert!(
            keys.verify(&pair.access_token, TokenType::Access)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_token_before_its_nbf_is_invalid() {
        let keys = keys_with(|_| {});
        let mut claims = keys.access_claims(&alice());
        claims.nbf = Some(claims.iat + 600);
        let token = keys.sign(&claims).await.unwrap();
        assert_eq!(code_of(&keys, &token).await, "invalid_token");
    }

    #[tokio::test]
    async fn other_secret_or_algorithm_is_invalid() {
        let keys = keys_with(|_| {});
        let forged = keys_with(|c| c.jwt_secret = "other".into())
            .issue_pair(&alice())
            .await
            .unwrap();
        assert_eq!(code_of(&keys, &forged.access_token).await, "invalid_token");
        let hs512 = keys_with(|c| c.jwt_algorithm = JwtAlgorithm::Hs512)
            .issue_pair(&alice())
            .await
            .unwrap();
        assert_eq!(code_of(&keys, &hs512.access_token).await, "invalid_token");
    }

    #[tokio::test]
    async fn a_configured_audience_is_required() {
        let with_aud = keys_with(|c| c.jwt_audience = Some("chat-api".into()));
        let pair = with_aud.issue_pair(&alice()).await.unwrap();
        assert!(
            with_aud
                .verify(&pair.access_token, TokenType::Access)
                .await
                .is_ok()
        );
        let plain = keys_with(|_| {}).issue_pair(&alice()).await.unwrap();
        assert_eq!(
            code_of(&with_aud, &plain.access_token).await,
            "invalid_token"
        );
        let other = keys_with(|c| c.jwt_audience = Some("other".into()))
            .issue_pair(&alice())
            .await
            .unwrap();
        assert_eq!(
            code_of(&with_aud, &other.access_token).await,
            "invalid_token"
        );
    }

    #[tokio::test]
    async fn wrong_issuer_is_invalid_and_an_alias_is_accepted() {
        let other = keys_with(|c| c.jwt_issuer = "someone-else".into());
        let pair = other.issue_pair(&alice()).await.unwrap();
        assert_eq!(
            code_of(&keys_with(|_| {}), &pair.access_token).await,
            "invalid_token"
        );
        let aliased = keys_with(|c| c.keys.jwt_issuer_aliases = "x, someone-else".into());
        assert!(
            aliased
                .verify(&pair.access_token, TokenType::Access)
                .await
                .is_ok()
        );
    }
}
