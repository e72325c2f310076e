//! `grant_type=authorization_code`: single use, bound to client, redirect
//! URI and PKCE challenge; a second use revokes what the first one gave.

use aws_lc_rs::digest;

use super::invalid_grant;
use crate::error::ApiResult;
use crate::oauth::sessions::Redeem;
use crate::oauth::token::{Ctx, Login, TokenResponse, issue_for_user};

/// The parameters of this grant.
pub struct Request {
    /// The code.
    pub code: String,
    /// Must equal the authorization request's.
    pub redirect_uri: Option<String>,
    /// RFC 7636 verifier.
    pub code_verifier: Option<String>,
}

/// Exchanges the code.
pub async fn exchange(ctx: &Ctx<'_>, req: Request) -> ApiResult<TokenResponse> {
    let app = ctx.app;
    let now = app.clock.unix();
    let code = match app.oauth.sessions.redeem(&req.code, now) {
        Redeem::Fresh(code) => code,
        Redeem::Reused(tokens) => {
            for (jti, exp, is_refresh) in tokens {
                if is_refresh {
                    app.revoked.revoke_refresh(&jti, exp);
                } else {
                    app.revoked.revoke_access(&jti, exp);
                }
            }
            return Err(invalid_grant(
                "The code was already used; its tokens are revoked",
            ));
        }
        Redeem::Unknown => return Err(invalid_grant("Unknown or expired code")),
    };
    if code.client_id != ctx.client.id {
        return Err(invalid_grant("The code was issued to another client"));
    }
    if req.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    check_pkce(code.challenge.as_ref(), req.code_verifier.as_deref())?;
    let user = app
        .users
        .find_by_id(&code.user_id)
        .filter(|u| !u.disabled)
        .ok_or_else(|| invalid_grant("The user no longer exists or is disabled"))?;
    let answer = issue_for_user(
        ctx,
        Login {
            user: &user,
            scopes: code
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            extra: code.extra.clone(),
            nonce: code.nonce.clone(),
            auth_time: code.auth_time,
        },
    )
    .await?;
    let tokens = ctx.note.read(|data| {
        data.issued
            .iter()
            .map(|t| (t.jti.clone(), t.exp, t.token_type == "refresh"))
            .collect()
    });
    app.oauth.sessions.record_issued(&req.code, tokens);
    Ok(answer)
}

/// RFC 7636 4.6: S256 or plain; a verifier of 43 to 128 unreserved characters.
fn check_pkce(challenge: Option<&(String, String)>, verifier: Option<&str>) -> ApiResult<()> {
    let Some((challenge, method)) = challenge else {
        return match verifier {
            None => Ok(()),
            Some(_) => Err(invalid_grant(
                "code_verifier given but no code_challenge was",
            )),
        };
    };
    let verifier = verifier.ok_or_else(|| invalid_grant("code_verifier is required"))?;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return Err(invalid_grant(
            "code_verifier must be 43 to 128 unreserved characters",
        ));
    }
    let computed = match method.as_str() {
        "S256" => {
            crate::auth::keys::b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
        }
        _ => verifier.to_owned(),
    };
    if computed != *challenge {
        return Err(invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    Ok(())
}
