//! `serve`'s flags.

use std::path::PathBuf;

use clap::Args;

use super::values::AuthChoice;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Channels or globs to subscribe to once, for every client [default: events:*]; a client
    /// narrows them with ?pattern=.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,

    /// Subscribe to every PATTERN as a literal channel name, glob characters included.
    #[arg(long)]
    pub literal: bool,

    /// Address to listen on; any but a loopback address needs --auth or --no-auth.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: String,

    /// Serve a non-loopback --listen address without authentication: anyone who reaches it reads
    /// every event.
    #[arg(long, conflicts_with = "auth")]
    pub no_auth: bool,

    /// Require a JWT signed with this algorithm on every stream (Authorization: Bearer, the
    /// access_token cookie, or ?access_token=); its `channels` claim lists the patterns the
    /// client may read, `exp` is required and checked.
    #[arg(long, value_name = "ALG")]
    pub auth: Option<AuthChoice>,

    /// File holding the --auth hs256 secret (the whole file, a trailing newline dropped); else the
    /// DUALSTREAM_AUTH_SECRET environment variable.
    #[arg(long, value_name = "FILE")]
    pub auth_secret_file: Option<PathBuf>,

    /// PEM file with the public key for --auth rs256 or eddsa.
    #[arg(long, value_name = "FILE")]
    pub auth_public_key: Option<PathBuf>,

    /// The `aud` a token must carry (repeatable: any one of them).
    #[arg(long, value_name = "AUDIENCE", requires = "auth")]
    pub auth_audience: Vec<String>,

    /// The `iss` a token must carry (repeatable: any one of them).
    #[arg(long, value_name = "ISSUER", requires = "auth")]
    pub auth_issuer: Vec<String>,

    /// An origin whose pages may read the streams (exact, as https://app.example.com; repeatable);
    /// `*` lets any page read, without cookies or credentials.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// PEM certificate chain to serve HTTPS and WSS with (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Channel template of the publisher, to match Kafka events to PATTERNs when a client resumes.
    #[arg(
        long,
        default_value = "events:{source_type}:{source_id}",
        value_name = "TEMPLATE"
    )]
    pub channel: String,

    /// Bytes queued for one client (1048576, 512KiB, 4MiB); past it the client's stream ends with
    /// an overflow event and the client resumes from Kafka.
    #[arg(long, default_value = "1MiB", value_name = "BYTES")]
    pub client_queue: String,

    /// Clients served at once; past it a new client gets 503.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_clients: usize,

    /// A heartbeat (an SSE comment, a WebSocket ping) after this long without an event.
    #[arg(long, default_value = "15s", value_name = "DURATION")]
    pub heartbeat: String,

    /// How long an SSE client waits before it reconnects (the `retry:` field).
    #[arg(long, default_value = "2s", value_name = "DURATION")]
    pub retry: String,

    /// How long a connection may take to send its request headers.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub header_timeout: String,

    /// Messages held between Redis and the fan-out; past this, clients are sent to resume.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub queue: usize,
}
