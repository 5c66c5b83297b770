//! Deflection, measured honestly: whether searching before filing kept a question or a
//! ticket from being filed, told apart from people who gave up.
//!
//! Each visit of the ask form or the ticket form in which something is typed is a
//! *visit* row: the page gives it a random token, and the suggestions it asks for carry
//! it, so the row records the last query, how many queries showed nothing, the threads
//! shown, the ones opened (a suggestion link carries the token to the thread), and the
//! thread the person said answered them ("This answered my question" on that thread).
//! When the same account files a question or a ticket within 30 minutes of a visit's
//! start, the visit is marked with what was filed.
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
            .and_then(super::sla::Priority::parse)
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
            let mut added = 0_i64;
            let already: i64 = deflection_threads::table
                .filter(deflection_threads::visit_id.eq(visit))
                .count()
                .get_result(c)?;
            for topic in shown.iter().take((MAX_SHOWN - already).max(0) as usize) {
                let known = deflection_threads::table
                    .find((visit, topic))
                    .select(deflection_threads::topic_id)
                    .first::<i64>(c)
                    .optional()?;
                if known.is_none() {
                    diesel::insert_into(deflection_threads::table)
                        .values((
                            deflection_threads::visit_id.eq(visit),
                            deflection_threads::topic_id.eq(topic),
                        ))
                        .execute(c)?;
                    added += 1;
                }
            }
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

/// Marks the visits an account started in the last 30 minutes, and that nothing
/// followed yet, as followed by this filing; run in the filing's transaction.
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
        .filter(deflection_visits::started_at.ge(at - FOLLOWS_WITHIN));
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

/// How one group of visits ended.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Outcomes {
    /// The category, application or priority; "all" for the whole period.
    pub name: String,
    /// Visits in which something was typed.
    pub visits: i64,
    /// Nothing filed within 30 minutes, and a thread opened or said to answer.
    pub deflected: i64,
    /// Of the deflected: the person said a thread answered them.
    pub answered: i64,
    /// Nothing opened, nothing filed.
    pub abandoned: i64,
    /// A question or ticket followed within 30 minutes.
    pub filed: i64,
    /// deflected / visits, in percent; none without visits.
    pub deflected_percent: Option<f64>,
    /// Deflected ticket-form visits times the median handling hours of their priority.
    pub support_hours_saved: f64,
}

/// A query that found nothing and was followed by a filing: a hole in the content.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gap {
    pub query: String,
    /// question or ticket
    pub filed_kind: String,
    pub filed_id: i64,
    /// The question's title or the ticket's subject.
    pub title: String,
    /// Where it is: /t/{id} or /portal/tickets/{id}.
    pub link: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub filed_at: NaiveDateTime,
}

/// The median time from filing to closing, per priority.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandlingTime {
    pub priority: String,
    /// Median hours from filing to closing over tickets closed in the last 180 days;
    /// none when no ticket of this priority was closed.
    pub median_hours: Option<f64>,
    pub closed_tickets: i64,
}

/// The deflection report of a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeflectionReport {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub overall: Outcomes,
    /// Community categories (the ask form), and "Support tickets" (the ticket form).
    pub by_category: Vec<Outcomes>,
    /// Ticket-form visits by the application chosen ("none" when none was).
    pub by_application: Vec<Outcomes>,
    /// Ticket-form visits by the priority chosen.
    pub by_priority: Vec<Outcomes>,
    pub handling: Vec<HandlingTime>,
    /// Queries that found nothing and were followed by a filing, newest first (up to
    /// 100).
    pub content_gaps: Vec<Gap>,
    /// How long visits are kept, in days.
    pub retention_days: u64,
}

struct Visit {
    form: String,
    category: Option<String>,
    application: Option<String>,
    priority: Option<String>,
    opened: i64,
    answered: bool,
    filed: bool,
}

#[derive(Default)]
struct Tally {
    o: Outcomes,
}

impl Tally {
    fn add(&mut self, v: &Visit, hours: &HashMap<String, f64>) {
        self.o.visits += 1;
        if v.filed {
            self.o.filed += 1;
        } else if v.answered || v.opened > 0 {
            self.o.deflected += 1;
            self.o.answered += i64::from(v.answered);
            if v.form == "ticket" {
                let p = v.priority.as_deref().unwrap_or("normal");
                self.o.support_hours_saved += hours.get(p).copied().unwrap_or(0.0);
            }
        } else {
            self.o.abandoned += 1;
        }
    }

    fn finish(mut self, name: &str) -> Outcomes {
        self.o.name = name.into();
        self.o.deflected_percent = (self.o.visits > 0)
            .then(|| (self.o.deflected as f64 * 1000.0 / self.o.visits as f64).round() / 10.0);
        self.o.support_hours_saved = (self.o.support_hours_saved * 10.0).round() / 10.0;
        self.o
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The deflection report of visits started in a period (staff).
pub async fn report(
    db: &Db,
    user: &AuthUser,
    q: &super::reports::ReportQuery,
    retention_days: u64,
) -> Result<DeflectionReport, AppError> {
    if !super::access(user)?.is_staff() {
        return Err(AppError::forbidden("Reports are for support staff."));
    }
    let (from, to) = super::reports::period(q)?;
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = (to + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default();
    db.read(move |c| {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
            Option<NaiveDateTime>,
        );
        let rows: Vec<Row> = deflection_visits::table
            .left_join(categories::table.on(categories::id.nullable().eq(deflection_visits::category_id)))
            .left_join(
                applications::table.on(applications::id.nullable().eq(deflection_visits::application_id)),
            )
            .filter(deflection_visits::started_at.ge(start))
            .filter(deflection_visits::started_at.lt(end))
            .select((
                deflection_visits::form,
                categories::name.nullable(),
                applications::name.nullable(),
                deflection_visits::priority,
                deflection_visits::opened,
                deflection_visits::answered_topic_id,
                deflection_visits::filed_at,
            ))
            .load(c)?;
        let handling = handling_times(c)?;
        let hours: HashMap<String, f64> = handling
            .iter()
            .filter_map(|h| h.median_hours.map(|m| (h.priority.clone(), m)))
            .collect();
        let mut overall = Tally::default();
        let mut by_category: BTreeMap<String, Tally> = BTreeMap::new();
        let mut by_application: BTreeMap<String, Tally> = BTreeMap::new();
        let mut by_priority: BTreeMap<usize, Tally> = BTreeMap::new();
        const PRIORITIES: [&str; 3] = ["critical", "high", "normal"];
        for (form, category, application, priority, opened, answered, filed_at) in rows {
            let v = Visit {
                form,
                category,
                application,
                priority,
                opened,
                answered: answered.is_some(),
                filed: filed_at.is_some(),
            };
            overall.add(&v, &hours);
            if v.form == "ticket" {
                by_category
                    .entry("Support tickets".into())
                    .or_default()
                    .add(&v, &hours);
                by_application
                    .entry(v.application.clone().unwrap_or_else(|| "none".into()))
                    .or_default()
                    .add(&v, &hours);
                let p = v.priority.as_deref().unwrap_or("normal");
                let rank = PRIORITIES.iter().position(|x| *x == p).unwrap_or(2);
                by_priority.entry(rank).or_default().add(&v, &hours);
            } else {
                by_category
                    .entry(v.category.clone().unwrap_or_else(|| "Community".into()))
                    .or_default()
                    .add(&v, &hours);
            }
        }
        Ok(DeflectionReport {
            from,
            to,
            overall: overall.finish("all"),
            by_category: by_category.into_iter().map(|(n, t)| t.finish(&n)).collect(),
            by_application: by_application.into_iter().map(|(n, t)| t.finish(&n)).collect(),
            by_priority: by_priority
                .into_iter()
                .map(|(r, t)| t.finish(PRIORITIES.get(r).copied().unwrap_or("normal")))
                .collect(),
            handling,
            content_gaps: gaps(c, start, end)?,
            retention_days,
        })
    })
    .await
}

/// Median hours from filing to closing per priority, over tickets closed in the last
/// 180 days.
fn handling_times(c: &mut AnyConnection) -> Result<Vec<HandlingTime>, AppError> {
    let since = now() - Duration::days(180);
    let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = tickets::table
        .filter(tickets::closed_at.ge(since))
        .select((tickets::priority, tickets::created_at, tickets::closed_at))
        .load(c)?;
    let mut by: HashMap<String, Vec<f64>> = HashMap::new();
    for (p, created, closed) in rows {
        if let Some(closed) = closed {
            by.entry(p)
                .or_default()
                .push((closed - created).num_seconds().max(0) as f64 / 3600.0);
        }
    }
    Ok(["critical", "high", "normal"]
        .into_iter()
        .map(|p| {
            let hours = by.remove(p).unwrap_or_default();
            HandlingTime {
                priority: p.into(),
                closed_tickets: hours.len() as i64,
                median_hours: median(hours).map(|m| (m * 10.0).round() / 10.0),
            }
        })
        .collect())
}

/// Visits whose every query showed nothing and that a filing followed.
fn gaps(c: &mut AnyConnection, start: NaiveDateTime, end: NaiveDateTime) -> Result<Vec<Gap>, AppError> {
    type Filed = (String, Option<String>, Option<i64>, Option<NaiveDateTime>);
    let rows: Vec<Filed> = deflection_visits::table
        .filter(deflection_visits::started_at.ge(start))
        .filter(deflection_visits::started_at.lt(end))
        .filter(deflection_visits::shown.eq(0))
        .filter(deflection_visits::filed_at.is_not_null())
        .order(deflection_visits::filed_at.desc())
        .limit(100)
        .select((
            deflection_visits::query,
            deflection_visits::filed_kind,
            deflection_visits::filed_id,
            deflection_visits::filed_at,
        ))
        .load(c)?;
    let mut out = Vec::new();
    for (query, kind, id, at) in rows {
        let (Some(kind), Some(id), Some(at)) = (kind, id, at) else {
            continue;
        };
        let (title, link) = if kind == "ticket" {
            let s = tickets::table
                .find(id)
                .select(tickets::subject)
                .first::<String>(c)
                .optional()?;
            (s, format!("/portal/tickets/{id}"))
        } else {
            let t = topics::table
                .find(id)
                .select(topics::title)
                .first::<String>(c)
                .optional()?;
            (t, format!("/t/{id}"))
        };
        out.push(Gap {
            query,
            filed_kind: kind,
            filed_id: id,
            title: title.unwrap_or_default(),
            link,
            filed_at: at,
        });
    }
    Ok(out)
}

/// The report as CSV: one line per group, then the content gaps.
pub fn to_csv(r: &DeflectionReport) -> String {
    let field = super::reports::csv_field;
    let mut out = String::from(
        "group,name,visits,deflected,answered,abandoned,filed,deflected_percent,support_hours_saved\n",
    );
    let groups = std::iter::once(("all", &r.overall))
        .chain(r.by_category.iter().map(|o| ("category", o)))
        .chain(r.by_application.iter().map(|o| ("application", o)))
        .chain(r.by_priority.iter().map(|o| ("priority", o)));
    for (group, o) in groups {
        out.push_str(&format!(
            "{group},{},{},{},{},{},{},{},{:.1}\n",
            field(&o.name),
            o.visits,
            o.deflected,
            o.answered,
            o.abandoned,
            o.filed,
            o.deflected_percent.map(|p| format!("{p:.1}")).unwrap_or_default(),
            o.support_hours_saved
        ));
    }
    out.push_str("\ngap_query,filed_kind,filed_id,title,link,filed_at\n");
    for g in &r.content_gaps {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            field(&g.query),
            g.filed_kind,
            g.filed_id,
            field(&g.title),
            g.link,
            g.filed_at.and_utc().to_rfc3339()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(form: &str, opened: i64, answered: bool, filed: bool, priority: &str) -> Visit {
        Visit {
            form: form.into(),
            category: None,
            application: None,
            priority: Some(priority.into()),
            opened,
            answered,
            filed,
        }
    }

    #[test]
    fn deflected_abandoned_and_filed_are_told_apart() {
        let hours: HashMap<String, f64> = [("high".to_string(), 6.0), ("normal".to_string(), 20.0)]
            .into_iter()
            .collect();
        let mut t = Tally::default();
        t.add(&visit("ticket", 1, true, false, "high"), &hours); // answered: deflected
        t.add(&visit("ticket", 2, false, false, "normal"), &hours); // opened, nothing filed
        t.add(&visit("ticket", 0, false, false, "normal"), &hours); // gave up
        t.add(&visit("ticket", 3, true, true, "normal"), &hours); // said answered, filed anyway
        t.add(&visit("ask", 1, false, false, "normal"), &hours); // a question not asked: no hours
        let o = t.finish("all");
        assert_eq!(
            (o.visits, o.deflected, o.answered, o.abandoned, o.filed),
            (5, 3, 1, 1, 1)
        );
        assert_eq!(o.deflected_percent, Some(60.0));
        assert_eq!(o.support_hours_saved, 26.0);
    }

    #[test]
    fn medians_and_tokens() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let t = token();
        assert!(valid_token(&t));
        assert!(!valid_token("x' OR 1=1"));
        assert_ne!(token(), t);
    }
}
