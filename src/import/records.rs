//! Writing imported records: users, topics and their posts in batches, and the
//! counts once done.

use super::*;

pub(super) fn import_user(
    c: &mut AnyConnection,
    email: &str,
    name: &str,
    role: Option<&str>,
    organization: Option<&str>,
) -> Result<i64, AppError> {
    let address = crate::accounts::domains::parse_email(email).map_err(|m| AppError::field("email", m))?;
    let role = role.unwrap_or("member");
    if crate::accounts::Role::parse(role).is_none() {
        return Err(AppError::field("role", format!("'{role}' is not a role")));
    }
    write_transaction(c, |c| {
        let org_id = match organization {
            None => None,
            Some(org) => {
                let found: Option<i64> = organizations::table
                    .filter(organizations::name.eq(org))
                    .select(organizations::id)
                    .first(c)
                    .optional()?;
                match found {
                    Some(id) => Some(id),
                    None => Some(crate::accounts::service::create_organization(c, org, "approved", &[])?.id),
                }
            }
        };
        let t = now();
        let user = crate::accounts::service::insert_user(
            c,
            &crate::db::models::NewUser {
                email: &address.address,
                display_name: name.trim(),
                // Not a hash: no password matches until the person resets it.
                password_hash: "!imported",
                role,
                organization_id: org_id,
                authorized_contact: false,
                email_verified_at: Some(t),
                created_at: t,
                updated_at: t,
                username: None,
            },
        )?;
        Ok(user.id)
    })
}

pub(super) fn import_topic(
    c: &mut AnyConnection,
    category_id: i64,
    user_id: i64,
    title: &str,
    body: &str,
    tags: &[String],
    at: NaiveDateTime,
) -> Result<i64, AppError> {
    let title = check_title(title)?;
    let body = check_body(body)?;
    let tags = crate::forum::topics::check_tags(tags)?;
    write_transaction(c, |c| {
        let html = render_body(c, &body)?.html.into_string();
        let values = (
            topics::category_id.eq(category_id),
            topics::user_id.eq(user_id),
            topics::title.eq(&title),
            topics::slug.eq(slugify(&title)),
            topics::last_posted_at.eq(at),
            topics::last_post_user_id.eq(user_id),
            topics::created_at.eq(at),
            topics::updated_at.eq(at),
        );
        let topic_id: i64 = with_backend!(c, |c| diesel::insert_into(topics::table)
            .values(values)
            .returning(topics::id)
            .get_result(c))?;
        diesel::insert_into(posts::table)
            .values((
                posts::topic_id.eq(topic_id),
                posts::user_id.eq(user_id),
                posts::number.eq(1),
                posts::body_markdown.eq(&body),
                posts::body_html.eq(&html),
                posts::created_at.eq(at),
                posts::updated_at.eq(at),
            ))
            .execute(c)?;
        crate::forum::topics::set_tags(c, topic_id, &tags)?;
        Ok(topic_id)
    })
}

pub(super) fn flush(
    c: &mut AnyConnection,
    pending: &mut Vec<PendingPost>,
    summary: &mut Summary,
) -> Result<(), AppError> {
    let mut numbers = HashMap::new();
    flush_numbered(c, pending, &mut numbers, summary)
}

/// Writes the pending replies in one transaction, numbering them after the posts their
/// topics already have.
pub(super) fn flush_numbered(
    c: &mut AnyConnection,
    pending: &mut Vec<PendingPost>,
    next_number: &mut HashMap<i64, i64>,
    summary: &mut Summary,
) -> Result<(), AppError> {
    if pending.is_empty() {
        return Ok(());
    }
    let batch = std::mem::take(pending);
    write_transaction(c, |c| {
        let mut rows = Vec::with_capacity(batch.len());
        let mut accepted = Vec::new();
        for p in &batch {
            let number = match next_number.get(&p.topic_id) {
                Some(n) => *n,
                None => {
                    posts::table
                        .filter(posts::topic_id.eq(p.topic_id))
                        .select(diesel::dsl::max(posts::number))
                        .first::<Option<i64>>(c)?
                        .unwrap_or(0)
                        + 1
                }
            };
            next_number.insert(p.topic_id, number + 1);
            if p.accepted {
                accepted.push((p.topic_id, number));
            }
            let html = render_body(c, &p.body)?.html.into_string();
            rows.push((
                posts::topic_id.eq(p.topic_id),
                posts::user_id.eq(p.user_id),
                posts::number.eq(number),
                posts::body_markdown.eq(p.body.clone()),
                posts::body_html.eq(html),
                posts::created_at.eq(p.created_at),
                posts::updated_at.eq(p.created_at),
            ));
        }
        for chunk in rows.chunks(100) {
            with_backend!(c, |c| diesel::insert_into(posts::table)
                .values(chunk.to_vec())
                .execute(c))?;
        }
        for (topic_id, number) in accepted {
            let post_id: i64 = posts::table
                .filter(posts::topic_id.eq(topic_id))
                .filter(posts::number.eq(number))
                .select(posts::id)
                .first(c)?;
            diesel::update(topics::table.find(topic_id))
                .set(topics::accepted_post_id.eq(Some(post_id)))
                .execute(c)?;
        }
        Ok(())
    })?;
    summary.posts += batch.len() as u64;
    Ok(())
}

/// Recomputes reply counts, last activity and category counters from the rows, then
/// refreshes the planner's statistics: right after a bulk load PostgreSQL believes the
/// tables are empty and sorts whole categories instead of reading an index in order.
pub(super) fn recount(c: &mut AnyConnection) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    c.batch_execute(
        "UPDATE topics SET
            reply_count = (SELECT COUNT(*) FROM posts p WHERE p.topic_id = topics.id AND p.number > 1 AND p.deleted_at IS NULL),
            last_posted_at = COALESCE((SELECT MAX(p.created_at) FROM posts p WHERE p.topic_id = topics.id), topics.created_at);
         UPDATE categories SET
            topic_count = (SELECT COUNT(*) FROM topics t WHERE t.category_id = categories.id AND t.deleted_at IS NULL),
            post_count = (SELECT COUNT(*) FROM posts p JOIN topics t ON t.id = p.topic_id
                          WHERE t.category_id = categories.id AND t.deleted_at IS NULL AND p.deleted_at IS NULL),
            last_posted_at = (SELECT MAX(t.last_posted_at) FROM topics t WHERE t.category_id = categories.id AND t.deleted_at IS NULL),
            last_topic_id = (SELECT t.id FROM topics t WHERE t.category_id = categories.id AND t.deleted_at IS NULL
                             ORDER BY t.last_posted_at DESC, t.id DESC LIMIT 1);",
    )
    .map_err(|e| AppError::Internal(e.into()))?;
    crate::db::analyze(c).map_err(|e| AppError::Internal(e.into()))
}
