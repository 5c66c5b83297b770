//! Deflection, measured honestly: whether searching before filing kept a question or a
//! ticket from being filed, told apart from people who gave up.
//!
//! Each visit of the ask form or the ticket form in which something is typed is a
//! *visit* row: the page gives it a random token, and the suggestions it asks for carry
//! it, so the row records the last query, how many queries showed nothing, the threads
//! shown, the ones opened (a suggestion link carries the token to the thread), and the
//! thread the person said answered them ("This answered my question" on that thread).
//! When the same account files a question or a ticket within 30 minutes of a visit's
//! last search or opened thread, the visit is marked with what was filed; until those
//! 30 minutes have passed, a visit with nothing filed is *pending*.
//!
//! A visit is then **filed** (something followed), **deflected** (nothing followed, and a
//! thread was opened or said to answer) or **abandoned** (nothing opened, nothing
//! filed). Visits in which nothing was typed are not rows at all. Rows keep the account
//! id and what was typed, nothing else about the person, and are deleted after the
//! retention period (`PARLEY_DEFLECTION_RETENTION_DAYS`).

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{applications, categories, deflection_threads, deflection_visits, tickets, topics};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::web::AuthUser;

mod report;

pub use report::*;

/// How long after a visit's start a filing counts as following it.
pub const FOLLOWS_WITHIN: Duration = Duration::minutes(30);
/// The most threads one visit records as shown.
const MAX_SHOWN: i64 = 100;
/// The longest query kept.
const MAX_QUERY: usize = 300;

/// A fresh visit token for a form page: random, checked against the account that uses
/// it, so a token typed by someone else records nothing.
pub fn token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    crate::keys::hex(&bytes)
}

fn valid_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a suggestion request tells of the form it came from.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitContext {
    /// The form visit's token (32 hex digits), given by the ask and ticket forms;
    /// without it nothing is recorded.
    #[serde(default)]
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub visit: Option<String>,
    /// ask or ticket.
    #[serde(default)]
    #[param(pattern = "^(ask|ticket)?$")]
    pub form: Option<String>,
    /// The category of the ask form (its slug).
    #[serde(default)]
    pub category: Option<String>,
    /// The priority chosen on the ticket form so far.
    #[serde(default)]
    pub priority: Option<String>,
    /// The application chosen on the ticket form so far (its id).
    #[serde(default)]
    pub application: Option<String>,
}

impl VisitContext {
    /// Refuses a token or a form that is not of the shape the forms send (422).
    pub fn check(&self) -> Result<(), AppError> {
        if let Some(v) = self.visit.as_deref().filter(|v| !v.is_empty() && !valid_token(v)) {
            return Err(AppError::field(
                "visit",
                format!(
                    "'{}' is not a visit token: 32 hexadecimal digits, as the forms send.",
                    v.chars().take(40).collect::<String>()
                ),
            ));
        }
        if let Some(f) = self
            .form
            .as_deref()
            .filter(|f| !matches!(*f, "" | "ask" | "ticket"))
        {
            return Err(AppError::field(
                "form",
                format!(
                    "'{}' is not a form: ask or ticket.",
                    f.chars().take(40).collect::<String>()
                ),
            ));
        }
        Ok(())
    }
}

/// Records one suggestion request of a visit: the query, and the threads shown. A bad
/// or foreign token records nothing; recording never fails the suggestions.
pub async fn record_query(db: &Db, user: &AuthUser, ctx: &VisitContext, query: &str, shown: Vec<i64>) {
    let Some(token) = ctx.visit.clone().filter(|t| valid_token(t)) else {
        return;
    };
    let form = match ctx.form.as_deref() {
        Some("ticket") => "ticket",
        _ => "ask",
    };
    let query: String = query.trim().chars().take(MAX_QUERY).collect();
    if query.is_empty() {
        return;
    }
    let (me, category, priority, application) = (
        user.id,
        ctx.category.clone(),
        ctx.priority
            .as_deref()
            .and_then(crate::portal::sla::Priority::parse)
            .map(|p| p.as_str()),
        ctx.application
            .as_deref()
            .and_then(|a| a.trim().parse::<i64>().ok()),
    );
    let done = db
        .write(move |c| {
            let at = now();
            let visit = match visit_of(c, &token, me)? {
                Some(v) => v,
                None if exists(c, &token)? => return Ok(()),
                None => {
                    let category_id = match category.as_deref().filter(|_| form == "ask") {
                        Some(slug) => categories::table
                            .filter(categories::slug.eq(slug.trim()))
                            .select(categories::id)
                            .first::<i64>(c)
                            .optional()?,
                        None => None,
                    };
                    crate::with_backend!(c, |c| diesel::insert_into(deflection_visits::table)
                        .values((
                            deflection_visits::token.eq(&token),
                            deflection_visits::user_id.eq(me),
                            deflection_visits::form.eq(form),
                            deflection_visits::category_id.eq(category_id),
                            deflection_visits::query.eq(""),
                            deflection_visits::queries.eq(0_i64),
                            deflection_visits::empty_queries.eq(0_i64),
                            deflection_visits::shown.eq(0_i64),
                            deflection_visits::opened.eq(0_i64),
                            deflection_visits::started_at.eq(at),
                            deflection_visits::last_at.eq(at),
                        ))
                        .returning(deflection_visits::id)
                        .get_result::<i64>(c))?
                }
            };
            // An application id that names nothing is left out rather than refused.
            let application = match application {
                Some(a) => applications::table
                    .find(a)
                    .select(applications::id)
                    .first::<i64>(c)
                    .optional()?,
                None => None,
            };
            // The threads this visit showed before, read once.
            let known: std::collections::HashSet<i64> = deflection_threads::table
                .filter(deflection_threads::visit_id.eq(visit))
                .select(deflection_threads::topic_id)
                .load::<i64>(c)?
                .into_iter()
                .collect();
            let room = (MAX_SHOWN - known.len() as i64).max(0) as usize;
            // In the order shown, each once, as many as there is room for.
            let mut new: Vec<i64> = Vec::new();
            for t in &shown {
                if new.len() < room && !known.contains(t) && !new.contains(t) {
                    new.push(*t);
                }
            }
            for topic in &new {
                diesel::insert_into(deflection_threads::table)
                    .values((
                        deflection_threads::visit_id.eq(visit),
                        deflection_threads::topic_id.eq(topic),
                    ))
                    .execute(c)?;
            }
            let added = new.len() as i64;
            diesel::update(deflection_visits::table.find(visit))
                .set((
                    deflection_visits::query.eq(&query),
                    deflection_visits::queries.eq(deflection_visits::queries + 1),
                    deflection_visits::empty_queries
                        .eq(deflection_visits::empty_queries + i64::from(shown.is_empty())),
                    deflection_visits::shown.eq(deflection_visits::shown + added),
                    deflection_visits::last_at.eq(at),
                ))
                .execute(c)?;
            if let Some(p) = priority {
                diesel::update(deflection_visits::table.find(visit))
                    .set(deflection_visits::priority.eq(p))
                    .execute(c)?;
            }
            if application.is_some() {
                diesel::update(deflection_visits::table.find(visit))
                    .set(deflection_visits::application_id.eq(application))
                    .execute(c)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = done {
        tracing::warn!(error = ?e, "recording a deflection visit");
    }
}

fn visit_of(c: &mut AnyConnection, token: &str, user: i64) -> Result<Option<i64>, AppError> {
    Ok(deflection_visits::table
        .filter(deflection_visits::token.eq(token))
        .filter(deflection_visits::user_id.eq(user))
        .select(deflection_visits::id)
        .first(c)
        .optional()?)
}

fn exists(c: &mut AnyConnection, token: &str) -> Result<bool, AppError> {
    Ok(deflection_visits::table
        .filter(deflection_visits::token.eq(token))
        .select(deflection_visits::id)
        .first::<i64>(c)
        .optional()?
        .is_some())
}

/// Whether `token` names a visit of this reader (a read; nothing is recorded).
pub async fn owns(db: &Db, user: &AuthUser, token: &str) -> Result<bool, AppError> {
    if !valid_token(token) {
        return Ok(false);
    }
    let (token, me) = (token.to_string(), user.id);
    db.read(move |c| Ok(visit_of(c, &token, me)?.is_some())).await
}

/// Records that a visit's reader opened a thread (from a suggestion link). Returns
/// whether the visit is theirs, so that the thread offers "This answered my question".
pub async fn record_open(db: &Db, user: &AuthUser, token: &str, topic: i64) -> Result<bool, AppError> {
    if !valid_token(token) {
        return Ok(false);
    }
    let (token, me) = (token.to_string(), user.id);
    db.write(move |c| {
        let Some(visit) = visit_of(c, &token, me)? else {
            return Ok(false);
        };
        let row = deflection_threads::table
            .find((visit, topic))
            .select(deflection_threads::opened_at)
            .first::<Option<NaiveDateTime>>(c)
            .optional()?;
        match row {
            Some(Some(_)) => {}
            Some(None) => {
                diesel::update(deflection_threads::table.find((visit, topic)))
                    .set(deflection_threads::opened_at.eq(now()))
                    .execute(c)?;
                bump_opened(c, visit)?;
            }
            None => {
                diesel::insert_into(deflection_threads::table)
                    .values((
                        deflection_threads::visit_id.eq(visit),
                        deflection_threads::topic_id.eq(topic),
                        deflection_threads::opened_at.eq(now()),
                    ))
                    .execute(c)?;
                bump_opened(c, visit)?;
            }
        }
        Ok(true)
    })
    .await
}

fn bump_opened(c: &mut AnyConnection, visit: i64) -> Result<(), AppError> {
    diesel::update(deflection_visits::table.find(visit))
        .set((
            deflection_visits::opened.eq(deflection_visits::opened + 1),
            deflection_visits::last_at.eq(now()),
        ))
        .execute(c)?;
    Ok(())
}

/// The reader says thread `topic` answered their question.
pub async fn record_answered(db: &Db, user: &AuthUser, token: &str, topic: i64) -> Result<(), AppError> {
    if !valid_token(token) {
        return Err(AppError::field(
            "visit",
            "This link is not from a question you were typing.",
        ));
    }
    // Only a thread there is to read counts; another is not found.
    let readable = db
        .read(move |c| {
            Ok(topics::table
                .filter(topics::id.eq(topic))
                .filter(topics::deleted_at.is_null())
                .select(topics::id)
                .first::<i64>(c)
                .optional()?)
        })
        .await?;
    if readable.is_none() {
        return Err(AppError::NotFound);
    }
    record_open(db, user, token, topic).await?;
    let (token, me) = (token.to_string(), user.id);
    db.write(move |c| {
        let visit = visit_of(c, &token, me)?.ok_or(AppError::NotFound)?;
        diesel::update(deflection_visits::table.find(visit))
            .set((
                deflection_visits::answered_topic_id.eq(topic),
                deflection_visits::last_at.eq(now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
}

/// Marks the visits of an account that were active in the last 30 minutes, and that
/// nothing followed yet, as followed by this filing; run in the filing's transaction.
pub fn filed(
    c: &mut AnyConnection,
    user: i64,
    kind: &str,
    id: i64,
    priority: Option<&str>,
    application: Option<i64>,
) -> Result<(), AppError> {
    let at = now();
    let recent = deflection_visits::table
        .filter(deflection_visits::user_id.eq(user))
        .filter(deflection_visits::filed_at.is_null())
        .filter(deflection_visits::last_at.ge(at - FOLLOWS_WITHIN));
    diesel::update(recent)
        .set((
            deflection_visits::filed_kind.eq(kind),
            deflection_visits::filed_id.eq(id),
            deflection_visits::filed_at.eq(at),
        ))
        .execute(c)?;
    // A ticket says its priority and application; visits of the ticket form take them.
    if kind == "ticket" {
        let mine = deflection_visits::table
            .filter(deflection_visits::filed_kind.eq("ticket"))
            .filter(deflection_visits::filed_id.eq(id))
            .filter(deflection_visits::form.eq("ticket"));
        diesel::update(mine)
            .set((
                deflection_visits::priority.eq(priority),
                deflection_visits::application_id.eq(application),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// Deletes visits older than `days`; returns how many.
pub async fn prune(db: &Db, days: u64) -> Result<usize, AppError> {
    let before = now() - Duration::days(days as i64);
    db.write(move |c| {
        let old: Vec<i64> = deflection_visits::table
            .filter(deflection_visits::started_at.lt(before))
            .select(deflection_visits::id)
            .limit(5000)
            .load(c)?;
        diesel::delete(deflection_threads::table.filter(deflection_threads::visit_id.eq_any(&old)))
            .execute(c)?;
        Ok(diesel::delete(deflection_visits::table.filter(deflection_visits::id.eq_any(&old))).execute(c)?)
    })
    .await
}
