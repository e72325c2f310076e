//! Configuration: every setting of the contract as a flag and an environment
//! variable (clap derive + env), with `.env` loading and start-up validation.
//!
//! Precedence is flag > environment > `.env` > default. clap gives the first
//! two and the last; `.env` is loaded into the environment before parsing by
//! [`load_env_file`], and dotenvy never overrides a variable already set.

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{ArgAction, Parser, ValueEnum};
use jsonwebtoken::Algorithm;

/// The secret the chat-api's `.env` uses; binding it on a public address is warned about.
pub const DEFAULT_JWT_SECRET: &str = "dev-secret-key-change-in-production";

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// JWT signing algorithm: HMAC with the shared secret, or an asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 (default).
    #[value(name = "HS256", alias = "hs256")]
    Hs256,
    /// HMAC-SHA384.
    #[value(name = "HS384", alias = "hs384")]
    Hs384,
    /// HMAC-SHA512.
    #[value(name = "HS512", alias = "hs512")]
    Hs512,
    /// RSA PKCS#1 v1.5 with SHA-256 (RSA 2048 key).
    #[value(name = "RS256", alias = "rs256")]
    Rs256,
    /// RSA PKCS#1 v1.5 with SHA-384.
    #[value(name = "RS384", alias = "rs384")]
    Rs384,
    /// RSA PKCS#1 v1.5 with SHA-512.
    #[value(name = "RS512", alias = "rs512")]
    Rs512,
    /// RSA-PSS with SHA-256.
    #[value(name = "PS256", alias = "ps256")]
    Ps256,
    /// ECDSA P-256 with SHA-256.
    #[value(name = "ES256", alias = "es256")]
    Es256,
    /// ECDSA P-384 with SHA-384.
    #[value(name = "ES384", alias = "es384")]
    Es384,
    /// Ed25519.
    #[value(name = "EdDSA", alias = "eddsa", alias = "EDDSA")]
    EdDsa,
}

impl From<JwtAlgorithm> for Algorithm {
    fn from(alg: JwtAlgorithm) -> Self {
        match alg {
            JwtAlgorithm::Hs256 => Algorithm::HS256,
            JwtAlgorithm::Hs384 => Algorithm::HS384,
            JwtAlgorithm::Hs512 => Algorithm::HS512,
            JwtAlgorithm::Rs256 => Algorithm::RS256,
            JwtAlgorithm::Rs384 => Algorithm::RS384,
            JwtAlgorithm::Rs512 => Algorithm::RS512,
            JwtAlgorithm::Ps256 => Algorithm::PS256,
            JwtAlgorithm::Es256 => Algorithm::ES256,
            JwtAlgorithm::Es384 => Algorithm::ES384,
            JwtAlgorithm::EdDsa => Algorithm::EdDSA,
        }
    }
}

impl JwtAlgorithm {
    /// Whether it is one of the HMAC algorithms.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::Hs256 | Self::Hs384 | Self::Hs512)
    }
}

/// What a second use of a rotated refresh token does (`REFRESH_REUSE`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    ValueEnum,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshReuse {
    /// Refuse it (`token_revoked` / `invalid_grant`).
    Reject,
    /// Refuse it and revoke every token of its login (RFC 9700 4.14).
    RevokeFamily,
}

/// Signing keys, issuer names and the public URL (contract section 8).
#[derive(Debug, Clone, clap::Args)]
pub struct KeyConfig {
    /// Algorithm of ID tokens (and of the key set) when JWT_ALGORITHM is HS*: RS256, RS384, RS512, PS256, ES256, ES384 or EdDSA.
    #[arg(
        long,
        env = "ID_TOKEN_ALGORITHM",
        value_enum,
        default_value = "RS256",
        ignore_case = true
    )]
    pub id_token_algorithm: JwtAlgorithm,

    /// PEM (PKCS#8) private key to sign with instead of a key generated at start.
    #[arg(long, env = "JWT_PRIVATE_KEY_FILE", value_name = "PATH", value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Base of every URL in the discovery metadata (default: http://HOST:PORT as bound).
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Further `iss` values this server's own verification accepts, comma-separated.
    #[arg(long, env = "JWT_ISSUER_ALIASES", default_value = "")]
    pub jwt_issuer_aliases: String,
}

impl KeyConfig {
    /// The aliases, trimmed, empty entries dropped.
    pub fn issuer_aliases(&self) -> Vec<String> {
        self.jwt_issuer_aliases
            .split(',')
            .map(str::trim)
            .filter(|alias| !alias.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// OAuth 2.0 / OpenID Connect settings (contract section 9).
#[derive(Debug, Clone, clap::Args)]
pub struct OAuthConfig {
    /// JSON file of OAuth clients; when set, only those clients are accepted.
    #[arg(long, env = "OAUTH_CLIENTS_FILE", value_name = "PATH", value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub oauth_clients_file: Option<PathBuf>,
}

/// The test control plane and the journal (contract sections 10 and 11).
#[derive(Debug, Clone, clap::Args)]
pub struct DevConfig {
    /// When set, every dev endpoint requires it as header X-Dev-Api-Key.
    #[arg(long, env = "DEV_API_KEY", hide_env_values = true)]
    pub dev_api_key: Option<String>,

    /// Reuse of a rotated refresh token: reject, or revoke-family (RFC 9700 4.14).
    #[arg(
        long,
        env = "REFRESH_REUSE",
        value_enum,
        default_value = "reject",
        ignore_case = true
    )]
    pub refresh_reuse: RefreshReuse,

    /// Fake users added at start after the seed users (0 to 100000).
    #[arg(long, env = "SEED_FAKE_USERS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub seed_fake_users: u32,

    /// Seed of the fake users' generator: the same seed gives the same users.
    #[arg(long, env = "SEED_FAKE_USERS_SEED", default_value_t = 0)]
    pub seed_fake_users_seed: u64,

    /// Requests the journal keeps (0 turns it off).
    #[arg(long, env = "JOURNAL_SIZE", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub journal_size: u32,
}

/// The server's whole configuration (see the README's configuration table).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "mock-auth-server",
    version,
    about = "A mock authentication server for local development and CI: real JWTs for known test users."
)]
pub struct Config {
    /// `.env` file to load (default: `.env` in the working directory, if present).
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// Address to bind (use 0.0.0.0 in a container).
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to bind; 0 lets the system pick a free one.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,

    /// HMAC secret the tokens are signed with; the chat-api must use the same.
    #[arg(long, env = "JWT_SECRET", default_value = DEFAULT_JWT_SECRET, value_parser = non_empty, hide_env_values = true)]
    pub jwt_secret: String,

    /// Signing algorithm of access and refresh tokens: HS256, HS384, HS512, RS256, RS384, RS512, PS256, ES256, ES384 or EdDSA.
    #[arg(
        long,
        env = "JWT_ALGORITHM",
        value_enum,
        default_value = "HS256",
        ignore_case = true
    )]
    pub jwt_algorithm: JwtAlgorithm,

    /// `iss` claim put in and required of every token.
    #[arg(long, env = "JWT_ISSUER", default_value = "mock-auth-server", value_parser = non_empty)]
    pub jwt_issuer: String,

    /// `aud` claim; when set, put in and required of every token.
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Access token lifetime in minutes.
    #[arg(long, env = "ACCESS_TOKEN_EXPIRE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=525_600))]
    pub access_token_expire_minutes: u64,

    /// Refresh token lifetime in days.
    #[arg(long, env = "REFRESH_TOKEN_EXPIRE_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub refresh_token_expire_days: u64,

    /// bcrypt cost (4 to 31); 4 keeps CI fast, 10-12 mimics production latency.
    #[arg(long, env = "BCRYPT_COST", default_value_t = 4, value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,

    /// JSON file of seed users replacing the five defaults.
    #[arg(long, env = "SEED_USERS_FILE", value_name = "PATH", value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub seed_users_file: Option<PathBuf>,

    /// Serve the dev endpoints (users list, reset, metrics); false answers 404.
    #[arg(long, env = "ENABLE_DEV_ENDPOINTS", default_value_t = true, action = ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub enable_dev_endpoints: bool,

    /// Allowed CORS origins: `*` or a comma-separated list.
    #[arg(long, env = "CORS_ORIGINS", default_value = "*")]
    pub cors_origins: String,

    /// Largest accepted request body in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=1_073_741_824))]
    pub max_body_bytes: u64,

    /// Seconds a client has to send its request head; also closes idle
    /// connections, including ones that never send a byte.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,

    /// Lower bound of the random delay added to `/api/auth/*` (ms).
    #[arg(long, env = "MOCK_DELAY_MIN_MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub mock_delay_min_ms: u64,

    /// Upper bound of the random delay added to `/api/auth/*` (ms).
    #[arg(long, env = "MOCK_DELAY_MAX_MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub mock_delay_max_ms: u64,

    /// Fraction of `/api/auth/*` requests answered with MOCK_ERROR_STATUS (0.0 to 1.0).
    #[arg(long, env = "MOCK_ERROR_RATE", default_value_t = 0.0, value_parser = error_rate)]
    pub mock_error_rate: f64,

    /// Status of the randomly injected errors (400 to 599).
    #[arg(long, env = "MOCK_ERROR_STATUS", default_value_t = 500, value_parser = clap::value_parser!(u16).range(400..=599))]
    pub mock_error_status: u16,

    /// Log format: pretty or json (the level comes from RUST_LOG).
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        ignore_case = true
    )]
    pub log_format: LogFormat,

    /// Keys, issuer and public URL.
    #[command(flatten)]
    pub keys: KeyConfig,

    /// OAuth 2.0 and OpenID Connect.
    #[command(flatten)]
    pub oauth: OAuthConfig,

    /// Control plane and journal.
    #[command(flatten)]
    pub dev: DevConfig,
}

impl Default for Config {
    /// The contract's defaults, without reading the environment (for tests and embedding).
    fn default() -> Self {
        // Parsing no arguments with a cleared env view is not possible in clap,
        // so the defaults come from parsing through a command with env disabled.
        let command =
            <Self as clap::CommandFactory>::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command.get_matches_from(["mock-auth-server"]);
        <Self as clap::FromArgMatches>::from_arg_matches(&matches)
            .unwrap_or_else(|error| unreachable!("defaults must parse: {error}"))
    }
}

/// The environment variable of every setting, in `--help` order.
pub fn variable_names() -> Vec<String> {
    <Config as clap::CommandFactory>::command()
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect()
}

impl Config {
    /// Treats an empty optional setting (`JWT_AUDIENCE=` in a `.env`) as unset.
    pub fn normalized(mut self) -> Self {
        if self
            .jwt_audience
            .as_deref()
            .is_some_and(|a| a.trim().is_empty())
        {
            self.jwt_audience = None;
        }
        if self
            .seed_users_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            self.seed_users_file = None;
        }
        for path in [
            &mut self.keys.jwt_private_key_file,
            &mut self.oauth.oauth_clients_file,
        ] {
            if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                *path = None;
            }
        }
        if self
            .keys
            .public_url
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            self.keys.public_url = None;
        }
        if self
            .dev
            .dev_api_key
            .as_deref()
            .is_some_and(|k| k.is_empty())
        {
            self.dev.dev_api_key = None;
        }
        self
    }

    /// The algorithm of the asymmetric key set: JWT_ALGORITHM when it is
    /// asymmetric, otherwise ID_TOKEN_ALGORITHM.
    pub fn asymmetric_algorithm(&self) -> Algorithm {
        if self.jwt_algorithm.is_hmac() {
            self.keys.id_token_algorithm.into()
        } else {
            self.jwt_algorithm.into()
        }
    }

    /// Whether `JWT_ISSUER` is an absolute http(s) URL (then it is the OIDC issuer too).
    pub fn issuer_is_url(&self) -> bool {
        self.jwt_issuer.starts_with("http://") || self.jwt_issuer.starts_with("https://")
    }

    /// Checks what single values cannot: relations between settings.
    pub fn validate(&self) -> Result<(), String> {
        if self.keys.id_token_algorithm.is_hmac() {
            return Err("ID_TOKEN_ALGORITHM (--id-token-algorithm) must be asymmetric: RS256, RS384, RS512, PS256, ES256, ES384 or EdDSA".to_owned());
        }
        if let Some(url) = &self.keys.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!(
                "PUBLIC_URL (--public-url): '{url}' is not an absolute http(s) URL"
            ));
        }
        if self.mock_delay_min_ms > self.mock_delay_max_ms {
            return Err(format!(
                "MOCK_DELAY_MIN_MS (--mock-delay-min-ms) is {} but MOCK_DELAY_MAX_MS is {}: the minimum must not exceed the maximum",
                self.mock_delay_min_ms, self.mock_delay_max_ms
            ));
        }
        if let Some(origins) = self.cors_origin_list()
            && let Some(bad) = origins.iter().find(|origin| !is_origin(origin))
        {
            return Err(format!(
                "CORS_ORIGINS (--cors-origins): '{bad}' is not an origin such as http://localhost:3000 (scheme://host[:port], no path), nor *"
            ));
        }
        Ok(())
    }

    /// The allowed CORS origins, or `None` for any origin.
    pub fn cors_origin_list(&self) -> Option<Vec<String>> {
        let origins: Vec<String> = self
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(str::to_owned)
            .collect();
        if origins.is_empty() || origins.iter().any(|origin| origin == "*") {
            None
        } else {
            Some(origins)
        }
    }

    /// Whether the server binds an address reachable from other machines.
    pub fn is_public_bind(&self) -> bool {
        !self.host.is_loopback()
    }
}

/// Parses the process arguments after loading `.env`; prints a short error and
/// exits non-zero on any invalid setting (clap's own exit for `--help`).
pub fn load() -> Result<Config, String> {
    let args: Vec<OsString> = std::env::args_os().collect();
    load_env_file(&args)?;
    let config = match Config::try_parse_from(&args) {
        Ok(config) => config.normalized(),
        Err(error) => return Err(describe_clap_error(error)),
    };
    config.validate()?;
    Ok(config)
}

/// `scheme://host[:port]` as a browser sends it in `Origin`: no path, no
/// spaces, no trailing slash.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let authority_ok = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']' | '_'));
    scheme_ok && authority_ok
}

/// Loads `--env-file PATH` (which must exist) or `./.env` (if it exists).
fn load_env_file(args: &[OsString]) -> Result<(), String> {
    let explicit = args.iter().enumerate().find_map(|(i, arg)| {
        let arg = arg.to_str()?;
        if arg == "--env-file" {
            args.get(i + 1).map(PathBuf::from)
        } else {
            arg.strip_prefix("--env-file=").map(PathBuf::from)
        }
    });
    match explicit {
        Some(path) => dotenvy::from_path(&path)
            .map(|_| ())
            .map_err(|error| format!("--env-file {}: {error}", path.display())),
        // `dotenvy::dotenv()` would also search every parent directory, so a
        // stray `~/.env` could configure the mock; the contract says the
        // working directory only.
        None => match dotenvy::from_path(".env") {
            Ok(()) => Ok(()),
            Err(error) if error.not_found() => Ok(()),
            Err(error) => Err(format!(".env: {error}")),
        },
    }
}

/// Turns a clap error into one line naming both the flag and its variable.
/// `--help` and `--version` print and exit here, as clap intends.
fn describe_clap_error(error: clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        error.exit();
    }
    let arg = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    let long = arg.split_whitespace().next().unwrap_or_default();
    let env = <Config as clap::CommandFactory>::command()
        .get_arguments()
        .find(|candidate| candidate.get_long().map(|l| format!("--{l}")).as_deref() == Some(long))
        .and_then(|candidate| {
            candidate
                .get_env()
                .map(|env| env.to_string_lossy().into_owned())
        });
    let first_line = error
        .to_string()
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    match env {
        Some(env) => format!("{first_line} (environment variable {env})"),
        None => first_line,
    }
}

fn non_empty(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

fn error_rate(value: &str) -> Result<f64, String> {
    let rate: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("'{value}' is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{rate} is outside 0.0 to 1.0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_lists_every_setting_with_an_env_name() {
        let names = variable_names();
        assert_eq!(names.len(), 29, "{names:?}");
        for name in ["HOST", "JWT_SECRET", "MOCK_ERROR_STATUS", "LOG_FORMAT"] {
            assert!(names.iter().any(|n| n == name), "{name} missing");
        }
    }

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        let command =
            <Config as clap::CommandFactory>::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command.try_get_matches_from(
            std::iter::once("mock-auth-server").chain(args.iter().copied()),
        )?;
        <Config as clap::FromArgMatches>::from_arg_matches(&matches)
    }

    #[test]
    fn defaults_match_the_contract() {
        let config = Config::default();
        assert_eq!(config.port, 8000);
        assert_eq!(config.host.to_string(), "127.0.0.1");
        assert_eq!(config.jwt_secret, DEFAULT_JWT_SECRET);
        assert_eq!(config.jwt_algorithm, JwtAlgorithm::Hs256);
        assert_eq!(config.access_token_expire_minutes, 30);
        assert_eq!(config.refresh_token_expire_days, 7);
        assert_eq!(config.bcrypt_cost, 4);
        assert!(config.enable_dev_endpoints);
        assert_eq!(config.max_body_bytes, 65_536);
        assert_eq!(config.mock_error_status, 500);
        assert!(config.jwt_audience.is_none());
    }

    #[test]
    fn error_rate_above_one_is_refused() {
        assert!(parse(&["--mock-error-rate", "2"]).is_err());
        assert!(parse(&["--mock-error-rate", "0.5"]).is_ok());
    }

    #[test]
    fn empty_secret_is_refused() {
        assert!(parse(&["--jwt-secret", " "]).is_err());
    }

    #[test]
    fn delay_minimum_above_maximum_is_refused() {
        let config = parse(&["--mock-delay-min-ms", "50", "--mock-delay-max-ms", "10"]).unwrap();
        assert!(config.validate().unwrap_err().contains("MOCK_DELAY_MIN_MS"));
    }

    #[test]
    fn empty_audience_and_seed_file_mean_unset() {
        let config = parse(&["--jwt-audience", "", "--seed-users-file", ""])
            .unwrap()
            .normalized();
        assert!(config.jwt_audience.is_none() && config.seed_users_file.is_none());
    }

    #[test]
    fn dev_endpoints_flag_accepts_false() {
        assert!(
            !parse(&["--enable-dev-endpoints", "false"])
                .unwrap()
                .enable_dev_endpoints
        );
    }

    #[test]
    fn cors_list_is_split_and_star_means_any() {
        let config = parse(&["--cors-origins", "http://a.test, http://b.test"]).unwrap();
        assert_eq!(
            config.cors_origin_list().unwrap(),
            ["http://a.test", "http://b.test"]
        );
        assert!(Config::default().cors_origin_list().is_none());
    }

    #[test]
    fn a_cors_entry_that_is_not_an_origin_is_refused_naming_the_setting() {
        for bad in [
            "localhost:3000",
            "http://a.test/app",
            "http://a b.test",
            "http://",
        ] {
            let config = parse(&["--cors-origins", &format!("http://ok.test,{bad}")]).unwrap();
            let error = config.validate().unwrap_err();
            assert!(
                error.starts_with("CORS_ORIGINS") && error.contains(bad),
                "{error}"
            );
        }
        let good = parse(&[
            "--cors-origins",
            "http://localhost:3000, https://[::1]:8443",
        ])
        .unwrap();
        assert!(good.validate().is_ok());
    }

    #[test]
    fn algorithm_is_case_insensitive() {
        assert_eq!(
            parse(&["--jwt-algorithm", "hs512"]).unwrap().jwt_algorithm,
            JwtAlgorithm::Hs512
        );
        assert!(parse(&["--jwt-algorithm", "none"]).is_err());
    }
}
