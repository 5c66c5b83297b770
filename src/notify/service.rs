//! Who hears of what happens in the forum, decided and recorded in the transaction of
//! the event itself: one notification per person and event, the person's unread count,
//! and, for those who want mail at once, the message in the outbox.
//!
//! | event | who is notified (never the person who did it) |
//! | --- | --- |
//! | a reply | the topic's author (`reply`), its watchers (`watched_topic`), watchers of its category or its parent for every post (`watched_category`) |
//! | a new topic | watchers of its category, for new topics or every post (`watched_category`); a release: followers of its product (`release`) |
//! | an @mention in either | the person mentioned (`mention`), in place of the above |
//! | an accepted answer | the answer's author, and the asker when someone else accepted (`accepted`) |
//! | an idea's new status | its author and everyone who voted for it (`idea_status`) |

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::schema::{
    categories, category_watches, notifications, posts, product_follows, topic_votes, topic_watches, topics,
    users,
};
use crate::db::{AnyConnection, now};
use crate::error::AppError;
use crate::mail::MailContext;
use crate::with_backend;

/// Kinds, from the most to the least direct: when one event concerns a person in
/// several ways, the first applies.
const PRECEDENCE: [&str; 7] = [
    "mention",
    "accepted",
    "reply",
    "idea_status",
    "release",
    "watched_topic",
    "watched_category",
];

/// The people an event concerns, each with the most direct reason.
#[derive(Default)]
pub(super) struct Recipients(BTreeMap<i64, &'static str>);

impl Recipients {
    pub(super) fn add(&mut self, user: i64, kind: &'static str) {
        let rank = |k: &str| PRECEDENCE.iter().position(|p| *p == k).unwrap_or(usize::MAX);
        let entry = self.0.entry(user).or_insert(kind);
        if rank(kind) < rank(entry) {
            *entry = kind;
        }
    }

    fn extend(&mut self, users: impl IntoIterator<Item = i64>, kind: &'static str) {
        for u in users {
            self.add(u, kind);
        }
    }
}

/// What every notification of one event shares.
pub(super) struct Event<'a> {
    pub(super) key: String,
    pub(super) topic_id: i64,
    pub(super) post_id: Option<i64>,
    pub(super) actor_id: i64,
    pub(super) title: &'a str,
    pub(super) detail: Option<&'a str>,
    /// The post's markdown, when the caller has it at hand (the excerpt in mails).
    pub(super) body: Option<&'a str>,
}

/// A topic as notifications need it.
#[derive(Queryable)]
struct TopicFacts {
    user_id: i64,
    title: String,
    category_id: i64,
    parent_id: Option<i64>,
    product: Option<String>,
    kind: String,
}

fn topic_facts(c: &mut AnyConnection, topic_id: i64) -> Result<TopicFacts, AppError> {
    Ok(topics::table
        .inner_join(categories::table)
        .filter(topics::id.eq(topic_id))
        .select((
            topics::user_id,
            topics::title,
            topics::category_id,
            categories::parent_id,
            topics::product,
            categories::kind,
        ))
        .first(c)?)
}

fn users_by_handle(c: &mut AnyConnection, handles: &[String]) -> Result<Vec<i64>, AppError> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::username.eq_any(handles))
        .select(users::id)
        .load(c)?)
}

/// Watchers of the topic's category or its parent, for new topics or every post.
fn category_watchers(c: &mut AnyConnection, t: &TopicFacts) -> Result<Vec<i64>, AppError> {
    let mut ids = vec![t.category_id];
    ids.extend(t.parent_id);
    Ok(category_watches::table
        .filter(category_watches::category_id.eq_any(ids))
        .select(category_watches::user_id)
        .load(c)?)
}

/// A post just written, as its transaction knows it.
pub struct Written<'a> {
    pub post_id: i64,
    pub topic_id: i64,
    pub author: i64,
    pub body: &'a str,
    /// The handles @mentioned in it.
    pub mentions: &'a [String],
}

/// A topic was opened (its first post written). Called in the topic's transaction.
/// Replies are [`super::replies::on_reply`]'s.
pub fn on_topic(c: &mut AnyConnection, m: &MailContext, post: &Written<'_>) -> Result<(), AppError> {
    let Written {
        post_id,
        topic_id,
        author,
        body,
        mentions,
        ..
    } = *post;
    let t = topic_facts(c, topic_id)?;
    let mut to = Recipients::default();
    to.extend(category_watchers(c, &t)?, "watched_category");
    if let (Some(product), "releases") = (&t.product, t.kind.as_str()) {
        let followers: Vec<i64> = product_follows::table
            .filter(product_follows::product.eq(product.to_lowercase()))
            .select(product_follows::user_id)
            .load(c)?;
        to.extend(followers, "release");
    }
    // Whoever opens a topic watches it.
    watch_topic_in(c, author, topic_id, true)?;
    to.extend(users_by_handle(c, mentions)?, "mention");
    let event = Event {
        key: format!("post:{post_id}"),
        topic_id,
        post_id: Some(post_id),
        actor_id: author,
        title: &t.title,
        detail: None,
        body: Some(body),
    };
    record(c, m, &event, to)
}

/// An answer was accepted by `actor`. Called in the acceptance's transaction.
pub fn on_accept(c: &mut AnyConnection, m: &MailContext, post_id: i64, actor: i64) -> Result<(), AppError> {
    let (topic_id, answerer): (i64, i64) = posts::table
        .find(post_id)
        .select((posts::topic_id, posts::user_id))
        .first(c)?;
    let t = topic_facts(c, topic_id)?;
    let mut to = Recipients::default();
    to.add(answerer, "accepted");
    to.add(t.user_id, "accepted");
    let event = Event {
        key: format!("accepted:{post_id}"),
        topic_id,
        post_id: Some(post_id),
        actor_id: actor,
        title: &t.title,
        detail: None,
        body: None,
    };
    record(c, m, &event, to)
}

/// An idea's status changed to `status` (its name, as stored). Called in the change's
/// transaction.
pub fn on_idea_status(
    c: &mut AnyConnection,
    m: &MailContext,
    topic_id: i64,
    status: &str,
    actor: i64,
) -> Result<(), AppError> {
    let t = topic_facts(c, topic_id)?;
    let mut to = Recipients::default();
    let voters: Vec<i64> = topic_votes::table
        .filter(topic_votes::topic_id.eq(topic_id))
        .select(topic_votes::user_id)
        .load(c)?;
    to.extend(voters, "idea_status");
    to.add(t.user_id, "idea_status");
    let event = Event {
        key: format!(
            "idea-status:{topic_id}:{status}:{}",
            now().and_utc().timestamp_micros()
        ),
        topic_id,
        post_id: None,
        actor_id: actor,
        title: &t.title,
        detail: Some(status),
        body: None,
    };
    record(c, m, &event, to)
}

/// Writes one notification per recipient (none for the actor, none twice for one
/// event), counts it unread, and settles its mail: queued now for those who want mail
/// at once, left for the digest, or marked as needing none.
fn record(c: &mut AnyConnection, m: &MailContext, event: &Event<'_>, to: Recipients) -> Result<(), AppError> {
    let ids: Vec<i64> = to.0.keys().copied().filter(|u| *u != event.actor_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    // Everything the mails need, read once for the whole event: the people, and the
    // actor's name in the same statement.
    let mut wanted = ids;
    wanted.push(event.actor_id);
    let mut people: Vec<super::mail::Person> = users::table
        .filter(users::id.eq_any(&wanted))
        .select(super::mail::person_columns())
        .load(c)?;
    let actor: Option<String> = people
        .iter()
        .position(|p| p.0 == event.actor_id)
        .map(|i| people.remove(i).1);
    record_for(c, m, event, &to, &people, actor)
}

/// [`record`], with the recipients' `people` (the actor not among them) and the
/// actor's name already read.
pub(super) fn record_for(
    c: &mut AnyConnection,
    m: &MailContext,
    event: &Event<'_>,
    to: &Recipients,
    people: &[super::mail::Person],
    actor: Option<String>,
) -> Result<(), AppError> {
    let excerpt: Option<String> = match (event.body, event.post_id) {
        (Some(b), _) => Some(crate::markdown::excerpt(b, 400)),
        (None, Some(p)) => posts::table
            .find(p)
            .select(posts::body_markdown)
            .first::<String>(c)
            .optional()?
            .map(|b| crate::markdown::excerpt(&b, 400)),
        (None, None) => None,
    };
    let at = now();
    let mut counted = Vec::new();
    for person in people {
        let kind = to.0.get(&person.0).copied().unwrap_or("reply");
        // Mailed now, in this transaction, or needing none: only a verified address
        // that asked for the digest leaves it to be mailed later.
        let digest = person.3 == "digest" && person.4;
        let values = (
            notifications::user_id.eq(person.0),
            notifications::kind.eq(kind),
            notifications::event_key.eq(&event.key),
            notifications::topic_id.eq(event.topic_id),
            notifications::post_id.eq(event.post_id),
            notifications::actor_id.eq(Some(event.actor_id)),
            notifications::title.eq(event.title),
            notifications::detail.eq(event.detail),
            notifications::created_at.eq(at),
            notifications::mailed.eq(!digest),
        );
        let inserted: Vec<i64> = with_backend!(c, |c| diesel::insert_into(notifications::table)
            .values(values)
            .on_conflict((notifications::user_id, notifications::event_key))
            .do_nothing()
            .returning(notifications::id)
            .get_results(c))?;
        let Some(id) = inserted.first().copied() else {
            continue;
        };
        counted.push(person.0);
        if person.3 == "immediate" && person.4 {
            let line = super::mail::Line {
                id,
                kind: kind.to_string(),
                title: event.title.to_string(),
                detail: event.detail.map(str::to_string),
                actor: actor.clone(),
                topic_id: event.topic_id,
                post_id: event.post_id,
                created_at: at,
            };
            super::mail::queue_one(c, m, person, &line, excerpt.as_deref())?;
        }
    }
    if !counted.is_empty() {
        diesel::update(users::table.filter(users::id.eq_any(&counted)))
            .set(users::unread_notifications.eq(users::unread_notifications + 1))
            .execute(c)?;
    }
    Ok(())
}

/// Marks notifications as needing no more mail.
pub(crate) fn settle(c: &mut AnyConnection, ids: &[i64]) -> Result<(), AppError> {
    diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
        .set(notifications::mailed.eq(true))
        .execute(c)?;
    Ok(())
}

/// Watches a topic (every new post) or stops.
pub(crate) fn watch_topic_in(
    c: &mut AnyConnection,
    user_id: i64,
    topic_id: i64,
    watching: bool,
) -> Result<(), AppError> {
    if watching {
        with_backend!(c, |c| diesel::insert_into(topic_watches::table)
            .values((
                topic_watches::user_id.eq(user_id),
                topic_watches::topic_id.eq(topic_id),
                topic_watches::created_at.eq(now()),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
    } else {
        diesel::delete(topic_watches::table.find((user_id, topic_id))).execute(c)?;
    }
    Ok(())
}
