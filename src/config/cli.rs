//! The `parley` command line: its commands and their own arguments.

use clap::{Args, Parser, Subcommand};

use super::*;

/// The `parley` command line.
#[derive(Debug, Parser)]
#[command(
    name = "parley",
    version,
    about = "Parley: customer community and support platform in one binary",
    long_about = "Parley: customer community and support platform in one binary.\n\nWith no command, `parley` serves the site (the same as `parley serve`). Every option can also be set by the environment variable shown beside it."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `parley` should do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the site (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check every setting and the database connection, print a summary and exit.
    CheckConfig,
    /// Import users, topics and posts from a JSON-lines file ('-' for standard input).
    Import {
        /// The file to read.
        file: std::path::PathBuf,
    },
    /// Build a new search index from the database beside the serving one, then swap
    /// it in (a running server follows within a second).
    Reindex,
    /// Mail received for the support address.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Copy the database (a consistent snapshot, while the site serves), the stored
    /// files and the secret into a new folder, with a manifest.
    Backup {
        /// The folder to make; it must not exist or be empty.
        dir: std::path::PathBuf,
    },
    /// Restore a backup into the configured data directory and an empty database,
    /// then apply newer migrations and build the search index.
    Restore {
        /// A folder made by `parley backup`.
        dir: std::path::PathBuf,
    },
}

/// `parley mail ...`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Take in one message (RFC 822) from standard input, as an MTA delivers to a
    /// program: a ticket, a note on the ticket it answers, or refused with a reason.
    /// Exits 0 when the message was dealt with (refusals included), 75 (EX_TEMPFAIL)
    /// when Parley could not, so that the MTA tries again.
    Ingest,
    /// Read the support mailbox (PARLEY_IMAP_URL) once: take in every message in its
    /// folder and move each to the processed or refused folder once its outcome is
    /// stored; for cron, when no `parley serve` reads it.
    Fetch,
}

/// `parley user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a verified account. The password is read from standard input when it is
    /// not a terminal; otherwise one is generated and printed.
    Create(UserCreateArgs),
}

/// Arguments of `parley user create`.
#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// Email address of the new account.
    #[arg(long, env = "PARLEY_USER_EMAIL")]
    pub email: String,
    /// Display name shown beside the user's posts.
    #[arg(long, env = "PARLEY_USER_NAME")]
    pub name: String,
    /// Role: member, staff or admin.
    #[arg(long, env = "PARLEY_USER_ROLE", default_value = "member")]
    pub role: String,
    /// Organization to join, by name or id (created, approved, when no such name exists).
    #[arg(long, env = "PARLEY_USER_ORG")]
    pub org: Option<String>,
    /// Mark the user as an authorized contact of the organization.
    #[arg(long, env = "PARLEY_USER_AUTHORIZED_CONTACT")]
    pub authorized_contact: bool,
}
