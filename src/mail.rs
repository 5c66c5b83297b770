//! Outgoing mail: built from a text and an HTML template, sent over SMTP, or written as
//! `.eml` files under `DATA_DIR/mail/` when no SMTP server is set, so that a person can
//! open them.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::config::{Settings, SmtpTls};
use crate::web::templates::Templates;

/// What building mail in a transaction needs from the application: the templates,
/// the site's address for links, and the keys that sign links such as unsubscribe.
#[derive(Clone, Debug)]
pub struct MailContext {
    pub templates: std::sync::Arc<Templates>,
    pub base_url: url::Url,
    pub keys: crate::keys::Keys,
}

impl MailContext {
    /// The absolute address of `path` on this site, for a link in a mail.
    pub fn url(&self, path: &str) -> String {
        self.base_url
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// The host that names this site in Message-IDs.
    pub fn host(&self) -> String {
        self.base_url.host_str().unwrap_or("parley").to_string()
    }
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Files {
        dir: PathBuf,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Self::Files { dir, .. } => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

/// A message ready to send: one recipient, a subject and two bodies, and the headers
/// that thread it and let its reader unsubscribe.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `<id@host>`; lettre makes one up when none.
    pub message_id: Option<String>,
    /// The message this one follows in its thread (also sent as `References`).
    pub in_reply_to: Option<String>,
    /// The `List-Unsubscribe` address, where one applies.
    pub list_unsubscribe: Option<String>,
    /// What its `Auto-Submitted` header says: every message Parley sends has one.
    pub auto_submitted: AutoSubmitted,
}

/// Why a message is sent without a person writing it (RFC 3834), so that auto-responders
/// and Parley's own intake leave it unanswered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AutoSubmitted {
    /// Sent because something happened (a notification, a digest, a link to sign in).
    #[default]
    Generated,
    /// Sent in answer to a message that came in (a refused sender is told why).
    Replied,
}

impl AutoSubmitted {
    pub fn header(self) -> &'static str {
        match self {
            Self::Generated => "auto-generated",
            Self::Replied => "auto-replied",
        }
    }

    /// Reads what [`header`](Self::header) wrote; anything else counts as generated.
    pub fn from_header(value: &str) -> Self {
        if value == Self::Replied.header() {
            Self::Replied
        } else {
            Self::Generated
        }
    }
}

impl Mail {
    /// Renders `email/{name}.txt`, `email/{name}.html` and `email/{name}.subject.txt`.
    pub fn from_templates(
        templates: &Templates,
        name: &str,
        to: Mailbox,
        view: &impl Serialize,
    ) -> anyhow::Result<Self> {
        let subject = templates.render_plain(&format!("email/{name}.subject.txt"), view)?;
        Ok(Self {
            to,
            subject: subject.trim().to_string(),
            text: templates.render_plain(&format!("email/{name}.txt"), view)?,
            html: templates.render_plain(&format!("email/{name}.html"), view)?,
            message_id: None,
            in_reply_to: None,
            list_unsubscribe: None,
            auto_submitted: AutoSubmitted::Generated,
        })
    }
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from = settings.mail_from.clone();
        let Some(smtp) = &settings.smtp else {
            return Ok(Self::Files {
                dir: settings.data_dir.join("mail"),
                from,
            });
        };
        let builder = match smtp.tls {
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        };
        let mut builder = builder.port(smtp.port);
        if let Some(user) = &smtp.username {
            let password = smtp
                .password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one message.
    pub async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from.clone(),
        };
        let mut builder = Message::builder()
            .from(from)
            .to(mail.to.clone())
            .subject(mail.subject.clone())
            .message_id(mail.message_id.clone());
        if let Some(parent) = &mail.in_reply_to {
            builder = builder.in_reply_to(parent.clone()).references(parent.clone());
        }
        let mut message = builder
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .context("building a message")?;
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            mail.auto_submitted.header().to_string(),
        ));
        if let Some(address) = &mail.list_unsubscribe {
            message.headers_mut().insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{address}>"),
            ));
            // A web address takes the one-click POST of RFC 8058.
            if address.starts_with("http") {
                message.headers_mut().insert_raw(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
            }
        }
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(message).await.context("sending over SMTP")?;
            }
            Self::Files { dir, .. } => {
                let dir = dir.clone();
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
                    sanitize(mail.to.email.as_ref())
                );
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                    let path = dir.join(name);
                    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
                    Ok(())
                })
                .await
                .context("writing mail")??;
            }
        }
        tracing::info!(subject = %mail.subject, "mail sent");
        Ok(())
    }
}

/// Keeps a file name to letters, digits and a few marks.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A mailbox for an address and a display name.
pub fn mailbox(name: &str, address: &str) -> anyhow::Result<Mailbox> {
    let email = address
        .parse()
        .with_context(|| format!("'{address}' is not a mail address"))?;
    let name = name.trim();
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_string()), email))
}
