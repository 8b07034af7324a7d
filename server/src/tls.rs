//! The one TLS stack of every connection Tollgate opens and serves: rustls with the ring
//! provider. Clients (webhooks, `tollgate-gate`, SMTP, Postgres) trust the Mozilla roots of
//! webpki-roots plus the certificates of `TOLLGATE_CA_FILE` (a private CA), and always verify
//! the peer's certificate and host name; there is no switch to turn verification off.
//!
//! sqlx and lettre build their rustls configurations themselves from the same roots
//! ([`Roots::pem_path`] and [`Roots::certificates`]); reqwest takes [`Roots::client_config`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificates a client trusts beyond the Mozilla roots.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    /// Where they were read from (`TOLLGATE_CA_FILE`).
    path: Option<PathBuf>,
    extra: Arc<Vec<CertificateDer<'static>>>,
}

impl Roots {
    /// The Mozilla roots only.
    pub fn mozilla() -> Roots {
        Roots::default()
    }

    /// The Mozilla roots and the certificates of the PEM file `path`. Err: a sentence naming the
    /// file and what is wrong with it (unreadable, not PEM, no certificate in it).
    pub fn with_ca_file(path: &Path) -> Result<Roots, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let extra = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: not a PEM certificate file ({e})", path.display()))?;
        if extra.is_empty() {
            return Err(format!("{}: no certificate in it", path.display()));
        }
        Ok(Roots {
            path: Some(path.to_path_buf()),
            extra: Arc::new(extra),
        })
    }

    /// [`Roots::with_ca_file`] when a file is named, else the Mozilla roots.
    pub fn from_option(path: Option<&Path>) -> Result<Roots, String> {
        match path {
            Some(p) => Roots::with_ca_file(p),
            None => Ok(Roots::mozilla()),
        }
    }

    /// The CA file, for clients that read it themselves (sqlx's `sslrootcert`).
    pub fn pem_path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The extra certificates (not the Mozilla roots).
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.extra
    }

    /// A client configuration that trusts these roots.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let mut store = rustls::RootCertStore::empty();
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in self.extra.iter() {
            // A certificate rustls cannot use as a root is left out, as browsers do.
            let _ = store.add(cert.clone());
        }
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(store)
            .with_no_client_auth()
    }
}

/// The crypto provider of every configuration here.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration from a PEM certificate chain and its private key
/// (`TOLLGATE_TLS_CERT`, `TOLLGATE_TLS_KEY`). Err: a sentence naming the file at fault.
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not make a pair: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// What a failed TLS handshake's error text means, in words an operator acts on; `None` when
/// the text is not about a certificate.
pub fn explain(error_text: &str) -> Option<&'static str> {
    let t = error_text;
    if t.contains("UnknownIssuer") || t.contains("unknown issuer") {
        Some("the peer's certificate is not signed by a trusted CA (name the private CA with TOLLGATE_CA_FILE, or sslrootcert for Postgres)")
    } else if t.contains("NotValidForName") || t.contains("not valid for name") {
        Some("the peer's certificate is not valid for the host name connected to")
    } else if t.contains("Expired") || t.contains("expired") {
        Some("the peer's certificate has expired")
    } else if t.contains("NotValidYet") {
        Some("the peer's certificate is not valid yet (check the clocks)")
    } else if t.contains("InvalidCertificate") || t.contains("invalid peer certificate") {
        Some("the peer's certificate was refused")
    } else {
        None
    }
}

/// `error_text`, followed by [`explain`]'s sentence when there is one.
pub fn with_explanation(error_text: String) -> String {
    match explain(&error_text) {
        Some(why) => format!("{error_text} ({why})"),
        None => error_text,
    }
}
