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
                {
                    public_pem(pem, file, &["PUBLIC KEY", "RSA PUBLIC KEY"], "RSA")?;
                    DecodingKey::from_rsa_pem(pem)
                }
                .map_err(|_| {
                    error::usage(format!(
                        "--auth-public-key {}: not an RSA public key in PEM",
                        file.display()
                    ))
                })?,
                Algorithm::RS256,
                "rs256",
            ),
            AuthKey::Ed { pem, file } => (
                {
                    public_pem(pem, file, &["PUBLIC KEY"], "Ed25519")?;
                    DecodingKey::from_ed_pem(pem)
                }
                .map_err(|_| {
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

/// `--auth-public-key`'s PEM must be a public key, labelled one of
/// `labels`. jsonwebtoken takes a private key or a certificate for an RSA
/// public key as well, and then refuses every token as forged: that
/// mistake is said at start instead.
fn public_pem(pem: &[u8], file: &std::path::Path, labels: &[&str], kind: &str) -> Result<()> {
    let text = String::from_utf8_lossy(pem);
    let label = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .map(str::to_string);
    let file = file.display();
    match label {
        Some(l) if labels.contains(&l.as_str()) => Ok(()),
        Some(l) if l.contains("PRIVATE KEY") => Err(error::usage(format!(
            "--auth-public-key {file}: a private key; give its public key (openssl pkey -in \
             {file} -pubout)"
        ))),
        Some(l) => Err(error::usage(format!(
            "--auth-public-key {file}: a PEM {l:?}, not an {kind} public key (BEGIN PUBLIC KEY)"
        ))),
        None => Err(error::usage(format!(
            "--auth-public-key {file}: not PEM; expected an {kind} public key (BEGIN PUBLIC KEY)"
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_file_holds_a_public_key() {
        let file = std::path::Path::new("/keys/k.pem");
        let pem = |label: &str| format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
        let rsa = ["PUBLIC KEY", "RSA PUBLIC KEY"];
        assert!(public_pem(pem("PUBLIC KEY").as_bytes(), file, &rsa, "RSA").is_ok());
        assert!(public_pem(pem("RSA PUBLIC KEY").as_bytes(), file, &rsa, "RSA").is_ok());
        for (text, says) in [
            (pem("PRIVATE KEY"), "a private key"),
            (pem("RSA PRIVATE KEY"), "a private key"),
            (pem("CERTIFICATE"), "\"CERTIFICATE\""),
            ("a-test-secret-of-forty-bytes".to_string(), "not PEM"),
        ] {
            let e = public_pem(text.as_bytes(), file, &rsa, "RSA").unwrap_err();
            let e = format!("{e:#}");
            assert!(e.contains("/keys/k.pem") && e.contains(says), "{e}");
            assert!(!e.contains("AAAA"), "the key's text in {e}");
        }
        assert!(public_pem(
            pem("RSA PUBLIC KEY").as_bytes(),
            file,
            &["PUBLIC KEY"],
            "Ed25519"
        )
        .is_err());
    }
}
