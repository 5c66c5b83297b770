//! The deflection report: visits told apart as deflected, abandoned or filed, with the
//! hours saved and the content gaps; as JSON and CSV.

use super::*;

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
    /// Nothing filed yet, but the last search or opened thread is less than 30 minutes
    /// old: not counted as deflected or abandoned until then.
    pub pending: i64,
    /// deflected / (visits - pending), in percent; none without a decided visit.
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
    /// Active in the last 30 minutes.
    recent: bool,
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
        } else if v.recent {
            self.o.pending += 1;
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
        let decided = self.o.visits - self.o.pending;
        self.o.deflected_percent =
            (decided > 0).then(|| (self.o.deflected as f64 * 1000.0 / decided as f64).round() / 10.0);
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
    q: &crate::portal::reports::ReportQuery,
    retention_days: u64,
) -> Result<DeflectionReport, AppError> {
    if !crate::portal::access(user)?.is_staff() {
        return Err(AppError::forbidden("Reports are for support staff."));
    }
    let (from, to) = crate::portal::reports::period(q)?;
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
            (Option<NaiveDateTime>, NaiveDateTime),
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
                (deflection_visits::filed_at, deflection_visits::last_at),
            ))
            .load(c)?;
        let recent_since = now() - super::FOLLOWS_WITHIN;
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
        for (form, category, application, priority, opened, answered, (filed_at, last_at)) in rows {
            let v = Visit {
                recent: last_at >= recent_since,
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
    let field = crate::portal::reports::csv_field;
    let mut out = String::from(
        "group,name,visits,deflected,answered,abandoned,filed,pending,deflected_percent,support_hours_saved\n",
    );
    let groups = std::iter::once(("all", &r.overall))
        .chain(r.by_category.iter().map(|o| ("category", o)))
        .chain(r.by_application.iter().map(|o| ("application", o)))
        .chain(r.by_priority.iter().map(|o| ("priority", o)));
    for (group, o) in groups {
        out.push_str(&format!(
            "{group},{},{},{},{},{},{},{},{},{:.1}\n",
            field(&o.name),
            o.visits,
            o.deflected,
            o.answered,
            o.abandoned,
            o.filed,
            o.pending,
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
            recent: false,
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
