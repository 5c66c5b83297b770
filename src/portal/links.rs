//! Links between threads, tickets, ideas, releases and articles, set by staff:
//!
//! | relation | from | to |
//! | --- | --- | --- |
//! | `duplicate_of` | a topic, or a ticket | a topic of the same kind, or a ticket |
//! | `fixed_in` | a ticket, an idea or a question | a release |
//! | `answered_by` | a question or a ticket | a Knowledge Share article |
//!
//! (`escalated_to` is made by escalation alone.) Linking an idea as fixed in a release
//! marks it Shipped, which tells its voters; linking a ticket as fixed in a release
//! notes it on the ticket, which mails its followers. Topic pages show their links;
//! a ticket's links are seen only by those who may see the ticket.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{categories, links, tickets, topics};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::AppError;
use crate::mail::MailContext;
use crate::web::AuthUser;
use crate::with_backend;

/// Relations staff may set.
pub const RELATIONS: [&str; 3] = ["duplicate_of", "fixed_in", "answered_by"];

/// One end of a link.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct End {
    /// `topic` or `ticket`.
    #[schema(pattern = "^(topic|ticket)$")]
    pub kind: String,
    pub id: i64,
}

/// A new link.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewLink {
    pub from: End,
    /// `duplicate_of`, `fixed_in` or `answered_by`.
    #[serde(default)]
    #[schema(required = true, pattern = "^\\s*(duplicate_of|fixed_in|answered_by)\\s*$")]
    pub relation: String,
    pub to: End,
}

/// A link as a reader sees it from one of its ends.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub relation: String,
    pub from: End,
    pub to: End,
    /// The other end's title, and where it is.
    pub title: String,
    pub url: String,
    /// Whether this end is the link's source (`from`).
    pub outgoing: bool,
}

/// A topic's category kind, title, product, version and deletion.
type TopicRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<chrono::NaiveDateTime>,
);

/// What a topic is, for the rules: its category's kind and its title.
fn topic_kind(
    c: &mut AnyConnection,
    id: i64,
) -> Result<(String, String, Option<String>, Option<String>), AppError> {
    let found: Option<TopicRow> = topics::table
        .inner_join(categories::table)
        .filter(topics::id.eq(id))
        .select((
            categories::kind,
            topics::title,
            topics::product,
            topics::version,
            topics::deleted_at,
        ))
        .first(c)
        .optional()?;
    match found {
        Some((kind, title, product, version, None)) => Ok((kind, title, product, version)),
        _ => Err(AppError::field("to", format!("There is no topic #{id}."))),
    }
}

/// Sets a link (staff), with its consequences, in one transaction.
pub async fn add(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: NewLink,
) -> Result<LinkView, AppError> {
    crate::forum::require_staff(user, "link threads and tickets")?;
    let relation = input.relation.trim().to_string();
    if !RELATIONS.contains(&relation.as_str()) {
        return Err(AppError::field(
            "relation",
            format!("'{relation}' is not a relation; use {}.", RELATIONS.join(", ")),
        ));
    }
    for (field, end) in [("from", &input.from), ("to", &input.to)] {
        if end.kind != "topic" && end.kind != "ticket" {
            return Err(AppError::field(field, "An end is a topic or a ticket."));
        }
    }
    if input.from.kind == input.to.kind && input.from.id == input.to.id {
        return Err(AppError::field("to", "A thing cannot be linked to itself."));
    }
    let me = user.id;
    let mail = mailing.clone();
    db.write(move |c| {
        let describe = |c: &mut AnyConnection, e: &End, field: &str| -> Result<(String, String), AppError> {
            if e.kind == "ticket" {
                let subject: Option<String> = tickets::table
                    .find(e.id)
                    .select(tickets::subject)
                    .first(c)
                    .optional()?;
                let subject = subject
                    .ok_or_else(|| AppError::field(field, format!("There is no ticket #{}.", e.id)))?;
                Ok(("ticket".into(), subject))
            } else {
                let (kind, title, _, _) = topic_kind(c, e.id)
                    .map_err(|_| AppError::field(field, format!("There is no topic #{}.", e.id)))?;
                Ok((kind, title))
            }
        };
        let (from_kind, _) = describe(c, &input.from, "from")?;
        let (to_kind, to_title) = describe(c, &input.to, "to")?;
        let fits = match relation.as_str() {
            "duplicate_of" => from_kind == to_kind,
            "fixed_in" => {
                to_kind == "releases" && matches!(from_kind.as_str(), "ticket" | "ideas" | "questions")
            }
            _ => to_kind == "knowledge" && matches!(from_kind.as_str(), "ticket" | "questions"),
        };
        if !fits {
            return Err(AppError::field(
                "to",
                match relation.as_str() {
                    "duplicate_of" => "A duplicate links two things of the same kind.",
                    "fixed_in" => "Fixed in links a ticket, an idea or a question to a release.",
                    _ => "Answered by links a question or a ticket to a Knowledge Share article.",
                },
            ));
        }
        let inserted = with_backend!(c, |c| diesel::insert_into(links::table)
            .values((
                links::from_kind.eq(&input.from.kind),
                links::from_id.eq(input.from.id),
                links::relation.eq(&relation),
                links::to_kind.eq(&input.to.kind),
                links::to_id.eq(input.to.id),
                links::created_by.eq(Some(me)),
                links::created_at.eq(now()),
            ))
            .returning(links::id)
            .get_result::<i64>(c));
        let id = inserted.on_duplicate(|| AppError::Conflict("These two are already linked so.".into()))?;
        for end in [&input.from, &input.to] {
            if end.kind == "topic" {
                crate::forum::touch(c, end.id)?;
            }
        }
        if relation == "fixed_in" {
            let (_, release_title, product, version) = topic_kind(c, input.to.id)?;
            let name = match (product, version) {
                (Some(p), Some(v)) => format!("{p} {v}"),
                _ => release_title.clone(),
            };
            let url = mail.url(&format!("/t/{}", input.to.id));
            match from_kind.as_str() {
                "ticket" => {
                    let text = format!("Fixed in {name}: {url}");
                    let html = crate::markdown::render(&text, &Default::default()).html;
                    let note = super::tickets::event(
                        c,
                        input.from.id,
                        Some(me),
                        "note",
                        true,
                        None,
                        None,
                        Some((&text, html.as_str())),
                    )?;
                    super::ticket_mail::queue(c, &mail, note)?;
                }
                "ideas" => {
                    let status: Option<String> = topics::table
                        .find(input.from.id)
                        .select(topics::status)
                        .first(c)?;
                    if status.as_deref() != Some("shipped") {
                        let response = format!("Shipped in [{name}]({url}).");
                        let html = crate::markdown::render(&response, &Default::default()).html;
                        diesel::update(topics::table.find(input.from.id))
                            .set((
                                topics::status.eq("shipped"),
                                topics::response_markdown.eq(Some(&response)),
                                topics::response_html.eq(Some(html.as_str())),
                                topics::response_user_id.eq(Some(me)),
                                topics::status_changed_at.eq(now()),
                                topics::updated_at.eq(now()),
                            ))
                            .execute(c)?;
                        crate::forum::outbox(c, "topic", input.from.id)?;
                        crate::notify::service::on_idea_status(c, &mail, input.from.id, "shipped", me)?;
                    }
                }
                _ => {}
            }
        }
        let url = match input.to.kind.as_str() {
            "ticket" => format!("/portal/tickets/{}", input.to.id),
            _ => format!("/t/{}", input.to.id),
        };
        Ok(LinkView {
            id,
            relation: relation.clone(),
            from: input.from.clone(),
            to: input.to.clone(),
            title: to_title,
            url,
            outgoing: true,
        })
    })
    .await
}

/// Removes a link (staff); escalations stay.
pub async fn remove(db: &Db, user: &AuthUser, id: i64) -> Result<(), AppError> {
    crate::forum::require_staff(user, "link threads and tickets")?;
    db.write(move |c| {
        let row: (String, i64, String, String, i64) = links::table
            .find(id)
            .select((
                links::from_kind,
                links::from_id,
                links::relation,
                links::to_kind,
                links::to_id,
            ))
            .first(c)?;
        if row.2 == "escalated_to" {
            return Err(AppError::Conflict(
                "An escalation stays linked to its ticket.".into(),
            ));
        }
        diesel::delete(links::table.find(id)).execute(c)?;
        for (kind, tid) in [(&row.0, row.1), (&row.3, row.4)] {
            if kind == "topic" {
                crate::forum::touch(c, tid)?;
            }
        }
        Ok(())
    })
    .await
}

/// The links of a topic that its readers may see: those whose other end is a topic
/// (tickets are private), both ways, escalations aside. For topic pages.
pub fn of_topic(c: &mut AnyConnection, topic_id: i64) -> Result<Vec<LinkView>, AppError> {
    Ok(links_of(c, "topic", topic_id)?
        .into_iter()
        .filter(|l| l.relation != "escalated_to")
        .filter(|l| {
            if l.outgoing {
                l.to.kind == "topic"
            } else {
                l.from.kind == "topic"
            }
        })
        .collect())
}

/// Every link of a topic or a ticket, for staff (the API).
pub async fn of(db: &Db, user: &AuthUser, kind: String, id: i64) -> Result<Vec<LinkView>, AppError> {
    crate::forum::require_staff(user, "see every link")?;
    if !matches!(kind.as_str(), "topic" | "ticket") {
        return Err(AppError::field(
            "kind",
            "Say whose links: kind=topic or kind=ticket.",
        ));
    }
    db.read(move |c| links_of(c, &kind, id)).await
}

/// Every link of one end, both ways, each with the other end's title and address.
fn links_of(c: &mut AnyConnection, kind: &str, id: i64) -> Result<Vec<LinkView>, AppError> {
    let rows: Vec<(i64, String, i64, String, String, i64)> = links::table
        .filter(
            links::from_kind
                .eq(kind)
                .and(links::from_id.eq(id))
                .or(links::to_kind.eq(kind).and(links::to_id.eq(id))),
        )
        .order(links::id.asc())
        .select((
            links::id,
            links::from_kind,
            links::from_id,
            links::relation,
            links::to_kind,
            links::to_id,
        ))
        .load(c)?;
    let mut out = Vec::new();
    for (lid, from_kind, from_id, relation, to_kind, to_id) in rows {
        let outgoing = from_kind == kind && from_id == id;
        let (other_kind, other) = if outgoing {
            (to_kind.as_str(), to_id)
        } else {
            (from_kind.as_str(), from_id)
        };
        let (title, url) = if other_kind == "ticket" {
            let s: Option<String> = tickets::table
                .find(other)
                .select(tickets::subject)
                .first(c)
                .optional()?;
            (s.unwrap_or_default(), format!("/portal/tickets/{other}"))
        } else {
            match topic_kind(c, other) {
                Ok(t) => (t.1, format!("/t/{other}")),
                // A deleted topic: its links are not shown.
                Err(_) => continue,
            }
        };
        out.push(LinkView {
            id: lid,
            relation,
            from: End {
                kind: from_kind,
                id: from_id,
            },
            to: End {
                kind: to_kind,
                id: to_id,
            },
            title,
            url,
            outgoing,
        });
    }
    Ok(out)
}
