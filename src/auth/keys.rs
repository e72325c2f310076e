//! The key set: the HMAC secret (for HS* access tokens) and the asymmetric
//! signing keys (for ID tokens always, and for access tokens under RS, PS,
//! ES or EdDSA). The current asymmetric key signs; every key still in the
//! set verifies, found by `kid`; the JWKS is a view of the set. Rotation
//! and retirement are the set's own business, not its callers'.
//!
//! Keys are kept parsed (aws-lc-rs key pairs): jsonwebtoken would parse a
//! PKCS#8 key again on every signature, which for RSA costs more than the
//! signature itself. Generating an RSA key takes tens of milliseconds or
//! more, so the start key is made on the blocking pool right after bind
//! ([`KeySet::warm_up`]); the first request that needs it waits for it,
//! no other does.

use std::sync::{Arc, RwLock};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::{digest, rsa, signature};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::error::ApiError;

/// base64url without padding, as JOSE writes every binary value.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether the algorithm is one of the HMAC ones (a shared secret, no key pair).
pub fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// The JOSE name of an algorithm (`RS256`, `EdDSA`, ..).
pub fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        _ => "unknown",
    }
}

/// The parsed private half of a signing key.
enum Private {
    Rsa(rsa::KeyPair),
    Ec(signature::EcdsaKeyPair),
    Ed(signature::Ed25519KeyPair),
}

/// One asymmetric key: its private half, public JWK, and when it was made.
pub struct SigningKey {
    /// RFC 7638 thumbprint of the public JWK.
    pub kid: String,
    /// The algorithm it signs with.
    pub alg: Algorithm,
    /// When the key was made or loaded (server clock).
    pub created_at: OffsetDateTime,
    /// The public key as a JWK (`kid`, `kty`, `alg`, `use` and its parameters).
    pub jwk: Value,
    /// The public key as SPKI PEM text (the bad-token catalogue's HS/RS confusion).
    pub public_pem: String,
    /// The public key for jsonwebtoken's verification.
    pub decoding: DecodingKey,
    private: Private,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key for `alg` (RSA 2048, P-256, P-384 or Ed25519).
    pub fn generate(alg: Algorithm, created_at: OffsetDateTime) -> Result<Self, String> {
        let failed = |_| format!("cannot generate a {} key", alg_name(alg));
        let private = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => {
                Private::Rsa(rsa::KeyPair::generate(rsa::KeySize::Rsa2048).map_err(failed)?)
            }
            Algorithm::ES256 | Algorithm::ES384 => {
                Private::Ec(signature::EcdsaKeyPair::generate(ec_signing(alg)).map_err(failed)?)
            }
            Algorithm::EdDSA => Private::Ed(signature::Ed25519KeyPair::generate().map_err(failed)?),
            _ => return Err(format!("{} is not an asymmetric algorithm", alg_name(alg))),
        };
        Self::from_private(alg, private, created_at)
    }

    /// Loads a PEM PKCS#8 private key that must suit `alg`.
    pub fn from_pem(alg: Algorithm, pem: &str, created_at: OffsetDateTime) -> Result<Self, String> {
        let der = pem_body(pem, "PRIVATE KEY").ok_or_else(|| {
            "not a PEM PKCS#8 private key (-----BEGIN PRIVATE KEY-----)".to_owned()
        })?;
        let wrong = |_| format!("not a private key for {}", alg_name(alg));
        let private = match alg {
            Algorithm::ES256 | Algorithm::ES384 => Private::Ec(
                signature::EcdsaKeyPair::from_pkcs8(ec_signing(alg), &der).map_err(wrong)?,
            ),
            Algorithm::EdDSA => Private::Ed(
                signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(wrong)?,
            ),
            _ if is_hmac(alg) => return Err(format!("{} uses no key file", alg_name(alg))),
            _ => Private::Rsa(rsa::KeyPair::from_pkcs8(&der).map_err(wrong)?),
        };
        if let Private::Rsa(pair) = &private
            && pair.public_modulus_len() < 256
        {
            return Err("an RSA key must have at least 2048 bits".to_owned());
        }
        Self::from_private(alg, private, created_at)
    }

    fn from_private(
        alg: Algorithm,
        private: Private,
        created_at: OffsetDateTime,
    ) -> Result<Self, String> {
        let (mut jwk, spki, decoding) = match &private {
            Private::Rsa(pair) => {
                use signature::KeyPair as _;
                let public = pair.public_key();
                let n = public.modulus().big_endian_without_leading_zero().to_vec();
                let e = public.exponent().big_endian_without_leading_zero().to_vec();
                let spki: PublicKeyX509Der = public.as_der().map_err(|_| "bad RSA key")?;
                (
                    json!({"e": b64url(&e), "kty": "RSA", "n": b64url(&n)}),
                    spki.as_ref().to_vec(),
                    DecodingKey::from_rsa_raw_components(&n, &e),
                )
            }
            Private::Ec(pair) => {
                use signature::KeyPair as _;
                let public = pair.public_key();
                let point = public.as_ref();
                let half = (point.len() - 1) / 2;
                let (x, y) = (b64url(&point[1..=half]), b64url(&point[1 + half..]));
                let crv = if alg == Algorithm::ES384 {
                    "P-384"
                } else {
                    "P-256"
                };
                let spki: PublicKeyX509Der = public.as_der().map_err(|_| "bad EC key")?;
                let decoding = DecodingKey::from_ec_components(&x, &y)
                    .map_err(|error| format!("bad EC key: {error}"))?;
                (
                    json!({"crv": crv, "kty": "EC", "x": x, "y": y}),
                    spki.as_ref().to_vec(),
                    decoding,
                )
            }
            Private::Ed(pair) => {
                use signature::KeyPair as _;
                let public = pair.public_key();
                let x = b64url(public.as_ref());
                let spki: PublicKeyX509Der = public.as_der().map_err(|_| "bad Ed25519 key")?;
                let decoding = DecodingKey::from_ed_components(&x)
                    .map_err(|error| format!("bad Ed25519 key: {error}"))?;
                (
                    json!({"crv": "Ed25519", "kty": "OKP", "x": x}),
                    spki.as_ref().to_vec(),
                    decoding,
                )
            }
        };
        // RFC 7638: the required members in lexicographic order, no spaces;
        // serde_json's map is ordered by key, so `to_string` is canonical.
        let kid = b64url(digest::digest(&digest::SHA256, jwk.to_string().as_bytes()).as_ref());
        if let Some(members) = jwk.as_object_mut() {
            members.insert("kid".into(), json!(kid));
            members.insert("alg".into(), json!(alg_name(alg)));
            members.insert("use".into(), json!("sig"));
        }
        Ok(Self {
            kid,
            alg,
            created_at,
            jwk,
            public_pem: pem_text("PUBLIC KEY", &spki),
            decoding,
            private,
        })
    }

    /// The private key as PEM PKCS#8 (tests write key files with it).
    pub fn private_pem(&self) -> Result<String, String> {
        let der: Vec<u8> = match &self.private {
            Private::Rsa(pair) => {
                let der: Pkcs8V1Der = pair.as_der().map_err(|_| "cannot export")?;
                der.as_ref().to_vec()
            }
            Private::Ec(pair) => pair
                .to_pkcs8v1()
                .map_err(|_| "cannot export")?
                .as_ref()
                .to_vec(),
            Private::Ed(pair) => pair
                .to_pkcs8v1()
                .map_err(|_| "cannot export")?
                .as_ref()
                .to_vec(),
        };
        Ok(pem_text("PRIVATE KEY", &der))
    }

    /// Signs `message` (the JWS signing input) with this key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ApiError> {
        let failed = |_| ApiError::Internal(format!("{} signing failed", alg_name(self.alg)));
        let rng = SystemRandom::new();
        match &self.private {
            Private::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(rsa_padding(self.alg), &rng, message, &mut out)
                    .map_err(failed)?;
                Ok(out)
            }
            Private::Ec(pair) => Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
            Private::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

fn ec_signing(alg: Algorithm) -> &'static signature::EcdsaSigningAlgorithm {
    if alg == Algorithm::ES384 {
        &signature::ECDSA_P384_SHA384_FIXED_SIGNING
    } else {
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING
    }
}

fn rsa_padding(alg: Algorithm) -> &'static dyn signature::RsaEncoding {
    match alg {
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        _ => &signature::RSA_PKCS1_SHA256,
    }
}

fn pem_text(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

/// One line of `GET /api/dev/keys`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyInfo {
    /// The key's id (its RFC 7638 thumbprint).
    pub kid: String,
    /// Its algorithm.
    pub alg: String,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// Whether it is the key that signs now.
    pub current: bool,
}

/// Where the start key comes from.
enum Source {
    /// Generated on the blocking pool when first needed (or warmed up).
    Generate,
    /// Loaded from `JWT_PRIVATE_KEY_FILE` at start.
    Loaded(Arc<SigningKey>),
}

/// The current key, and every retired key that still verifies.
pub struct KeySet {
    /// The algorithm every asymmetric key of the set uses.
    alg: Algorithm,
    source: Source,
    /// The key of the start, made once; a reset brings it back.
    start: OnceCell<Arc<SigningKey>>,
    /// Keys added by rotation, oldest first; the last is current. Empty
    /// means the start key is current and the only one.
    rotated: RwLock<Vec<Arc<SigningKey>>>,
    /// Whether the start key was retired (possible once another is current).
    start_retired: RwLock<bool>,
    /// A key the server never publishes: `sign: "foreign"` and `unknown_kid`.
    foreign: OnceCell<Arc<SigningKey>>,
    /// The server's clock, for the keys' `created_at`.
    clock: Arc<Clock>,
}

impl KeySet {
    /// A set whose start key is generated for `alg` when first needed.
    pub fn generated(alg: Algorithm, clock: Arc<Clock>) -> Self {
        Self::with_source(alg, Source::Generate, clock)
    }

    /// A set whose start key is `key` (from `JWT_PRIVATE_KEY_FILE`).
    pub fn loaded(key: SigningKey, clock: Arc<Clock>) -> Self {
        Self::with_source(key.alg, Source::Loaded(Arc::new(key)), clock)
    }

    fn with_source(alg: Algorithm, source: Source, clock: Arc<Clock>) -> Self {
        Self {
            alg,
            source,
            start: OnceCell::new(),
            rotated: RwLock::new(Vec::new()),
            start_retired: RwLock::new(false),
            foreign: OnceCell::new(),
            clock,
        }
    }

    /// The asymmetric algorithm of the set.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The start key, generating it on the blocking pool if need be.
    async fn start_key(&self) -> Result<Arc<SigningKey>, ApiError> {
        self.start
            .get_or_try_init(|| async {
                match &self.source {
                    Source::Loaded(key) => Ok(key.clone()),
                    Source::Generate => spawn_generate(self.alg, self.clock.now()).await,
                }
            })
            .await
            .cloned()
    }

    /// Makes the start key now, so that no request waits for it later.
    pub async fn warm_up(&self) {
        if let Err(error) = self.start_key().await {
            tracing::error!(%error, "cannot make the signing key");
        }
    }

    /// The key that signs now.
    pub async fn current(&self) -> Result<Arc<SigningKey>, ApiError> {
        if let Some(key) = read(&self.rotated).last() {
            return Ok(key.clone());
        }
        self.start_key().await
    }

    /// The key with this `kid`, if it still verifies.
    pub async fn find(&self, kid: &str) -> Result<Option<Arc<SigningKey>>, ApiError> {
        Ok(self.all().await?.into_iter().find(|key| key.kid == kid))
    }

    /// Every key that verifies, oldest first (the last one is current).
    pub async fn all(&self) -> Result<Vec<Arc<SigningKey>>, ApiError> {
        let start = self.start_key().await?;
        let mut keys = Vec::new();
        if !*read(&self.start_retired) {
            keys.push(start);
        }
        keys.extend(read(&self.rotated).iter().cloned());
        Ok(keys)
    }

    /// The JWKS document (RFC 7517): every key that verifies, public halves only.
    pub async fn jwks(&self) -> Result<Value, ApiError> {
        let keys: Vec<Value> = self
            .all()
            .await?
            .iter()
            .map(|key| key.jwk.clone())
            .collect();
        Ok(json!({ "keys": keys }))
    }

    /// The keys as `GET /api/dev/keys` lists them.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, ApiError> {
        let keys = self.all().await?;
        let current = keys.last().map(|key| key.kid.clone());
        Ok(keys
            .iter()
            .map(|key| KeyInfo {
                kid: key.kid.clone(),
                alg: alg_name(key.alg).to_owned(),
                created_at: crate::store::rfc3339(key.created_at),
                current: current.as_deref() == Some(key.kid.as_str()),
            })
            .collect())
    }

    /// Makes a new key current; the previous one keeps verifying.
    pub async fn rotate(&self) -> Result<Arc<SigningKey>, ApiError> {
        self.start_key().await?;
        let key = spawn_generate(self.alg, self.clock.now()).await?;
        write(&self.rotated).push(key.clone());
        Ok(key)
    }

    /// Drops a key from the set: its tokens stop verifying. The current key
    /// cannot be retired (422), an unknown one is 404.
    pub async fn retire(&self, kid: &str) -> Result<(), ApiError> {
        let keys = self.all().await?;
        let Some(position) = keys.iter().position(|key| key.kid == kid) else {
            return Err(ApiError::NotFound(format!("key {kid}")));
        };
        if position + 1 == keys.len() {
            return Err(ApiError::Validation(format!(
                "kid: {kid} is the current key; rotate first, then retire it"
            )));
        }
        let start = self.start_key().await?;
        if start.kid == kid {
            *write(&self.start_retired) = true;
        } else {
            write(&self.rotated).retain(|key| key.kid != kid);
        }
        Ok(())
    }

    /// Back to the key set of the start: its first key current, rotated ones dropped.
    pub fn reset(&self) {
        write(&self.rotated).clear();
        *write(&self.start_retired) = false;
    }

    /// A key of the same algorithm that the server never publishes.
    pub async fn foreign(&self) -> Result<Arc<SigningKey>, ApiError> {
        self.foreign
            .get_or_try_init(|| spawn_generate(self.alg, self.clock.now()))
            .await
            .cloned()
    }

    /// A never-published key for another algorithm (`alg` overrides of dev tokens).
    pub async fn foreign_for(&self, alg: Algorithm) -> Result<Arc<SigningKey>, ApiError> {
        if alg == self.alg {
            return self.foreign().await;
        }
        spawn_generate(alg, self.clock.now()).await
    }
}

/// Key generation on the blocking pool: an RSA key costs tens of
/// milliseconds, which must not stall an async worker.
async fn spawn_generate(alg: Algorithm, at: OffsetDateTime) -> Result<Arc<SigningKey>, ApiError> {
    tokio::task::spawn_blocking(move || SigningKey::generate(alg, at))
        .await
        .map_err(|error| ApiError::Internal(format!("key generation task failed: {error}")))?
        .map(Arc::new)
        .map_err(ApiError::Internal)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASYMMETRIC: [Algorithm; 7] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    #[test]
    fn every_algorithm_makes_a_key_whose_pem_loads_back_with_the_same_kid() {
        for alg in ASYMMETRIC {
            let key = SigningKey::generate(alg, OffsetDateTime::UNIX_EPOCH).unwrap();
            let pem = key.private_pem().unwrap();
            let loaded = SigningKey::from_pem(alg, &pem, OffsetDateTime::UNIX_EPOCH).unwrap();
            assert_eq!(key.kid, loaded.kid, "{alg:?}");
            assert_eq!(key.jwk["alg"], alg_name(alg));
            assert!(key.jwk.get("d").is_none(), "no private member in the JWK");
        }
    }

    #[test]
    fn a_key_of_the_wrong_type_is_refused() {
        let ec = SigningKey::generate(Algorithm::ES256, OffsetDateTime::UNIX_EPOCH).unwrap();
        let pem = ec.private_pem().unwrap();
        assert!(SigningKey::from_pem(Algorithm::RS256, &pem, OffsetDateTime::UNIX_EPOCH).is_err());
        assert!(SigningKey::from_pem(Algorithm::ES384, &pem, OffsetDateTime::UNIX_EPOCH).is_err());
        assert!(
            SigningKey::from_pem(Algorithm::ES256, "garbage", OffsetDateTime::UNIX_EPOCH).is_err()
        );
    }

    #[test]
    fn the_kid_is_the_rfc7638_thumbprint() {
        // RFC 7638 section 3.1's example key and thumbprint.
        let jwk = json!({"e": "AQAB", "kty": "RSA", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        let kid = b64url(digest::digest(&digest::SHA256, jwk.to_string().as_bytes()).as_ref());
        assert_eq!(kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[tokio::test]
    async fn rotation_keeps_the_old_key_until_it_is_retired() {
        let set = KeySet::generated(Algorithm::ES256, Arc::default());
        let first = set.current().await.unwrap();
        let second = set.rotate().await.unwrap();
        assert_eq!(set.current().await.unwrap().kid, second.kid);
        assert!(set.find(&first.kid).await.unwrap().is_some());
        assert_eq!(
            set.jwks().await.unwrap()["keys"].as_array().unwrap().len(),
            2
        );
        assert_eq!(
            set.retire(&second.kid).await.unwrap_err().code(),
            "validation_error"
        );
        set.retire(&first.kid).await.unwrap();
        assert!(set.find(&first.kid).await.unwrap().is_none());
        assert_eq!(set.retire("nope").await.unwrap_err().code(), "not_found");
        set.reset();
        assert_eq!(set.current().await.unwrap().kid, first.kid);
        assert_eq!(set.list().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_foreign_key_is_never_in_the_jwks() {
        let set = KeySet::generated(Algorithm::EdDSA, Arc::default());
        let foreign = set.foreign().await.unwrap();
        assert!(set.find(&foreign.kid).await.unwrap().is_none());
    }
}
