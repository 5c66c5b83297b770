//! The settings as flags and environment variables, read as text (checked in
//! `settings.rs`).

use std::path::PathBuf;

use clap::Args;

/// Settings shared by every command, as given on the command line or in the environment.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// Directory for runtime data: database, secret, search index, files, mail.
    #[arg(long, env = "PARLEY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB (default: parley.db in the data directory).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address and port to listen on.
    #[arg(long, env = "PARLEY_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,
    /// Public address of the site, used in links sent by mail (default: http://BIND).
    #[arg(long, env = "PARLEY_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Key that signs sessions and links, at least 32 characters (default: generated
    /// once and kept in DATA_DIR/secret).
    #[arg(long, env = "PARLEY_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<String>,
    /// SMTP server for outgoing mail; without it mail is written to DATA_DIR/mail/*.eml.
    #[arg(long, env = "PARLEY_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// SMTP port (default: 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, env = "PARLEY_SMTP_PORT", global = true)]
    pub smtp_port: Option<String>,
    /// SMTP transport security: starttls, tls or none.
    #[arg(long, env = "PARLEY_SMTP_TLS", default_value = "starttls", global = true)]
    pub smtp_tls: String,
    /// SMTP user name.
    #[arg(long, env = "PARLEY_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "PARLEY_SMTP_PASSWORD", hide_env_values = true, global = true)]
    pub smtp_password: Option<String>,
    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "PARLEY_MAIL_FROM",
        default_value = "Parley <parley@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// Rate limits on signup, sign-in and password reset: on or off (off for load tests).
    #[arg(long, env = "PARLEY_RATE_LIMITS", default_value = "on", global = true)]
    pub rate_limits: String,
    /// Signups allowed per client address, as COUNT/PERIOD (PERIOD: second, minute, hour, day).
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_SIGNUP",
        default_value = "10/hour",
        global = true
    )]
    pub rate_limit_signup: String,
    /// Sign-in attempts allowed per client address and per account.
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_LOGIN",
        default_value = "10/minute",
        global = true
    )]
    pub rate_limit_login: String,
    /// Password-reset and verification mails allowed per client address and per account.
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_RESET",
        default_value = "5/hour",
        global = true
    )]
    pub rate_limit_reset: String,
    /// New topics and replies allowed per member (staff are not limited).
    #[arg(
        long,
        env = "PARLEY_RATE_LIMIT_POST",
        default_value = "10/minute",
        global = true
    )]
    pub rate_limit_post: String,
    /// Largest release download that staff may upload, in MiB.
    #[arg(long, env = "PARLEY_MAX_DOWNLOAD_MB", default_value = "512", global = true)]
    pub max_download_mb: String,
    /// Largest image or file a member may attach to a post, in MiB.
    #[arg(long, env = "PARLEY_MAX_UPLOAD_MB", default_value = "10", global = true)]
    pub max_upload_mb: String,
    /// Days after which a closed ticket is archived (final; a follow-up ticket links
    /// to it).
    #[arg(long, env = "PARLEY_ARCHIVE_AFTER_DAYS", default_value = "14", global = true)]
    pub archive_after_days: String,
    /// Days a record of a form visit (what was searched, opened and filed) is kept for
    /// the deflection report.
    #[arg(
        long,
        env = "PARLEY_DEFLECTION_RETENTION_DAYS",
        default_value = "180",
        global = true
    )]
    pub deflection_retention_days: String,
    /// Memory for rendered pages kept between requests, in MiB (0 turns the cache
    /// off): topic pages, rebuilt as soon as their topic changes, and lists (an
    /// eighth), rebuilt after any write.
    #[arg(long, env = "PARLEY_PAGE_CACHE_MB", default_value = "64", global = true)]
    pub page_cache_mb: String,
    /// Serve the release feeds (/releases.atom) to anyone, not only signed-in members
    /// and API tokens: on or off.
    #[arg(long, env = "PARLEY_PUBLIC_FEEDS", default_value = "off", global = true)]
    pub public_feeds: String,
    /// Deliver queued mail from this process: on, or off to leave it to other nodes
    /// (mail is still queued).
    #[arg(long, env = "PARLEY_SEND_MAIL", default_value = "on", global = true)]
    pub send_mail: String,
    /// A sentence-embedding model folder (config.json, vocab.txt, model.safetensors of a
    /// BERT encoder such as all-MiniLM-L6-v2): questions then find threads by meaning as
    /// well as by words. Without it, related threads are found by words alone.
    #[arg(long, env = "PARLEY_EMBEDDING_MODEL", global = true)]
    pub embedding_model: Option<PathBuf>,
    /// Secret a mail service sends as `Authorization: Bearer <secret>` when it posts a
    /// received message to /api/v1/inbound-mail; without it the webhook is closed.
    #[arg(long, env = "PARLEY_INBOUND_MAIL_TOKEN", global = true)]
    pub inbound_mail_token: Option<String>,
    /// The authserv-id (comma-separated, for several) of the receiving mail server whose
    /// Authentication-Results header Parley trusts to say whether a sender is authentic.
    /// Without it no sender counts as verified.
    #[arg(long, env = "PARLEY_MAIL_TRUSTED_AUTHSERV_ID", global = true)]
    pub mail_trusted_authserv_id: Option<String>,
    /// A support mailbox Parley reads itself: imaps://USER@HOST[:PORT][/FOLDER] (TLS),
    /// imap://USER@HOST[:PORT][/FOLDER] (STARTTLS), with ?tls=none for a server on this
    /// machine without TLS. Each message is taken in as `parley mail ingest` does.
    #[arg(long, env = "PARLEY_IMAP_URL", global = true)]
    pub imap_url: Option<String>,
    /// The mailbox's password (or PARLEY_IMAP_PASSWORD_FILE, a file holding it).
    #[arg(long, env = "PARLEY_IMAP_PASSWORD", hide_env_values = true, global = true)]
    pub imap_password: Option<String>,
    /// A file holding the mailbox's password.
    #[arg(long, env = "PARLEY_IMAP_PASSWORD_FILE", global = true)]
    pub imap_password_file: Option<PathBuf>,
    /// PEM certificates of a private authority the IMAP server's certificate is signed
    /// by, trusted beside the public ones.
    #[arg(long, env = "PARLEY_IMAP_CA_FILE", global = true)]
    pub imap_ca_file: Option<PathBuf>,
    /// Where messages go once their outcome is stored: a ticket or note, and refused.
    #[arg(
        long,
        env = "PARLEY_IMAP_PROCESSED_FOLDER",
        default_value = "Processed",
        global = true
    )]
    pub imap_processed_folder: String,
    #[arg(
        long,
        env = "PARLEY_IMAP_REFUSED_FOLDER",
        default_value = "Refused",
        global = true
    )]
    pub imap_refused_folder: String,
    /// What a signup from an unknown company domain does: pending (an admin approves the
    /// new organization) or refuse.
    #[arg(
        long,
        env = "PARLEY_UNKNOWN_DOMAINS",
        default_value = "pending",
        global = true
    )]
    pub unknown_domains: String,
    /// Shortest password accepted.
    #[arg(long, env = "PARLEY_MIN_PASSWORD_LENGTH", default_value = "10", global = true)]
    pub min_password_length: String,
    /// How long a sign-in lasts, in days.
    #[arg(long, env = "PARLEY_SESSION_DAYS", default_value = "30", global = true)]
    pub session_days: String,
    /// How long an address-verification link stays valid, in hours.
    #[arg(long, env = "PARLEY_VERIFY_LINK_HOURS", default_value = "48", global = true)]
    pub verify_link_hours: String,
    /// How long a password-reset link stays valid, in minutes.
    #[arg(long, env = "PARLEY_RESET_LINK_MINUTES", default_value = "60", global = true)]
    pub reset_link_minutes: String,
    /// Database connections per process.
    #[arg(long, env = "PARLEY_DB_POOL_SIZE", default_value = "8", global = true)]
    pub db_pool_size: String,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    #[arg(long, env = "PARLEY_TRUST_PROXY", default_value = "false", global = true)]
    pub trust_proxy: String,
    /// Log format: text or json.
    #[arg(long, env = "PARLEY_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
    /// Fill the site with a demo organization, accounts and content, printing the
    /// passwords, then serve.
    #[arg(long, env = "PARLEY_DEMO", global = true)]
    pub demo: bool,
}
