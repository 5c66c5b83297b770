//! The support mailbox, read by Parley itself over IMAP: `parley mail fetch` reads it
//! once (for cron), and `parley serve` keeps reading it, waking on IMAP IDLE.
//!
//! Each message is taken in exactly as `parley mail ingest` takes it, and moved to the
//! processed folder (ticket, note, duplicate) or the refused folder only after its
//! outcome is stored. A reader that stops in between leaves the message where it was;
//! read again, it is found a duplicate (by its Message-ID, or by its bytes when it has
//! none) and moved, so nothing is lost and nothing is taken in twice.
//!
//! One reader at a time: a node reads only while it holds the mailbox's lease in the
//! database (60 s, renewed while it reads); other nodes wait, and take over within a
//! lease when it stops.

use crate::app::AppState;
use crate::config::Settings;
use crate::config::{ImapSettings, ImapTls};
use crate::db::Db;
use crate::db::now;
use crate::db::schema::mailbox_readers;
use crate::error::AppError;
use crate::files::FileStore;
use crate::mail::MailContext;
use crate::node::Node;
use anyhow::Context;
use diesel::prelude::*;
use futures_util::TryStreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

mod connection;
mod lease;

pub use connection::*;
use lease::*;

/// How long a reader holds the mailbox without renewing its lease.
const LEASE: Duration = Duration::from_secs(60);

/// How long one IDLE waits before the lease is renewed and the folder read again.
const IDLE: Duration = Duration::from_secs(20);

/// The longest any one exchange with the server may take.
const EXCHANGE: Duration = Duration::from_secs(60);

/// Longest wait between tries when the server cannot be reached.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A byte stream to the server, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

type Session = async_imap::Session<Box<dyn Io>>;

/// What one pass over the folder did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// Messages taken in (a ticket, a note, refused, or a duplicate) and moved.
    pub taken: usize,
    /// Refused among them.
    pub refused: usize,
    /// Whether another reader held the mailbox, so nothing was read.
    pub busy: bool,
}

/// Takes in every message in the folder, oldest first, each moved once its outcome is
/// stored. Stops at the first message Parley itself could not take in (the database
/// away): it stays for the next pass.
async fn take_all(mailbox: Mailbox<'_>, session: &mut Session, can: Can) -> anyhow::Result<Pass> {
    let Mailbox {
        imap,
        db,
        mailing,
        settings,
        files,
        ..
    } = mailbox;
    let can_move = can.move_;
    let mut pass = Pass::default();
    let mut uids: Vec<u32> = within("searching the folder", async {
        Ok(session.uid_search("ALL").await?.into_iter().collect())
    })
    .await?;
    uids.sort_unstable();
    for uid in uids {
        if !mailbox.renew().await? {
            break;
        }
        // A message larger than Parley takes is not downloaded: it is refused as too
        // large and moved, so that it cannot hold up the folder.
        let size = within(
            "asking a message's size",
            fetch_item(session, uid, "RFC822.SIZE", |f| f.size),
        )
        .await?;
        if let Some(size) = size.filter(|n| *n as usize > crate::portal::inbound::MAX_MESSAGE) {
            crate::portal::inbound::refuse_too_large(db, files, size as usize).await?;
            within(
                "moving a message",
                move_to(session, uid, &imap.refused_folder, can_move),
            )
            .await?;
            pass.taken += 1;
            pass.refused += 1;
            continue;
        }
        let raw = within(
            "reading a message",
            fetch_item(session, uid, "BODY.PEEK[]", |f| f.body().map(<[u8]>::to_vec)),
        )
        .await?;
        let Some(raw) = raw else { continue };
        // The lease is renewed before each step that may take long, so that no other
        // node takes the message while this one works on it.
        if !mailbox.renew().await? {
            break;
        }
        let outcome = match crate::portal::inbound::ingest(db, mailing, settings, files, &raw).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, uid, "a message could not be taken in; it stays in the mailbox");
                break;
            }
        };
        let refused = outcome.outcome == "refused";
        let folder = if refused {
            &imap.refused_folder
        } else {
            &imap.processed_folder
        };
        mailbox.renew().await?;
        within("moving a message", move_to(session, uid, folder, can_move)).await?;
        tracing::info!(uid, outcome = %outcome.outcome, ticket = ?outcome.ticket_id, "mail taken in from the mailbox");
        pass.taken += 1;
        pass.refused += usize::from(refused);
    }
    Ok(pass)
}

/// One item of message `uid` (its size, its bytes), as `pick` reads it from the answer.
async fn fetch_item<T>(
    session: &mut Session,
    uid: u32,
    item: &str,
    pick: impl Fn(&async_imap::types::Fetch) -> Option<T>,
) -> anyhow::Result<Option<T>> {
    let mut found = None;
    let mut fetched = session.uid_fetch(uid.to_string(), item).await?;
    while let Some(f) = fetched.try_next().await? {
        if f.uid == Some(uid) {
            found = pick(&f).or(found);
        }
    }
    Ok(found)
}

async fn move_to(session: &mut Session, uid: u32, folder: &str, can_move: bool) -> anyhow::Result<()> {
    let set = uid.to_string();
    if can_move {
        session.uid_mv(&set, folder).await?;
        return Ok(());
    }
    session.uid_copy(&set, folder).await?;
    session
        .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
        .await?
        .try_collect::<Vec<_>>()
        .await?;
    session.uid_expunge(&set).await?.try_collect::<Vec<_>>().await?;
    Ok(())
}

/// A mailbox as this node reads it: the mailbox, and what taking mail in needs.
#[derive(Clone, Copy)]
pub struct Mailbox<'a> {
    pub imap: &'a ImapSettings,
    pub db: &'a Db,
    pub mailing: &'a MailContext,
    pub settings: &'a Settings,
    pub files: &'a FileStore,
    pub node: &'a Node,
}

impl<'a> Mailbox<'a> {
    /// The mailbox `imap`, read by the node whose state this is.
    pub fn of(state: &'a AppState, imap: &'a ImapSettings) -> Self {
        Self {
            imap,
            db: &state.db,
            mailing: &state.mailing,
            settings: &state.settings,
            files: &state.files,
            node: &state.node,
        }
    }

    /// Renews (or takes) this node's lease on the mailbox; false when another holds it.
    async fn renew(&self) -> Result<bool, AppError> {
        renew(self.db, self.node, self.imap).await
    }
}

/// Reads the mailbox once (`parley mail fetch`): nothing when another reader holds it.
pub async fn fetch_once(mailbox: Mailbox<'_>) -> anyhow::Result<Pass> {
    let Mailbox { db, node, imap, .. } = mailbox;
    if !mailbox.renew().await? {
        return Ok(Pass {
            busy: true,
            ..Pass::default()
        });
    }
    let read = async {
        let (mut session, can) = open(imap).await.with_context(|| context(imap, "reading"))?;
        let pass = take_all(mailbox, &mut session, can).await?;
        let _ = within("signing out", async { Ok(session.logout().await?) }).await;
        Ok(pass)
    }
    .await;
    release(db, node, imap).await;
    read
}

/// Keeps reading the mailbox in the background of `parley serve`.
pub fn start(state: actix_web::web::Data<AppState>) {
    let Some(imap) = state.settings.imap.clone() else {
        return;
    };
    actix_web::rt::spawn(async move {
        let mut backoff = Duration::from_secs(1);
        loop {
            match renew(&state.db, &state.node, &imap).await {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    tokio::time::sleep(LEASE / 2).await;
                    continue;
                }
            }
            match watch(Mailbox::of(&state, &imap), &mut backoff).await {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(
                        error = %format!("{e:#}"),
                        retry_in_s = backoff.as_secs(),
                        "reading {}",
                        imap.describe()
                    );
                    release(&state.db, &state.node, &imap).await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    });
}

/// Reads the folder, then waits for new mail (IDLE, or a pause where the server has
/// none), for as long as this node holds the lease and the connection lasts.
async fn watch(mailbox: Mailbox<'_>, backoff: &mut Duration) -> anyhow::Result<()> {
    let imap = mailbox.imap;
    let (mut session, can) = open(imap).await?;
    tracing::info!(mailbox = %imap.describe(), idle = can.idle, "reading the support mailbox");
    loop {
        take_all(mailbox, &mut session, can).await?;
        *backoff = Duration::from_secs(1);
        if !mailbox.renew().await? {
            let _ = within("signing out", async { Ok(session.logout().await?) }).await;
            return Ok(());
        }
        if can.idle {
            let mut idle = session.idle();
            within("starting IDLE", async { Ok(idle.init().await?) }).await?;
            let (wait, stop) = idle.wait_with_timeout(IDLE);
            let woke = wait.await;
            drop(stop);
            woke?;
            session = within("ending IDLE", async { Ok(idle.done().await?) }).await?;
        } else {
            tokio::time::sleep(IDLE).await;
            within("keeping the connection", async { Ok(session.noop().await?) }).await?;
        }
    }
}
