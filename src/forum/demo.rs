//! Demo content for `--demo`: a few topics in every category, with answers, votes, an
//! accepted answer, idea statuses and a release. Written once: a second `--demo` start
//! leaves the forum as it is.

use diesel::prelude::*;

use super::{outbox, render_body};
use crate::db::schema::{categories, post_votes, posts, topic_votes, topics};
use crate::db::{AnyConnection, now};
use crate::error::AppError;
use crate::with_backend;

struct Demo<'a> {
    category: &'a str,
    author: i64,
    title: &'a str,
    body: &'a str,
    tags: &'a [&'a str],
    replies: &'a [(i64, &'a str)],
}

/// Fills the categories unless the forum already has topics.
pub fn populate(c: &mut AnyConnection, staff: i64, alice: i64, bob: i64) -> Result<(), AppError> {
    let existing: i64 = topics::table.count().get_result(c)?;
    if existing > 0 {
        return Ok(());
    }
    let demos = [
        Demo {
            category: "questions",
            author: alice,
            title: "ERR-1042 after upgrading to 4.2.1",
            body: "Since the upgrade our nightly import stops with `ERR-1042: lock file present`.\n\n\
                   Steps so far:\n\n- [x] restarted the agent\n- [ ] cleared the cache\n\nAny idea?",
            tags: &["upgrade", "import"],
            replies: &[
                (bob, "Same here on 4.2.1. Restarting did not help for us either."),
                (
                    staff,
                    "The 4.2.1 importer leaves `import.lock` behind when a run is cancelled. Delete it and \
                     run again:\n\n```sh\nrm /var/lib/widget/import.lock\nwidgetctl import --resume\n```\n\n\
                     4.2.2 removes stale locks on its own.",
                ),
            ],
        },
        Demo {
            category: "questions",
            author: bob,
            title: "Can the API return more than 100 rows per page?",
            body: "We sync a large catalogue and paging by 100 is slow. Is there a larger limit?",
            tags: &["api"],
            replies: &[],
        },
        Demo {
            category: "releases",
            author: staff,
            title: "Widget 4.2.2",
            body: "## Fixed\n\n- The importer removes a stale `import.lock` (ERR-1042).\n- CSV exports keep \
                   leading zeros.\n\n## Upgrade\n\nIn place from any 4.x release.",
            tags: &["widget"],
            replies: &[(
                alice,
                "Upgraded this morning; the nightly import runs again. Thanks!",
            )],
        },
        Demo {
            category: "ideas",
            author: alice,
            title: "Dark mode for the dashboard",
            body: "Our operators work nights; a dark theme would be easier on the eyes.",
            tags: &["ui"],
            replies: &[(bob, "+1, and please follow the system setting.")],
        },
        Demo {
            category: "ideas",
            author: bob,
            title: "Export reports as CSV",
            body: "Finance wants the monthly usage report in a spreadsheet.",
            tags: &["reports"],
            replies: &[],
        },
        Demo {
            category: "knowledge",
            author: staff,
            title: "Five settings to check before going live",
            body: "1. Set the **base URL** to the public address.\n2. Turn on TLS.\n3. Schedule backups \
                   and try a restore.\n4. Raise the connection pool for busy sites.\n5. Subscribe to the \
                   status page.",
            tags: &["checklist", "operations"],
            replies: &[(alice, "Number 3 saved us once. Worth repeating!")],
        },
    ];
    let mut made = Vec::new();
    for d in &demos {
        made.push(write(c, d)?);
    }
    // Votes, an accepted answer, idea statuses, a release's fields.
    let (question, answers) = &made[0];
    if let Some(accepted) = answers.last() {
        for voter in [alice, bob] {
            diesel::insert_into(post_votes::table)
                .values((
                    post_votes::post_id.eq(accepted),
                    post_votes::user_id.eq(voter),
                    post_votes::value.eq(1),
                    post_votes::created_at.eq(now()),
                ))
                .execute(c)?;
        }
        diesel::update(posts::table.find(accepted))
            .set(posts::score.eq(2))
            .execute(c)?;
        diesel::update(topics::table.find(question))
            .set(topics::accepted_post_id.eq(accepted))
            .execute(c)?;
    }
    diesel::update(topics::table.find(made[2].0))
        .set((
            topics::product.eq("Widget"),
            topics::version.eq("4.2.2"),
            topics::released_on.eq(now().date()),
        ))
        .execute(c)?;
    for (idea, status, voters) in [
        (made[3].0, "planned", vec![alice, bob, staff]),
        (made[4].0, "under_review", vec![bob]),
    ] {
        for voter in &voters {
            diesel::insert_into(topic_votes::table)
                .values((
                    topic_votes::topic_id.eq(idea),
                    topic_votes::user_id.eq(voter),
                    topic_votes::created_at.eq(now()),
                ))
                .execute(c)?;
        }
        diesel::update(topics::table.find(idea))
            .set((topics::status.eq(status), topics::score.eq(voters.len() as i64)))
            .execute(c)?;
    }
    let response = render_body(c, "We plan this for **5.0**, following the system setting.")?;
    diesel::update(topics::table.find(made[3].0))
        .set((
            topics::response_markdown.eq("We plan this for **5.0**, following the system setting."),
            topics::response_html.eq(response.html.as_str()),
            topics::response_user_id.eq(staff),
        ))
        .execute(c)?;
    diesel::update(topics::table.find(made[5].0))
        .set(topics::official.eq(true))
        .execute(c)?;
    Ok(())
}

/// Writes one topic with its replies and counts; returns its id and its replies' ids.
fn write(c: &mut AnyConnection, d: &Demo<'_>) -> Result<(i64, Vec<i64>), AppError> {
    let category: (i64, String) = categories::table
        .filter(categories::slug.eq(d.category))
        .select((categories::id, categories::kind))
        .first(c)?;
    let t = now();
    let values = (
        topics::category_id.eq(category.0),
        topics::user_id.eq(d.author),
        topics::title.eq(d.title),
        topics::slug.eq(super::slugify(d.title)),
        topics::status.eq((category.1 == "ideas").then_some("new")),
        topics::reply_count.eq(d.replies.len() as i64),
        topics::last_posted_at.eq(t),
        topics::last_post_user_id.eq(d.replies.last().map(|r| r.0).unwrap_or(d.author)),
        topics::created_at.eq(t),
        topics::updated_at.eq(t),
    );
    let topic_id: i64 = with_backend!(c, |c| diesel::insert_into(topics::table)
        .values(values)
        .returning(topics::id)
        .get_result(c))?;
    let mut reply_ids = Vec::new();
    for (number, (author, body)) in std::iter::once((d.author, d.body))
        .chain(d.replies.iter().copied())
        .enumerate()
    {
        let html = render_body(c, body)?.html.into_string();
        let values = (
            posts::topic_id.eq(topic_id),
            posts::user_id.eq(author),
            posts::number.eq(number as i64 + 1),
            posts::body_markdown.eq(body),
            posts::body_html.eq(html),
            posts::created_at.eq(t),
            posts::updated_at.eq(t),
        );
        let id: i64 = with_backend!(c, |c| diesel::insert_into(posts::table)
            .values(values)
            .returning(posts::id)
            .get_result(c))?;
        if number > 0 {
            reply_ids.push(id);
        }
    }
    let tags: Vec<String> = d.tags.iter().map(|t| t.to_string()).collect();
    super::topics::set_tags(c, topic_id, &tags)?;
    diesel::update(categories::table.find(category.0))
        .set((
            categories::topic_count.eq(categories::topic_count + 1),
            categories::post_count.eq(categories::post_count + 1 + d.replies.len() as i64),
            categories::last_topic_id.eq(topic_id),
            categories::last_posted_at.eq(t),
        ))
        .execute(c)?;
    outbox(c, "topic", topic_id)?;
    Ok((topic_id, reply_ids))
}
