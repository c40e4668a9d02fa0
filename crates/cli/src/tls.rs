//! `baton serve --tls-cert FILE --tls-key FILE`: the certificate chain and private key read from PEM files into a
//! rustls server configuration, which SIGHUP replaces. Not the handshake itself: `listen.rs` does that, within the
//! header timeout.
//!
//! The crypto provider is aws-lc-rs, named here rather than left to rustls: the build has both aws-lc-rs (reqwest
//! and the AWS SDK's clients) and ring (ureq), so rustls has no process default to fall back on.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Context;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, InconsistentKeys, ServerConfig};
use tokio_rustls::rustls::sign::{CertifiedKey, SingleCertAndKey};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate and key files, and the configuration last loaded from them: what new connections are presented.
#[derive(Debug)]
pub(crate) struct Tls {
    cert: PathBuf,
    key: PathBuf,
    /// Replaced whole by `reload`; a connection takes the one in force when it is accepted.
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads the certificate chain from `cert` and the private key (PKCS#8, PKCS#1 RSA or SEC1 EC) from `key`; an
    /// error names the file that is unreadable or wrong, or says that the key is not the certificate's.
    pub(crate) fn load(cert: &Path, key: &Path) -> anyhow::Result<Tls> {
        let config = server_config(cert, key)?;
        Ok(Tls { cert: cert.to_owned(), key: key.to_owned(), current: RwLock::new(Arc::new(config)) })
    }

    /// Reads the two files again; new connections are presented the new pair. A pair that does not load leaves the
    /// one in force as it is, and the error says why.
    pub(crate) fn reload(&self) -> anyhow::Result<()> {
        let config = Arc::new(server_config(&self.cert, &self.key)?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        Ok(())
    }

    /// The acceptor for a connection accepted now.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner)))
    }

    /// The certificate file, for messages.
    pub(crate) fn cert_file(&self) -> &Path {
        &self.cert
    }
}

/// The server configuration for the chain in `cert` and the key in `key`: TLS 1.2 and 1.3, HTTP/1.1 offered over
/// ALPN (the only protocol `listen.rs` serves), no client certificates.
fn server_config(cert: &Path, key: &Path) -> anyhow::Result<ServerConfig> {
    let chain = read_chain(cert)?;
    let private_key = read_key(key)?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let signing_key = provider.key_provider.load_private_key(private_key).map_err(|error| {
        anyhow::anyhow!("the TLS key {} is not an RSA, ECDSA or Ed25519 key that TLS can use: {error}", key.display())
    })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // Unknown: a key whose public half the provider does not give; the handshake still checks it.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            anyhow::bail!("the TLS key {} is not the key of the certificate {}", key.display(), cert.display())
        }
        Err(error) => anyhow::bail!("the TLS certificate {} cannot be used: {error}", cert.display()),
    }
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS provider offers no protocol version")?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Every certificate in the PEM file `file`, the server's own first.
fn read_chain(file: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let text = std::fs::read(file).with_context(|| format!("cannot read the TLS certificate {}", file.display()))?;
    let chain = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("the TLS certificate {} is not valid PEM", file.display()))?;
    if chain.is_empty() {
        anyhow::bail!("the TLS certificate {} holds no certificate (PEM `BEGIN CERTIFICATE`)", file.display());
    }
    Ok(chain)
}

/// The first private key in the PEM file `file`.
fn read_key(file: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let text = std::fs::read(file).with_context(|| format!("cannot read the TLS key {}", file.display()))?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|error| match error {
        pem::Error::NoItemsFound => anyhow::anyhow!(
            "the TLS key {} holds no private key (PEM `BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC \
             PRIVATE KEY`)",
            file.display()
        ),
        error => anyhow::Error::new(error).context(format!("the TLS key {} is not valid PEM", file.display())),
    })
}

#[cfg(test)]
mod tests;
