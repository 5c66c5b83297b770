//! SQLite's writes, committed in groups.
//!
//! SQLite has one writer at a time, so [`Db::write`](super::Db::write) on SQLite hands
//! its work to one thread, which runs each piece in a savepoint of a transaction it
//! shares with whatever else is already waiting, and commits them together. Each piece
//! still succeeds or fails on its own: a failure rolls back its savepoint alone. What
//! a group saves is the per-transaction cost: beginning and committing, writing the
//! same hot pages (a category's row, the outboxes' last pages, the index pages of the
//! newest posts) to the log once per group instead of once per write, and a hop to a
//! blocking thread and a pool checkout per write.
//!
//! Nobody waits for a group to fill: the thread takes what is queued when it starts a
//! transaction, and more while the group is young ([`GROUP_TIME`]) and small
//! ([`GROUP_MOST`]). An answer is given only after its group has committed; when the
//! commit fails, every piece of the group gets that failure, as each would have
//! alone.

use super::{AnyConnection, Manager, begin, watch};
use crate::error::AppError;
use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::Pool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// The most pieces of work committed together.
const GROUP_MOST: usize = 64;

/// How long a group keeps taking more work once it has started.
const GROUP_TIME: Duration = Duration::from_millis(4);

/// What a piece of work left to do once its group's commit is known: give its answer,
/// or the commit's failure.
type Deliver = Box<dyn FnOnce(Option<&diesel::result::Error>) + Send>;

/// How a piece of work ended inside its group.
enum Ran {
    /// It succeeded and its savepoint is released.
    Done,
    /// It failed and its savepoint is rolled back; the group goes on.
    Failed,
    /// The transaction itself is in doubt (a savepoint command failed, or SQLite rolled
    /// the transaction back on its own, as on a full disk): the group must stop.
    Broken(diesel::result::Error),
}

/// A piece of work waiting for its group.
trait Work: Send {
    /// Runs it in a savepoint of its own; says how it ended, and leaves its answer to be
    /// given once the group's outcome is known.
    fn run(self: Box<Self>, c: &mut AnyConnection) -> (Ran, Deliver);
    /// Answers `e` without running it.
    fn refuse(self: Box<Self>, e: AppError);
    /// When it was queued.
    fn queued(&self) -> Instant;
}

/// Work and where its answer goes.
struct Piece<T, F> {
    f: F,
    answer: tokio::sync::oneshot::Sender<Result<T, AppError>>,
    queued: Instant,
}

impl<T, F> Work for Piece<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
{
    fn run(self: Box<Self>, c: &mut AnyConnection) -> (Ran, Deliver) {
        use diesel::connection::SimpleConnection;
        let Piece { f, answer, .. } = *self;
        // Its own savepoint, not diesel's: a savepoint command that fails must stop the
        // group rather than leave diesel's count of open transactions wrong.
        let (ran, done) = match c.batch_execute("SAVEPOINT piece") {
            Err(e) => (Ran::Broken(same_error(&e)), Err(AppError::from(e))),
            Ok(()) => {
                let done = f(c);
                let end = match &done {
                    Ok(_) => c.batch_execute("RELEASE piece"),
                    Err(_) => c.batch_execute("ROLLBACK TO piece; RELEASE piece"),
                };
                // What the work opened inside must be closed again (diesel counts one
                // open transaction: the group's).
                let level = match c {
                    AnyConnection::Sqlite(lite) => {
                        AnsiTransactionManager::transaction_manager_status_mut(lite)
                            .transaction_depth()
                            .ok()
                            .flatten()
                            .map(|d| d.get())
                    }
                    AnyConnection::Postgresql(_) => Some(1),
                };
                match (end, level) {
                    (Err(e), _) => (Ran::Broken(same_error(&e)), done),
                    (Ok(()), Some(1)) if done.is_ok() => (Ran::Done, done),
                    (Ok(()), Some(1)) => (Ran::Failed, done),
                    (Ok(()), _) => (Ran::Broken(diesel::result::Error::BrokenTransactionManager), done),
                }
            }
        };
        let own_failure = done.is_err();
        let deliver: Deliver = Box::new(move |failed: Option<&diesel::result::Error>| {
            let out = match failed {
                // Its own failure is said as it was, whatever became of the group.
                Some(_) if own_failure => done,
                None => done,
                Some(e) => Err(group_failure(e)),
            };
            // The request may have gone away meanwhile; its write stands.
            let _ = answer.send(out);
        });
        (ran, deliver)
    }

    fn refuse(self: Box<Self>, e: AppError) {
        let _ = self.answer.send(Err(e));
    }

    fn queued(&self) -> Instant {
        self.queued
    }
}

type Job = Box<dyn Work>;

/// The queue of the thread that runs SQLite's writes.
#[derive(Clone)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the thread that writes through `pool` (of one connection), counting the
    /// groups that wrote in `writes`, and the thread that copies the log into the
    /// database through `checkpoints` (another pool of one). Both stop when the last
    /// [`Writer`] is dropped.
    pub(super) fn start(
        pool: Pool<Manager>,
        checkpoints: Pool<Manager>,
        writes: Arc<AtomicU64>,
    ) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let (stop, stopping) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    // A panic outside the work itself must not end every later write.
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_group(&pool, &writes, first, &jobs);
                    }));
                    if ran.is_err() {
                        tracing::error!("the database writer recovered from a panic");
                    }
                }
                drop(stop);
            })?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_until(&checkpoints, &stopping))?;
        Ok(Self { queue })
    }

    /// Runs `f` in a savepoint of the next group and answers once that group is
    /// committed.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(Piece {
                f,
                answer,
                queued: Instant::now(),
            }))
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> AppError {
    AppError::Internal(anyhow::anyhow!("the database writer stopped"))
}

/// What a piece that did its part is told when its group was not committed: the
/// database's own error as it would have met it alone (a full disk is a 503), else
/// that the write could not be completed now.
fn group_failure(e: &diesel::result::Error) -> AppError {
    match e {
        diesel::result::Error::DatabaseError(..) | diesel::result::Error::RollbackErrorOnCommit { .. } => {
            AppError::from(same_error(e))
        }
        other => AppError::Unavailable(anyhow::anyhow!("the write could not be completed: {other}")),
    }
}

/// A copy of `e` to give to each piece of a group whose commit failed (diesel's errors
/// are not `Clone`); its kind and message are kept.
fn same_error(e: &diesel::result::Error) -> diesel::result::Error {
    use diesel::result::Error;
    match e {
        Error::DatabaseError(kind, info) => Error::DatabaseError(*kind, Box::new(info.message().to_string())),
        Error::NotFound => Error::NotFound,
        Error::RollbackErrorOnCommit { commit_error, .. } => same_error(commit_error),
        other => Error::QueryBuilderError(other.to_string().into()),
    }
}

/// How long a write may wait in the queue before it is refused as unavailable: what a
/// request waits for a connection elsewhere.
const QUEUED_AT_MOST: Duration = Duration::from_secs(30);

/// Runs `first` and whatever else comes while the group is young and small, in one
/// transaction, then gives every answer.
fn run_group(pool: &Pool<Manager>, writes: &AtomicU64, first: Job, jobs: &mpsc::Receiver<Job>) {
    // Whatever goes wrong before the work runs is said to everything waiting: each
    // would have met it.
    let refuse_all = |first: Job, e: AppError| {
        let message = e.to_string();
        first.refuse(e);
        while let Ok(job) = jobs.try_recv() {
            job.refuse(AppError::Unavailable(anyhow::anyhow!("{message}")));
        }
    };
    let mut conn = match pool.get() {
        Ok(c) => c,
        Err(e) => {
            // The only connection is held elsewhere for longer than the pool waits.
            refuse_all(first, AppError::from_pool(e));
            return;
        }
    };
    let c: &mut AnyConnection = &mut conn;
    if let Err(e) = begin(c) {
        refuse_all(first, AppError::from(e));
        return;
    }
    let before = watch::changes(c);
    let started = Instant::now();
    let mut delivers: Vec<Deliver> = Vec::new();
    let mut failed_any = false;
    let mut broken = None;
    let mut next = Some(first);
    while let Some(job) = next.take() {
        if job.queued().elapsed() > QUEUED_AT_MOST {
            job.refuse(AppError::Unavailable(anyhow::anyhow!(
                "the database took too long to take this write"
            )));
        } else {
            // A panic fails its group: the transaction is left open, so the connection
            // is judged broken when given back and closed, which rolls the group back.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(c))) {
                Ok((ran, deliver)) => {
                    delivers.push(deliver);
                    match ran {
                        Ran::Done => {}
                        Ran::Failed => failed_any = true,
                        Ran::Broken(e) => {
                            broken = Some(e);
                            break;
                        }
                    }
                }
                Err(_) => {
                    broken = Some(diesel::result::Error::QueryBuilderError(
                        "another write of the same group failed".into(),
                    ));
                    break;
                }
            }
        }
        if delivers.len() < GROUP_MOST && started.elapsed() < GROUP_TIME {
            next = jobs.try_recv().ok();
        }
    }
    let outcome = match broken {
        Some(e) => {
            // Nothing of the group is kept: what SQLite has not rolled back already is
            // rolled back, and the connection, whose transaction count is left open, is
            // closed when given back.
            use diesel::connection::SimpleConnection;
            let _ = c.batch_execute("ROLLBACK");
            tracing::error!(error = %e, "a group of writes was rolled back");
            Err(e)
        }
        None => {
            let wrote = watch::wrote(c, before).any;
            type Manager = <AnyConnection as Connection>::TransactionManager;
            let committed = Manager::commit_transaction(c);
            if committed.is_ok() && !wrote && !failed_any {
                Ok(false)
            } else {
                committed.map(|()| true)
            }
        }
    };
    // Counted before anyone is answered, so that what an answer leads to is read anew;
    // a failure is counted too (see `Db::write`).
    if !matches!(outcome, Ok(false)) {
        writes.fetch_add(1, Ordering::Release);
    }
    let failure = outcome.err();
    for deliver in delivers {
        deliver(failure.as_ref());
    }
}

/// How often the log is copied into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// Copies what the log holds into the database every [`CHECKPOINT_EVERY`], without
/// waiting for readers or the writer (a passive checkpoint: what a reader still uses is
/// copied next time), until `stopping` closes. This is the copying and the waits for
/// the disk that SQLite would otherwise do in the commit that fills the log.
fn checkpoint_until(pool: &Pool<Manager>, stopping: &mpsc::Receiver<()>) {
    use diesel::connection::SimpleConnection;
    let mut failing = false;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopping.recv_timeout(CHECKPOINT_EVERY) {
        let done = pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
            c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                .map_err(|e| e.to_string())
        });
        match done {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                // Said once per run of failures; the next round tries again.
                tracing::warn!(error = %e, "copying the SQLite log into the database");
                failing = true;
            }
            Err(_) => {}
        }
    }
}
