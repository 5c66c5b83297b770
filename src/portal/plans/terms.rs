//! A plan's terms for one ticket, and the stored SLA that follows from them.

use super::*;

/// What a plan offers a ticket's reader: escalation, and the hotline to call.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub id: i64,
    pub name: String,
    pub escalation: bool,
    pub hotline: String,
}

/// The name and the escalation terms of a plan.
pub fn summary(c: &mut AnyConnection, plan_id: i64) -> Result<PlanSummary, AppError> {
    let (id, name, escalation, hotline) = support_plans::table
        .find(plan_id)
        .select((
            support_plans::id,
            support_plans::name,
            support_plans::escalation,
            support_plans::hotline,
        ))
        .first::<(i64, String, bool, String)>(c)?;
    Ok(PlanSummary {
        id,
        name,
        escalation,
        hotline,
    })
}

/// The terms of plan `plan_id` for organization `organization_id`: the plan's targets
/// and pauses, on its calendar with the organization's own zone and holidays. A plan
/// that cannot be read (it was never there) gives Standard's terms on the standard
/// calendar.
pub fn terms(c: &mut AnyConnection, plan_id: i64, organization_id: i64) -> Result<Terms, AppError> {
    let row: Option<PlanRow> = support_plans::table
        .find(plan_id)
        .select(select_plan())
        .first(c)
        .optional()?;
    let Some(row) = row else {
        return Ok(Terms::standard(sla::Calendar::standard()));
    };
    let (_, mut input) = input_of(row);
    let own: Option<(Option<String>, String)> = organizations::table
        .find(organization_id)
        .select((organizations::time_zone, organizations::holidays))
        .first(c)
        .optional()?;
    if let Some((zone, holidays)) = own {
        if let Some(z) = zone.filter(|z| !z.trim().is_empty()) {
            input.calendar.zone = z;
        }
        if !holidays.trim().is_empty() {
            input.calendar.holidays = format!("{}\n{}", input.calendar.holidays, holidays);
        }
    }
    // Stored plans were checked on the way in; a row edited by hand falls back field by
    // field rather than stopping every ticket page.
    let calendar = calendar::parse(&input.calendar).unwrap_or_else(|_| sla::Calendar::standard());
    let fallback = Terms::standard(calendar.clone());
    let target = |t: &TargetInput, or: Target| {
        Unit::parse(&t.unit)
            .map(|unit| Target {
                amount: t.amount,
                unit,
            })
            .unwrap_or(or)
    };
    Ok(Terms {
        critical: target(&input.critical, fallback.critical),
        high: target(&input.high, fallback.high),
        normal: target(&input.normal, fallback.normal),
        pauses: input.pauses.iter().filter_map(|p| Status::parse(p)).collect(),
        calendar,
    })
}

/// The events of a ticket that its SLA depends on: its creation (with the priority it
/// was filed with), priority and status changes, and public notes by staff.
pub fn sla_events<'a>(
    t: &Ticket,
    events: impl Iterator<
        Item = (
            &'a str,
            bool,
            Option<&'a str>,
            chrono::NaiveDateTime,
            Option<&'a str>,
        ),
    >,
) -> Vec<SlaEvent> {
    let mut out = Vec::new();
    for (kind, public, to_value, at, role) in events {
        let at = at.and_utc();
        match kind {
            "created" => out.push(SlaEvent::Created {
                at,
                priority: to_value.and_then(Priority::parse).unwrap_or(Priority::Normal),
            }),
            "priority" => {
                if let Some(to) = to_value.and_then(Priority::parse) {
                    out.push(SlaEvent::PriorityChanged { at, to });
                }
            }
            "status" => {
                if let Some(to) = to_value.and_then(Status::parse) {
                    out.push(SlaEvent::StatusChanged { at, to });
                }
            }
            "note" if public && matches!(role, Some("staff" | "admin")) => {
                out.push(SlaEvent::StaffResponse { at })
            }
            _ => {}
        }
    }
    if !out.iter().any(|e| matches!(e, SlaEvent::Created { .. })) {
        out.push(SlaEvent::Created {
            at: t.created_at.and_utc(),
            priority: Priority::parse(&t.priority).unwrap_or(Priority::Normal),
        });
    }
    out
}

/// Stores what the tickets' plans and logs make of their SLAs now (due time, paused);
/// returns how many changed. Run in the transaction that changed a ticket's status,
/// priority or plan terms.
pub fn refresh(c: &mut AnyConnection, ids: &[i64]) -> Result<usize, AppError> {
    let mut moved = 0;
    let mut terms_of: HashMap<(i64, i64), Terms> = HashMap::new();
    for chunk in ids.chunks(500) {
        let list: Vec<Ticket> = tickets::table
            .filter(tickets::id.eq_any(chunk))
            .select(Ticket::as_select())
            .load(c)?;
        type Row = (
            i64,
            String,
            bool,
            Option<String>,
            chrono::NaiveDateTime,
            Option<String>,
        );
        let rows: Vec<Row> = ticket_events::table
            .left_join(users::table.on(users::id.nullable().eq(ticket_events::actor_id)))
            .filter(ticket_events::ticket_id.eq_any(chunk))
            .filter(ticket_events::kind.eq_any(["created", "priority", "status", "note"]))
            .select((
                ticket_events::ticket_id,
                ticket_events::kind,
                ticket_events::public,
                ticket_events::to_value,
                ticket_events::created_at,
                users::role.nullable(),
            ))
            .load(c)?;
        let mut by_ticket: HashMap<i64, Vec<&Row>> = HashMap::new();
        for r in &rows {
            by_ticket.entry(r.0).or_default().push(r);
        }
        let at = Utc::now();
        for t in list {
            let key = (t.plan_id, t.organization_id);
            let terms = match terms_of.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(terms(c, t.plan_id, t.organization_id)?)
                }
            };
            let events = sla_events(
                &t,
                by_ticket
                    .get(&t.id)
                    .into_iter()
                    .flatten()
                    .map(|r| (r.1.as_str(), r.2, r.3.as_deref(), r.4, r.5.as_deref())),
            );
            let Some(s) = sla::evaluate(terms, &events, at) else {
                continue;
            };
            let due = s.due.naive_utc();
            if due != t.sla_due_at || s.paused != t.sla_paused {
                diesel::update(tickets::table.find(t.id))
                    .set((tickets::sla_due_at.eq(due), tickets::sla_paused.eq(s.paused)))
                    .execute(c)?;
                moved += 1;
            }
        }
    }
    Ok(moved)
}
