//! `serve`'s settings: the listener, its limits, `--auth` and its key,
//! CORS origins and TLS files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::cli::{AuthChoice, ServeArgs};
use crate::duration::parse_duration;
use crate::error;
use crate::event::ChannelTemplate;
use crate::pubsub::{Subscriptions, Target};

use super::check::flag;
use super::{needs_redis, Needs};

/// `serve`'s settings.
pub struct ServeConfig {
    /// The Redis server or cluster serve subscribes to, once.
    pub redis: Target,
    /// serve's own subscriptions; a client narrows them, never widens.
    pub subscriptions: Subscriptions,
    /// --listen, checked: a loopback address, or --no-auth given.
    pub listen: std::net::SocketAddr,
    /// The publisher's channel template, to match Kafka events to patterns.
    pub channel: ChannelTemplate,
    /// --client-queue: bytes queued for one client.
    pub client_queue: usize,
    /// --max-clients.
    pub max_clients: usize,
    /// --heartbeat.
    pub heartbeat: Duration,
    /// --retry: the SSE reconnection delay.
    pub retry: Duration,
    /// --header-timeout.
    pub header_timeout: Duration,
    /// --queue: messages between Redis and the fan-out.
    pub queue: usize,
    /// --auth: how a client's JWT is checked; none without it.
    pub auth: Option<ServeAuth>,
    /// --allow-origin: the origins (or `*`) CORS lets read.
    pub allow_origins: Vec<String>,
    /// --tls-cert and --tls-key.
    pub tls: Option<ServeTls>,
}

/// `serve --auth`: the key a client's JWT must be signed with, and the
/// `aud`/`iss` it must carry when given.
pub struct ServeAuth {
    pub key: AuthKey,
    pub audience: Vec<String>,
    pub issuer: Vec<String>,
}

/// The key of `serve --auth`, read but not parsed (`serve::auth` does).
pub enum AuthKey {
    /// HS256: the secret's bytes, and where they came from (never the bytes
    /// themselves in a message).
    Secret { bytes: Vec<u8>, from: String },
    /// RS256: a PEM public key and its file.
    Rsa { pem: Vec<u8>, file: PathBuf },
    /// EdDSA (Ed25519): a PEM public key and its file.
    Ed { pem: Vec<u8>, file: PathBuf },
}

/// The environment variable holding `serve --auth hs256`'s secret when no
/// `--auth-secret-file` is given: never a flag, which `ps` would show.
const AUTH_SECRET_ENV: &str = "DUALSTREAM_AUTH_SECRET";

/// `serve --tls-cert/--tls-key`: PEM files, read by `serve::tls`.
pub struct ServeTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub(super) fn serve(args: &ServeArgs) -> Result<Needs<ServeConfig>> {
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        error::usage(format!(
            "--listen {}: expected ADDRESS:PORT (127.0.0.1:8080, [::1]:8080)",
            args.listen
        ))
    })?;
    if !listen.ip().is_loopback() && !args.no_auth && args.auth.is_none() {
        return Err(error::usage(format!(
            "--listen {listen} is not a loopback address: anyone who reaches it would read every \
             event; give --auth to require a token, or --no-auth to serve it open"
        )));
    }
    let auth = serve_auth(args)?;
    let allow_origins = args
        .allow_origin
        .iter()
        .map(|o| check_origin(o))
        .collect::<Result<Vec<_>>>()?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(ServeTls {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let given = if args.patterns.is_empty() {
        vec!["events:*".to_string()]
    } else {
        args.patterns.clone()
    };
    if given.iter().any(String::is_empty) {
        return Err(error::usage("an empty channel pattern matches nothing"));
    }
    let subscriptions = Subscriptions::new(&given, args.literal);
    let channel = ChannelTemplate::parse(&args.channel).map_err(error::usage)?;
    let client_queue = flag("--client-queue", parse_bytes(&args.client_queue))?;
    let duration = |name: &str, v: &str| -> Result<Duration> {
        let d = flag(name, parse_duration(v))?;
        if d.is_zero() {
            return Err(error::usage(format!("{name} must be longer than 0")));
        }
        Ok(d)
    };
    let heartbeat = duration("--heartbeat", &args.heartbeat)?;
    let retry = duration("--retry", &args.retry)?;
    let header_timeout = duration("--header-timeout", &args.header_timeout)?;
    if args.max_clients == 0 || args.queue == 0 {
        return Err(error::usage("--max-clients and --queue must be at least 1"));
    }
    let (max_clients, queue) = (args.max_clients, args.queue);
    Ok(Box::new(move |common| {
        Ok(ServeConfig {
            redis: needs_redis(
                common,
                "serve reads Redis: --redis off leaves nothing to serve",
            )?,
            subscriptions,
            listen,
            channel,
            client_queue,
            max_clients,
            heartbeat,
            retry,
            header_timeout,
            queue,
            auth,
            allow_origins,
            tls,
        })
    }))
}

/// `serve --auth` and its key: the secret from `--auth-secret-file` or
/// the environment, or a public key's PEM file; read now, so that a
/// missing file exits 2 before anything connects.
fn serve_auth(args: &ServeArgs) -> Result<Option<ServeAuth>> {
    let read = |flag: &str, file: &Path| {
        std::fs::read(file).map_err(|e| error::usage(format!("{flag} {}: {e}", file.display())))
    };
    let Some(alg) = args.auth else {
        if args.auth_secret_file.is_some() || args.auth_public_key.is_some() {
            return Err(error::usage(
                "--auth-secret-file and --auth-public-key need --auth hs256|rs256|eddsa",
            ));
        }
        return Ok(None);
    };
    let key =
        match (alg, &args.auth_secret_file, &args.auth_public_key) {
            (AuthChoice::Hs256, _, Some(_)) => {
                return Err(error::usage(
                    "--auth hs256 takes a secret (--auth-secret-file or DUALSTREAM_AUTH_SECRET), \
                 not --auth-public-key",
                ))
            }
            (AuthChoice::Rs256 | AuthChoice::EdDsa, Some(_), _) => return Err(error::usage(
                "--auth rs256 and eddsa check with a public key (--auth-public-key FILE), not a \
                 secret",
            )),
            (AuthChoice::Hs256, Some(file), None) => {
                let mut bytes = read("--auth-secret-file", file)?;
                while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    bytes.pop();
                }
                AuthKey::Secret {
                    bytes,
                    from: format!("--auth-secret-file {}", file.display()),
                }
            }
            (AuthChoice::Hs256, None, None) => match std::env::var_os(AUTH_SECRET_ENV) {
                Some(v) => AuthKey::Secret {
                    bytes: v.into_encoded_bytes(),
                    from: AUTH_SECRET_ENV.to_string(),
                },
                None => {
                    return Err(error::usage(format!(
                    "--auth hs256 needs its secret: --auth-secret-file FILE, or {AUTH_SECRET_ENV} \
                     in the environment"
                )))
                }
            },
            (AuthChoice::Rs256 | AuthChoice::EdDsa, None, None) => {
                return Err(error::usage(
                    "--auth rs256 and eddsa need --auth-public-key FILE (PEM)",
                ))
            }
            (AuthChoice::Rs256, None, Some(file)) => AuthKey::Rsa {
                pem: read("--auth-public-key", file)?,
                file: file.clone(),
            },
            (AuthChoice::EdDsa, None, Some(file)) => AuthKey::Ed {
                pem: read("--auth-public-key", file)?,
                file: file.clone(),
            },
        };
    if let AuthKey::Secret { bytes, from } = &key {
        // RFC 7518 3.2: a key of at least the hash's size.
        if bytes.len() < 32 {
            return Err(error::usage(format!(
                "{from}: an HS256 secret needs at least 32 bytes, it has {}",
                bytes.len()
            )));
        }
    }
    if args
        .auth_audience
        .iter()
        .chain(&args.auth_issuer)
        .any(String::is_empty)
    {
        return Err(error::usage(
            "--auth-audience and --auth-issuer cannot be empty",
        ));
    }
    Ok(Some(ServeAuth {
        key,
        audience: args.auth_audience.clone(),
        issuer: args.auth_issuer.clone(),
    }))
}

/// An `--allow-origin` value: `*`, or an exact origin (scheme, host,
/// optional port; no path), as browsers send it in `Origin`.
fn check_origin(origin: &str) -> Result<String> {
    if origin == "*" {
        return Ok(origin.to_string());
    }
    let bad = || {
        error::usage(format!(
            "--allow-origin {origin:?}: expected an origin such as https://app.example.com or \
             http://localhost:3000 (no path, no trailing /), or *"
        ))
    };
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(fine) || rest.starts_with(':') {
        return Err(bad());
    }
    Ok(origin.to_ascii_lowercase())
}

/// `--client-queue`: a size as every size flag takes it
/// ([`crate::duration::parse_size`]), at least 1KiB.
fn parse_bytes(text: &str) -> Result<usize, String> {
    let bytes = crate::duration::parse_size(text)?;
    if bytes < 1024 {
        return Err(format!("{text} is too small: at least 1KiB"));
    }
    usize::try_from(bytes).map_err(|_| format!("{text:?} is too large"))
}
