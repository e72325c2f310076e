//! Microseconds per JWT signature and verification, RS256, ES256 and EdDSA,
//! with the backend this binary was built with: jsonwebtoken on
//! `rust_crypto`, or on `aws_lc_rs` plus aws-lc-rs keys kept parsed (the
//! server's signing path: `src/auth/keys.rs`).
//!
//! Usage: `crypto-bench --keys DIR [--millis N]`; DIR holds `rs256.pem`,
//! `es256.pem` and `ed25519.pem` (PKCS#8) and the same names with `.pub.pem`
//! (SPKI), as scripts/bench.sh makes them with openssl. Each line printed is
//! `crypto<TAB>backend<TAB>alg<TAB>sign|verify<TAB>µs per op`, the median of
//! batches of about 10 ms spread over N ms per figure.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of a typical access token of the server.
#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: String,
    name: String,
    roles: Vec<String>,
    #[serde(rename = "type")]
    token_type: String,
    iat: u64,
    exp: u64,
    jti: String,
    iss: String,
}

fn claims() -> Claims {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Claims {
        sub: "test-user-123".into(),
        email: "alice@example.com".into(),
        name: "Alice Johnson".into(),
        roles: vec!["admin".into(), "user".into()],
        token_type: "access".into(),
        iat: now,
        exp: now + 1800,
        jti: "0190f5a2-7c1e-7b3d-9a4f-1d2e3f405162".into(),
        iss: "mock-auth-server".into(),
    }
}

/// Runs `op` in batches of about 10 ms for `budget`, answers the median
/// microseconds per call: a median of batches shrugs off the other tenants'
/// bursts on a shared machine.
fn measure(budget: Duration, mut op: impl FnMut()) -> f64 {
    for _ in 0..5 {
        op();
    }
    let probe = Instant::now();
    op();
    let one = probe.elapsed().max(Duration::from_nanos(100));
    let per_batch = ((Duration::from_millis(10).as_nanos() / one.as_nanos()) as usize).max(1);
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || start.elapsed() < budget {
        let t = Instant::now();
        for _ in 0..per_batch {
            op();
        }
        samples.push(t.elapsed().as_secs_f64() * 1e6 / per_batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

struct Args {
    keys: std::path::PathBuf,
    budget: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut keys = None;
    let mut millis = 2000u64;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--keys" => keys = Some(value.into()),
            "--millis" => {
                millis = value
                    .parse()
                    .map_err(|_| format!("--millis: not a number: {value}"))?
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Args {
        keys: keys.ok_or("--keys DIR is required")?,
        budget: Duration::from_millis(millis),
    })
}

/// One algorithm's key files and jsonwebtoken keys.
struct Case {
    name: &'static str,
    alg: Algorithm,
    private_pem: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

fn load(args: &Args, name: &'static str, alg: Algorithm, file: &str) -> Result<Case, String> {
    let read = |path: std::path::PathBuf| {
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let private_pem = read(args.keys.join(format!("{file}.pem")))?;
    let public_pem = read(args.keys.join(format!("{file}.pub.pem")))?;
    let bad = |e: jsonwebtoken::errors::Error| format!("{name} key: {e}");
    let (encoding, decoding) = match alg {
        Algorithm::ES256 => (
            EncodingKey::from_ec_pem(&private_pem).map_err(bad)?,
            DecodingKey::from_ec_pem(&public_pem).map_err(bad)?,
        ),
        Algorithm::EdDSA => (
            EncodingKey::from_ed_pem(&private_pem).map_err(bad)?,
            DecodingKey::from_ed_pem(&public_pem).map_err(bad)?,
        ),
        _ => (
            EncodingKey::from_rsa_pem(&private_pem).map_err(bad)?,
            DecodingKey::from_rsa_pem(&public_pem).map_err(bad)?,
        ),
    };
    Ok(Case {
        name,
        alg,
        private_pem,
        encoding,
        decoding,
    })
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.set_issuer(&["mock-auth-server"]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation
}

#[cfg(feature = "rust_crypto")]
const BACKEND: &str = "rust_crypto";
#[cfg(feature = "aws_lc_rs")]
const BACKEND: &str = "aws_lc_rs";

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let cases = [
        load(&args, "RS256", Algorithm::RS256, "rs256")?,
        load(&args, "ES256", Algorithm::ES256, "es256")?,
        load(&args, "EdDSA", Algorithm::EdDSA, "ed25519")?,
    ];
    let claims = claims();
    for case in &cases {
        let mut header = Header::new(case.alg);
        header.kid = Some("bench-key".into());
        let token = jsonwebtoken::encode(&header, &claims, &case.encoding)
            .map_err(|e| format!("{} sign: {e}", case.name))?;
        let rules = validation(case.alg);
        jsonwebtoken::decode::<Claims>(&token, &case.decoding, &rules)
            .map_err(|e| format!("{} verify: {e}", case.name))?;
        let sign = measure(args.budget, || {
            black_box(jsonwebtoken::encode(&header, &claims, &case.encoding).ok());
        });
        let verify = measure(args.budget, || {
            black_box(jsonwebtoken::decode::<Claims>(&token, &case.decoding, &rules).ok());
        });
        println!("crypto\t{BACKEND}\t{}\tsign\t{sign:.1}", case.name);
        println!("crypto\t{BACKEND}\t{}\tverify\t{verify:.1}", case.name);
        #[cfg(feature = "aws_lc_rs")]
        parsed::run(case, &header, &claims, &token, args.budget)?;
    }
    Ok(())
}

/// The server's way: the private key parsed once into an aws-lc-rs key
/// pair that signs the JWS input directly, and (for comparison, the server
/// verifies through jsonwebtoken) the public key parsed once too.
#[cfg(feature = "aws_lc_rs")]
mod parsed {
    use std::hint::black_box;
    use std::time::Duration;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self, KeyPair as _};
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use jsonwebtoken::{Algorithm, Header};

    use super::{Case, Claims, measure};

    enum Private {
        Rsa(aws_lc_rs::rsa::KeyPair),
        Ec(signature::EcdsaKeyPair),
        Ed(signature::Ed25519KeyPair),
    }

    fn der(pem: &[u8]) -> Result<Vec<u8>, String> {
        let text = std::str::from_utf8(pem).map_err(|e| e.to_string())?;
        let body: String = text
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        STANDARD.decode(body).map_err(|e| e.to_string())
    }

    fn sign(private: &Private, rng: &SystemRandom, message: &[u8]) -> Option<Vec<u8>> {
        match private {
            Private::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, rng, message, &mut out)
                    .ok()?;
                Some(out)
            }
            Private::Ec(pair) => Some(pair.sign(rng, message).ok()?.as_ref().to_vec()),
            Private::Ed(pair) => Some(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Header and claims serialised and encoded on every call, as the
    /// server does for each token.
    fn token(
        private: &Private,
        rng: &SystemRandom,
        header: &Header,
        claims: &Claims,
    ) -> Option<String> {
        let head = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).ok()?);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).ok()?);
        let input = format!("{head}.{body}");
        let sig = sign(private, rng, input.as_bytes())?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// Signature, then the claims the server checks (`exp`, `iss`, `type`).
    fn verify(key: &signature::ParsedPublicKey, token: &str) -> Option<Claims> {
        let (input, sig) = token.rsplit_once('.')?;
        let (_, body) = input.split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        key.verify_sig(input.as_bytes(), &sig).ok()?;
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        (claims.exp > claims.iat
            && claims.iss == "mock-auth-server"
            && claims.token_type == "access")
            .then_some(claims)
    }

    pub fn run(
        case: &Case,
        header: &Header,
        claims: &Claims,
        token_of_jsonwebtoken: &str,
        budget: Duration,
    ) -> Result<(), String> {
        let der = der(&case.private_pem)?;
        let bad = |_| format!("{}: aws-lc-rs cannot parse the key", case.name);
        let (private, public, verification): (
            _,
            Vec<u8>,
            &'static dyn signature::VerificationAlgorithm,
        ) = match case.alg {
            Algorithm::ES256 => {
                let pair = signature::EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                )
                .map_err(bad)?;
                let public = pair.public_key().as_ref().to_vec();
                (
                    Private::Ec(pair),
                    public,
                    &signature::ECDSA_P256_SHA256_FIXED,
                )
            }
            Algorithm::EdDSA => {
                let pair =
                    signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(bad)?;
                let public = pair.public_key().as_ref().to_vec();
                (Private::Ed(pair), public, &signature::ED25519)
            }
            _ => {
                let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).map_err(bad)?;
                let public = pair.public_key().as_ref().to_vec();
                (
                    Private::Rsa(pair),
                    public,
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                )
            }
        };
        let key = signature::ParsedPublicKey::new(verification, &public).map_err(bad)?;
        let rng = SystemRandom::new();
        let ours = token(&private, &rng, header, claims)
            .ok_or_else(|| format!("{}: kept-parsed signing failed", case.name))?;
        // Each way's token must pass the other's check: same JWS, two paths.
        verify(&key, &ours)
            .and(verify(&key, token_of_jsonwebtoken))
            .ok_or_else(|| format!("{}: kept-parsed verification failed", case.name))?;
        let sign_us = measure(budget, || {
            black_box(token(&private, &rng, header, claims));
        });
        let verify_us = measure(budget, || {
            black_box(verify(&key, &ours));
        });
        println!("crypto\tkept_parsed\t{}\tsign\t{sign_us:.1}", case.name);
        println!("crypto\tkept_parsed\t{}\tverify\t{verify_us:.1}", case.name);
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("crypto-bench: error: {message}");
            std::process::ExitCode::from(2)
        }
    }
}
