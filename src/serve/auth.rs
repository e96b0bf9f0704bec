//! serve's access: the JWT a client shows (`Authorization: Bearer`, the
//! `access_token` cookie, or `?access_token=`), checked against the one key
//! and algorithm of `--auth` (never the algorithm a token names), `exp`
//! always, `aud`/`iss` when configured; its `channels` claim lists the
//! channel patterns the client may read. No token text, no secret, ever
//! reaches a message or a log line: refusals are in our own words.

use std::collections::HashSet;

use anyhow::Result;
use axum::http::{header, HeaderMap};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::config::{AuthKey, ServeAuth};
use crate::error;

/// The cookie and the query parameter a token may come in.
pub const TOKEN_NAME: &str = "access_token";
/// The longest token taken: longer is refused unread.
const MOST_TOKEN: usize = 8192;

/// The checker of `--auth`.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    /// `--auth`'s name, for refusals.
    alg: &'static str,
}

/// What a valid token allows.
pub struct Grant {
    /// The `channels` claim: names or globs.
    pub channels: Vec<String>,
    /// `exp`, in seconds since the epoch.
    pub expires: u64,
    /// Did the token come in a cookie? (A browser sends cookies with a
    /// WebSocket opened by any page: its `Origin` then matters.)
    pub from_cookie: bool,
}

/// Why a request is not authenticated (401).
pub struct Unauthenticated(pub String);

/// The claims read; others are ignored.
#[derive(Deserialize)]
struct Claims {
    exp: u64,
    #[serde(default)]
    channels: Option<Vec<String>>,
}

impl Verifier {
    /// Parse `--auth`'s key; a bad key is a usage error naming its file.
    pub fn new(auth: &ServeAuth) -> Result<Verifier> {
        let (key, alg, name) = match &auth.key {
            AuthKey::Secret { bytes, from } => (
                DecodingKey::from_secret(bytes)
                    .map_err(|_| error::usage(format!("{from}: not usable as an HS256 secret")))?,
                Algorithm::HS256,
                "hs256",
            ),
            AuthKey::Rsa { pem, file } => (
                DecodingKey::from_rsa_pem(pem).map_err(|_| {
                    error::usage(format!(
                        "--auth-public-key {}: not an RSA public key in PEM",
                        file.display()
                    ))
                })?,
                Algorithm::RS256,
                "rs256",
            ),
            AuthKey::Ed { pem, file } => (
                DecodingKey::from_ed_pem(pem).map_err(|_| {
                    error::usage(format!(
                        "--auth-public-key {}: not an Ed25519 public key in PEM",
                        file.display()
                    ))
                })?,
                Algorithm::EdDSA,
                "eddsa",
            ),
        };
        let mut validation = Validation::new(alg);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims = HashSet::from(["exp".to_string()]);
        if auth.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&auth.audience);
            validation.required_spec_claims.insert("aud".into());
        }
        if !auth.issuer.is_empty() {
            validation.set_issuer(&auth.issuer);
            validation.required_spec_claims.insert("iss".into());
        }
        Ok(Verifier {
            key,
            validation,
            alg: name,
        })
    }

    /// Check the token a request carries: the `Authorization` header wins,
    /// then the cookie, then the query.
    pub fn check(
        &self,
        headers: &HeaderMap,
        query: &[(String, String)],
    ) -> Result<Grant, Unauthenticated> {
        let (token, from_cookie) = find(headers, query)?;
        if token.len() > MOST_TOKEN {
            return Err(Unauthenticated(format!(
                "the access token is longer than {MOST_TOKEN} bytes"
            )));
        }
        let data = jsonwebtoken::decode::<Claims>(token.as_bytes(), &self.key, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidAlgorithm => Unauthenticated(format!(
                    "the access token is not signed with {} (--auth)",
                    self.alg
                )),
                kind => Unauthenticated(format!("the access token {}", words(kind))),
            })?;
        Ok(Grant {
            channels: data.claims.channels.unwrap_or_default(),
            expires: data.claims.exp,
            from_cookie,
        })
    }
}

/// The token of a request, and whether it came in a cookie.
fn find(
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<(String, bool), Unauthenticated> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let text = v
            .to_str()
            .map_err(|_| Unauthenticated("the Authorization header is not text".into()))?;
        let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(Unauthenticated(
                "the Authorization header is not `Bearer <token>`".into(),
            ));
        }
        return Ok((token.trim().to_string(), false));
    }
    for cookies in headers.get_all(header::COOKIE) {
        let Ok(text) = cookies.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if name == TOKEN_NAME && !value.is_empty() {
                    return Ok((value.trim_matches('"').to_string(), true));
                }
            }
        }
    }
    if let Some((_, v)) = query.iter().find(|(k, v)| k == TOKEN_NAME && !v.is_empty()) {
        return Ok((v.clone(), false));
    }
    Err(Unauthenticated(format!(
        "an access token is needed: Authorization: Bearer <token>, the {TOKEN_NAME} cookie, or \
         ?{TOKEN_NAME}="
    )))
}

/// What is wrong with a token, in our words (jsonwebtoken's may quote it).
fn words(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "has expired",
        ErrorKind::ImmatureSignature => "is not valid yet (nbf)",
        ErrorKind::InvalidSignature => "has a signature that does not match the key",
        ErrorKind::InvalidAudience => "is for another audience (aud)",
        ErrorKind::InvalidIssuer => "is from another issuer (iss)",
        ErrorKind::MissingRequiredClaim(c) if c == "exp" => "has no exp claim",
        ErrorKind::MissingRequiredClaim(c) if c == "aud" => "has no aud claim",
        ErrorKind::MissingRequiredClaim(c) if c == "iss" => "has no iss claim",
        ErrorKind::Json(_) | ErrorKind::InvalidClaimFormat(_) => {
            "has claims of the wrong shape (exp a number, channels a list of patterns)"
        }
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidKeyFormat => {
            "does not fit the key"
        }
        _ => "is not a well-formed JWT",
    }
}
