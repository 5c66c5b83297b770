//! Listing topics: filters, sorts and keyset pages.

use super::*;

/// Which topics to list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicQuery {
    /// A category slug (its sub-categories included).
    pub category: Option<String>,
    pub tag: Option<String>,
    /// `unanswered`, `solved` or `mine`.
    #[param(pattern = "^(unanswered|solved|mine|)$")]
    pub filter: Option<String>,
    /// Ideas: one status.
    #[param(pattern = "^(new|under_review|planned|in_progress|shipped|declined|duplicate|)$")]
    pub status: Option<String>,
    /// `latest` (default), `newest`, `votes` or `trending`.
    #[param(pattern = "^(latest|newest|votes|trending|)$")]
    pub sort: Option<String>,
    /// The cursor of the next page, as given by the previous one.
    pub after: Option<String>,
}

/// One page of a topic list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicList {
    /// Pinned topics of the category, on the first page only.
    pub pinned: Vec<TopicCard>,
    pub topics: Vec<TopicCard>,
    /// Cursor for the next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sort {
    Latest,
    Newest,
    Votes,
    /// Ideas by votes in the last 14 days.
    Trending,
}

/// Where the previous page ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cursor {
    Time(NaiveDateTime, i64),
    Score(i64, i64),
    Offset(i64),
}

pub(super) fn parse_cursor(sort: Sort, raw: &str) -> Result<Cursor, AppError> {
    let bad = || {
        AppError::field(
            "after",
            "The page cursor is not valid; start again from the first page.",
        )
    };
    if sort == Sort::Trending {
        return raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Cursor::Offset)
            .ok_or_else(bad);
    }
    let (a, b) = raw.split_once('_').ok_or_else(bad)?;
    let id: i64 = b.parse().map_err(|_| bad())?;
    let a: i64 = a.parse().map_err(|_| bad())?;
    match sort {
        Sort::Votes => Ok(Cursor::Score(a, id)),
        _ => DateTime::from_timestamp_micros(a)
            .map(|t| Cursor::Time(t.naive_utc(), id))
            .ok_or_else(bad),
    }
}

/// Lists topics (four queries: the topics with authors and categories, then tags, and
/// participants in two).
pub async fn list(db: &Db, user: &AuthUser, query: TopicQuery) -> Result<TopicList, AppError> {
    require_read(user)?;
    let sort = match query.sort.as_deref().unwrap_or("latest") {
        "latest" | "" => Sort::Latest,
        "newest" => Sort::Newest,
        "votes" => Sort::Votes,
        "trending" => Sort::Trending,
        other => {
            return Err(AppError::field(
                "sort",
                format!("'{other}' is not a sort; use latest, newest, votes or trending."),
            ));
        }
    };
    let filter = query.filter.clone().filter(|f| !f.is_empty());
    if let Some(f) = &filter
        && !["unanswered", "solved", "mine"].contains(&f.as_str())
    {
        return Err(AppError::field(
            "filter",
            format!("'{f}' is not a filter; use unanswered, solved or mine."),
        ));
    }
    let status = query.status.clone().filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !crate::forum::ideas::STATUSES.contains(&s.as_str())
    {
        return Err(AppError::field("status", format!("'{s}' is not an idea status.")));
    }
    let cursor = query
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| parse_cursor(sort, a))
        .transpose()?;
    let user_id = user.id;
    db.read(move |c| {
        let category_ids = match query.category.as_deref().filter(|c| !c.is_empty()) {
            Some(slug) => {
                let id = by_slug(c, slug)?.id;
                Some(with_children(c, id)?)
            }
            None => None,
        };
        let base = || {
            let mut q = topics::table
                .inner_join(users::table.on(users::id.eq(topics::user_id)))
                .inner_join(categories::table)
                .filter(topics::deleted_at.is_null())
                .filter(topics::merged_into_id.is_null())
                .select((Topic::as_select(), author_columns(), category_columns()))
                .into_boxed();
            // One category by equality: PostgreSQL reads `= ANY($1)` without the
            // index order and would sort the whole category.
            match category_ids.as_deref() {
                Some([one]) => q = q.filter(topics::category_id.eq(*one)),
                Some(many) => q = q.filter(topics::category_id.eq_any(many.to_vec())),
                None => {}
            }
            if let Some(tag) = &query.tag {
                q = q.filter(
                    topics::id.eq_any(
                        topic_tags::table
                            .inner_join(tags::table)
                            .filter(tags::name.eq(tag.trim().to_lowercase()))
                            .select(topic_tags::topic_id),
                    ),
                );
            }
            match filter.as_deref() {
                Some("unanswered") => q = q.filter(topics::reply_count.eq(0)),
                Some("solved") => q = q.filter(topics::accepted_post_id.is_not_null()),
                Some("mine") => q = q.filter(topics::user_id.eq(user_id)),
                _ => {}
            }
            if let Some(s) = &status {
                q = q.filter(topics::status.eq(s.clone()));
            }
            q
        };
        // Pinned topics lead the first page of a category's latest list.
        let show_pinned =
            category_ids.is_some() && cursor.is_none() && sort == Sort::Latest && filter.is_none();
        let pinned_rows = if show_pinned {
            base()
                .filter(topics::pinned.eq(true))
                .order((topics::last_posted_at.desc(), topics::id.desc()))
                .limit(10)
                .load(c)?
        } else {
            Vec::new()
        };
        let (rows, next) = if sort == Sort::Trending {
            let offset = match cursor {
                Some(Cursor::Offset(n)) => n,
                _ => 0,
            };
            let ids =
                crate::forum::ideas::trending_ids(c, category_ids.as_deref(), offset, TOPICS_PER_PAGE + 1)?;
            let more = ids.len() as i64 > TOPICS_PER_PAGE;
            let ids: Vec<i64> = ids.into_iter().take(TOPICS_PER_PAGE as usize).collect();
            let mut rows: Vec<TopicRow> = base().filter(topics::id.eq_any(ids.clone())).load(c)?;
            rows.sort_by_key(|(t, _, _)| ids.iter().position(|id| *id == t.id));
            (rows, more.then(|| (offset + TOPICS_PER_PAGE).to_string()))
        } else {
            let mut q = base();
            if show_pinned {
                q = q.filter(topics::pinned.eq(false));
            }
            q = match (sort, cursor) {
                (Sort::Latest, Some(Cursor::Time(t, id))) => q.filter(
                    topics::last_posted_at
                        .lt(t)
                        .or(topics::last_posted_at.eq(t).and(topics::id.lt(id))),
                ),
                (Sort::Newest, Some(Cursor::Time(t, id))) => q.filter(
                    topics::created_at
                        .lt(t)
                        .or(topics::created_at.eq(t).and(topics::id.lt(id))),
                ),
                (Sort::Votes, Some(Cursor::Score(s, id))) => {
                    q.filter(topics::score.lt(s).or(topics::score.eq(s).and(topics::id.lt(id))))
                }
                _ => q,
            };
            q = match sort {
                Sort::Newest => q.order((topics::created_at.desc(), topics::id.desc())),
                Sort::Votes => q.order((topics::score.desc(), topics::id.desc())),
                _ => q.order((topics::last_posted_at.desc(), topics::id.desc())),
            };
            let mut rows: Vec<TopicRow> = q.limit(TOPICS_PER_PAGE + 1).load(c)?;
            let more = rows.len() as i64 > TOPICS_PER_PAGE;
            rows.truncate(TOPICS_PER_PAGE as usize);
            let next = more.then(|| rows.last()).flatten().map(|(t, _, _)| match sort {
                Sort::Newest => format!("{}_{}", t.created_at.and_utc().timestamp_micros(), t.id),
                Sort::Votes => format!("{}_{}", t.score, t.id),
                _ => format!("{}_{}", t.last_posted_at.and_utc().timestamp_micros(), t.id),
            });
            (rows, next)
        };
        let mut all = pinned_rows;
        let pinned_len = all.len();
        all.extend(rows);
        let mut cards = views::cards(c, all)?;
        let topics = cards.split_off(pinned_len);
        Ok(TopicList {
            pinned: cards,
            topics,
            next,
        })
    })
    .await
}
