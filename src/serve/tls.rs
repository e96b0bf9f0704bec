//! serve's TLS (`--tls-cert`, `--tls-key`): PEM files read once at start
//! into a rustls acceptor (ring, TLS 1.2 and 1.3, HTTP/1.1 by ALPN). A file
//! that cannot be read or holds no usable certificate or key is a usage
//! error naming the file; key bytes never reach a message.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::ServeTls;
use crate::error;

/// The acceptor for `--tls-cert`/`--tls-key`.
pub fn acceptor(tls: &ServeTls) -> Result<TlsAcceptor> {
    let read = |flag: &str, file: &Path| {
        std::fs::read(file).map_err(|e| error::usage(format!("{flag} {}: {e}", file.display())))
    };
    let cert_pem = read("--tls-cert", &tls.cert)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            error::usage(format!(
                "--tls-cert {}: not a PEM certificate chain ({e})",
                tls.cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(error::usage(format!(
            "--tls-cert {}: no CERTIFICATE in it (PEM expected)",
            tls.cert.display()
        )));
    }
    let key_pem = read("--tls-key", &tls.key)?;
    // Only the kind of failure: the error of a key's parse is not shown.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        error::usage(format!(
            "--tls-key {}: no private key in PEM (PKCS#8, PKCS#1 or SEC1) in it",
            tls.key.display()
        ))
    })?;
    // ring, not aws-lc-rs: no C toolchain beyond cc to build it; it lacks
    // only the post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            error::usage(format!(
                "--tls-cert {} and --tls-key {} do not make a usable pair: {e}",
                tls.cert.display(),
                tls.key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
