//! Who hears of a reply. Replies are the forum's most frequent write, so everyone a
//! reply concerns, and what their mail needs, is read in one statement: the topic's
//! watchers, the watchers of every post in its category or the category's parent, the
//! topic's author, and the replier, whose name the mails show. The people @mentioned
//! are read by a second statement, only when there are any.

use diesel::dsl::AsExprOf;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::mail::Person;
use super::service::{Event, Recipients, record_for};
use crate::db::AnyConnection;
use crate::db::schema::{categories, category_watches, topic_watches, users};
use crate::error::AppError;
use crate::mail::MailContext;

/// The topic replied to, as its update returned it.
pub struct RepliedTopic {
    pub id: i64,
    pub category_id: i64,
    /// Its author.
    pub user_id: i64,
    pub title: String,
}

/// A reply was written. Called in the reply's transaction.
pub fn on_reply(
    c: &mut AnyConnection,
    m: &MailContext,
    topic: &RepliedTopic,
    post: &super::service::Written<'_>,
) -> Result<(), AppError> {
    let rows = concerned(c, topic, post.author, post.mentions)?;
    let mut to = Recipients::default();
    let mut people: Vec<Person> = Vec::with_capacity(rows.len());
    let mut actor = None;
    for (person, why, handle) in rows {
        match why.as_str() {
            "watched_topic" => to.add(person.0, "watched_topic"),
            "watched_category" => to.add(person.0, "watched_category"),
            _ => {
                if person.0 == topic.user_id {
                    to.add(person.0, "reply");
                }
                if handle.is_some_and(|h| post.mentions.contains(&h)) {
                    to.add(person.0, "mention");
                }
            }
        }
        if person.0 == post.author {
            actor = Some(person.1);
        } else {
            people.push(person);
        }
    }
    // One row per person, however many ways they are concerned.
    people.sort_unstable_by_key(|p| p.0);
    people.dedup_by_key(|p| p.0);
    if people.is_empty() {
        return Ok(());
    }
    let event = Event {
        key: format!("post:{}", post.post_id),
        topic_id: topic.id,
        post_id: Some(post.post_id),
        actor_id: post.author,
        title: &topic.title,
        detail: None,
        body: Some(post.body),
    };
    record_for(c, m, &event, &to, &people, actor)
}

/// One row per way a person is concerned: the person, why (`watched_topic`,
/// `watched_category`, or `named` for the author, the replier and those mentioned), and
/// their handle.
type Concerned = (Person, String, Option<String>);

/// A reason, as a column of the statement.
fn why(w: &'static str) -> AsExprOf<&'static str, Text> {
    w.into_sql::<Text>()
}

fn concerned(
    c: &mut AnyConnection,
    topic: &RepliedTopic,
    author: i64,
    mentions: &[String],
) -> Result<Vec<Concerned>, AppError> {
    let rows: Vec<Concerned> = crate::with_backend!(c, |c| {
        let person = super::mail::person_columns();
        let watching_topic = topic_watches::table
            .inner_join(users::table)
            .filter(topic_watches::topic_id.eq(topic.id))
            .select((person, why("watched_topic"), users::username));
        let parent = categories::table
            .filter(categories::id.eq(topic.category_id))
            .select(categories::parent_id);
        let watching_category = category_watches::table
            .inner_join(users::table)
            .filter(category_watches::level.eq("all_posts"))
            .filter(
                category_watches::category_id
                    .eq(topic.category_id)
                    .or(category_watches::category_id.nullable().eq_any(parent)),
            )
            .select((person, why("watched_category"), users::username));
        let named = users::table
            .filter(users::id.eq(topic.user_id).or(users::id.eq(author)))
            .select((person, why("named"), users::username));
        watching_topic
            .union_all(watching_category)
            .union_all(named)
            .load(c)
    })?;
    // Those @mentioned, in a statement of their own when there are any: with them in
    // the one above, PostgreSQL would plan it again for every reply, the plan depending
    // on the list's length.
    let mut rows = rows;
    if !mentions.is_empty() {
        let mentioned: Vec<Concerned> = users::table
            .filter(users::username.eq_any(mentions))
            .select((super::mail::person_columns(), why("named"), users::username))
            .load(c)?;
        rows.extend(mentioned);
    }
    Ok(rows)
}
