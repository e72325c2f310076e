//! The grants of the token endpoint, one file each, behind one enum.

pub mod authorization_code;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;

use crate::error::ApiError;
use crate::oauth::form::Params;

/// A token request, parsed from the form.
pub enum Grant {
    /// RFC 6749 4.1.3 + RFC 7636.
    AuthorizationCode(authorization_code::Request),
    /// RFC 6749 6.
    RefreshToken(refresh_token::Request),
    /// RFC 6749 4.3.
    Password(password::Request),
    /// RFC 6749 4.4.
    ClientCredentials(client_credentials::Request),
}

impl Grant {
    /// Parses `grant_type` and its parameters.
    pub fn parse(params: &Params) -> Result<Self, ApiError> {
        let owned = |key: &str| params.require(key).map(str::to_owned);
        let scope = params.get("scope").map(str::to_owned);
        Ok(match params.require("grant_type")? {
            "authorization_code" => Self::AuthorizationCode(authorization_code::Request {
                code: owned("code")?,
                redirect_uri: params.get("redirect_uri").map(str::to_owned),
                code_verifier: params.get("code_verifier").map(str::to_owned),
            }),
            "refresh_token" => Self::RefreshToken(refresh_token::Request {
                refresh_token: owned("refresh_token")?,
                scope,
            }),
            "password" => Self::Password(password::Request {
                username: owned("username")?,
                password: owned("password")?,
                scope,
            }),
            "client_credentials" => Self::ClientCredentials(client_credentials::Request { scope }),
            other => {
                return Err(ApiError::oauth(
                    "unsupported_grant_type",
                    format!("Grant type '{other}' is not supported"),
                ));
            }
        })
    }

    /// The RFC name of the grant.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AuthorizationCode(_) => "authorization_code",
            Self::RefreshToken(_) => "refresh_token",
            Self::Password(_) => "password",
            Self::ClientCredentials(_) => "client_credentials",
        }
    }
}

/// `invalid_grant` with a sentence.
pub fn invalid_grant(description: impl Into<String>) -> ApiError {
    ApiError::oauth("invalid_grant", description)
}
