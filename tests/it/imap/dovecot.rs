//! A Dovecot serving one mailbox on a free port, configured by the test, with a
//! certificate authority of its own for TLS.

use super::*;

/// A Dovecot serving one mailbox on a free port, its mail kept in a folder of its own.
pub(super) struct Dovecot {
    pub(super) child: Child,
    pub(super) port: u16,
    /// The port of TLS from the first byte, when started with certificates.
    pub(super) tls_port: Option<u16>,
    pub(super) dir: tempfile::TempDir,
}

impl Dovecot {
    /// `None` (the test prints SKIPPED) without root or without Dovecot; under CI both
    /// must be there.
    pub(super) fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// With `tls`, a private authority signs the server's certificate (`ca.pem` in its
    /// folder): STARTTLS on the plain port, and TLS on a second one.
    pub(super) fn start_with(tls: bool) -> Option<Self> {
        let root = std::env::var("USER").is_ok_and(|u| u == "root")
            || Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let installed = Path::new("/usr/sbin/dovecot").exists();
        if !(root && installed) {
            assert!(
                std::env::var_os("CI").is_none(),
                "the IMAP tests need root and dovecot-imapd under CI"
            );
            crate::common::skipped(
                "imap",
                "it needs root and Dovecot (apt-get install dovecot-imapd)",
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        // Dovecot runs the mailbox as the unprivileged user nobody, which must reach it.
        std::fs::set_permissions(base, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for sub in ["mail", "home"] {
            std::fs::create_dir(base.join(sub)).unwrap();
            std::os::unix::fs::chown(base.join(sub), Some(65534), Some(65534)).unwrap();
        }
        std::fs::write(base.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n")).unwrap();
        let port = crate::common::free_port();
        let tls_port = tls.then(crate::common::free_port);
        let b = base.display();
        let ssl = match tls_port {
            Some(p) => {
                certificates(base);
                format!(
                    "ssl = yes\nssl_cert = <{b}/server.pem\nssl_key = <{b}/server.key\nservice imap-login {{\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {p}\n    ssl = yes\n  }}\n}}\n"
                )
            }
            None => "ssl = no\nservice imap-login {\n  inet_listener imaps {\n    port = 0\n  }\n}\n".into(),
        };
        let config = format!(
            "protocols = imap
listen = 127.0.0.1
base_dir = {b}/run
state_dir = {b}/state
log_path = {b}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{b}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {b}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={b}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"
        );
        std::fs::write(base.join("dovecot.conf"), config).unwrap();
        let child = Command::new("/usr/sbin/dovecot")
            .args(["-F", "-c"])
            .arg(base.join("dovecot.conf"))
            .spawn()
            .unwrap();
        let me = Self {
            child,
            port,
            tls_port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Dovecot did not start:\n{}", me.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(me)
    }

    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub(super) fn url(&self) -> String {
        format!("--imap-url=imap://{USER}@127.0.0.1:{}/INBOX?tls=none", self.port)
    }

    pub(super) async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        client.login(USER, PASSWORD).await.map_err(|(e, _)| e).unwrap()
    }

    /// Puts a message in a folder, as a mail server delivering it would.
    pub(super) async fn deliver(&self, folder: &str, raw: &str) {
        let mut s = self.session().await;
        let _ = s.create(folder).await;
        s.append(folder, None, None, raw.replace('\n', "\r\n"))
            .await
            .unwrap();
        s.logout().await.unwrap();
    }

    /// How many messages each folder holds.
    pub(super) async fn count(&self, folder: &str) -> usize {
        let mut s = self.session().await;
        let n = match s.select(folder).await {
            Ok(m) => m.exists as usize,
            Err(_) => 0,
        };
        s.logout().await.unwrap();
        n
    }

    /// The subjects in a folder.
    pub(super) async fn subjects(&self, folder: &str) -> Vec<String> {
        let mut s = self.session().await;
        if s.select(folder).await.is_err() {
            return Vec::new();
        }
        let fetched: Vec<_> = s
            .fetch("1:*", "BODY.PEEK[]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut out: Vec<String> = fetched
            .iter()
            .filter_map(|f| f.body())
            .filter_map(|b| mail_parser::MessageParser::default().parse(b))
            .map(|m| m.subject().unwrap_or_default().to_string())
            .collect();
        s.logout().await.unwrap();
        out.sort();
        out
    }
}

/// A private authority and a certificate it signs for 127.0.0.1, made with openssl.
pub(super) fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Parley test authority",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Dovecot {
    /// The mailbox as Parley's settings name it.
    pub(super) fn settings(&self) -> parley::config::ImapSettings {
        parley::config::ImapSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            tls: parley::config::ImapTls::None,
            username: USER.into(),
            password: parley::config::Secret::new(PASSWORD.into()),
            folder: "INBOX".into(),
            processed_folder: "Processed".into(),
            refused_folder: "Refused".into(),
            ca_file: None,
        }
    }
}
