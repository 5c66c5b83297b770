//! Reaching the mailbox: a connection, plain or TLS (with STARTTLS), signed in, with
//! what the server can do; and the check `parley check-config` runs.

use super::*;

/// What was being done, and to which mailbox, for the log.
pub(super) fn context(imap: &ImapSettings, what: &str) -> String {
    format!("{what} {}", imap.describe())
}

pub(super) async fn within<T>(
    what: &str,
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(EXCHANGE, f)
        .await
        .map_err(|_| anyhow::anyhow!("{what}: no answer within {} s", EXCHANGE.as_secs()))?
}

/// What the server offers beyond plain IMAP, asked once per connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Can {
    pub(super) idle: bool,
    pub(super) move_: bool,
}

/// Connects and signs in; the folder is selected, and the two folders messages go to
/// exist.
pub(super) async fn open(imap: &ImapSettings) -> anyhow::Result<(Session, Can)> {
    within("connecting", async {
        let tcp = TcpStream::connect((imap.host.as_str(), imap.port))
            .await
            .with_context(|| format!("connecting to {}:{}", imap.host, imap.port))?;
        let stream: Box<dyn Io> = match imap.tls {
            ImapTls::Tls => Box::new(tls(imap, tcp).await?),
            ImapTls::None => Box::new(tcp),
            ImapTls::StartTls => {
                let mut client = async_imap::Client::new(tcp);
                client.read_response().await.context("reading the greeting")?;
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .context("the server refused STARTTLS")?;
                Box::new(tls(imap, client.into_inner()).await?)
            }
        };
        let mut client = async_imap::Client::new(stream);
        if imap.tls != ImapTls::StartTls {
            client.read_response().await.context("reading the greeting")?;
        }
        let mut session = client
            .login(&imap.username, imap.password.expose())
            .await
            .map_err(|(e, _)| anyhow::anyhow!("signing in as {}: {e}", imap.username))?;
        for folder in [&imap.processed_folder, &imap.refused_folder] {
            // Made once; "already exists" is the answer every later time.
            let _ = session.create(folder).await;
        }
        let capabilities = session
            .capabilities()
            .await
            .context("asking the server's capabilities")?;
        let can = Can {
            idle: capabilities.has_str("IDLE"),
            move_: capabilities.has_str("MOVE"),
        };
        session
            .select(&imap.folder)
            .await
            .with_context(|| format!("opening the folder {}", imap.folder))?;
        Ok((session, can))
    })
    .await
}

/// TLS over `tcp`, the server's certificate checked against the public authorities and
/// the private one of `PARLEY_IMAP_CA_FILE`.
pub(super) async fn tls(
    imap: &ImapSettings,
    tcp: TcpStream,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    use rustls::pki_types::pem::PemObject;
    let host = imap.host.as_str();
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &imap.ca_file {
        let read = || format!("reading the certificates of {}", path.display());
        for cert in rustls::pki_types::CertificateDer::pem_file_iter(path).with_context(read)? {
            roots.add(cert.with_context(read)?).with_context(read)?;
        }
    }
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("TLS settings")?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .with_context(|| format!("{host} is not a server name"))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .with_context(|| format!("TLS with {host}"))
}

/// Signs in and opens the folder, for `check-config`.
pub async fn check(imap: &ImapSettings) -> anyhow::Result<()> {
    let (mut session, _) = open(imap).await?;
    let _ = within("signing out", async { Ok(session.logout().await?) }).await;
    Ok(())
}
