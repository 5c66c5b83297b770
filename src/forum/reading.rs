//! Reading a topic: its opening post, the accepted answer and one page of replies,
//! for one reader. The parts every reader shares come from [`super::cache`] while the
//! topic is unchanged; the reader's own parts (votes, buttons) are added per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use diesel::prelude::*;
use serde::Serialize;

use super::cache::{PageData, next_generation};
use super::topics::POSTS_PER_PAGE;
use super::views::{
    self, AuthorRow, PostView, TopicCard, TopicRow, author, author_columns, category_columns,
};
use super::{Kind, require_read};
use crate::app::AppState;
use crate::db::AnyConnection;
use crate::db::models::{Post, Topic};
use crate::db::schema::{categories, post_votes, posts, topic_votes, topics, users};
use crate::error::AppError;
use crate::web::AuthUser;

/// A topic page: the topic, its opening post, the accepted answer, one page of replies.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicPage {
    pub topic: TopicCard,
    pub opening: PostView,
    pub accepted: Option<PostView>,
    pub replies: Vec<PostView>,
    pub page: i64,
    pub pages: i64,
    pub can_reply: bool,
    pub can_moderate: bool,
    /// Ideas: status, votes, the reader's vote, the official response.
    pub idea: Option<super::ideas::IdeaView>,
    /// Releases: files and links.
    pub downloads: Vec<crate::db::models::Download>,
    /// Names the shared data this page was built from; rendered posts are kept under it.
    #[serde(skip)]
    pub generation: u64,
}

/// Loads a topic page. On a cache hit that is two indexed queries (the topic's
/// revision and the reader's votes, plus the reader's idea vote on ideas); on a miss
/// four more (topic, posts, tags, downloads), whatever the number of posts.
pub async fn page(
    state: &AppState,
    user: &AuthUser,
    topic_id: i64,
    page: i64,
) -> Result<TopicPage, AppError> {
    require_read(user)?;
    let viewer = user.clone();
    let cache = state.topic_cache.clone();
    state
        .db
        .read(move |c| {
            let staff = viewer.is_staff();
            let (revision, reply_count, deleted): (i64, i64, bool) = topics::table
                .find(topic_id)
                .select((
                    topics::revision,
                    topics::reply_count,
                    topics::deleted_at.is_not_null(),
                ))
                .first(c)?;
            if deleted && !staff {
                return Err(AppError::NotFound);
            }
            let pages = ((reply_count + POSTS_PER_PAGE - 1) / POSTS_PER_PAGE).max(1);
            let page = page.clamp(1, pages);
            let key = (topic_id, page, staff);
            let data = match cache.page(key, revision) {
                Some(data) => data,
                None => {
                    let data = Arc::new(load(c, topic_id, page, staff)?);
                    cache.keep_page(key, data.clone());
                    data
                }
            };
            for_reader(c, &data, &viewer)
        })
        .await
}

/// What every reader of one kind (staff or not) sees of a page of a topic.
fn load(c: &mut AnyConnection, topic_id: i64, page: i64, staff: bool) -> Result<PageData, AppError> {
    let row: TopicRow = topics::table
        .inner_join(users::table.on(users::id.eq(topics::user_id)))
        .inner_join(categories::table)
        .filter(topics::id.eq(topic_id))
        .select((Topic::as_select(), author_columns(), category_columns()))
        .first(c)?;
    let topic: Topic = row.0.clone();
    let kind = Kind::parse(&row.2.3).unwrap_or(Kind::Questions);
    let card = views::cards(c, vec![row])?.pop().ok_or(AppError::NotFound)?;
    let pages = ((topic.reply_count + POSTS_PER_PAGE - 1) / POSTS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let first = (page - 1) * POSTS_PER_PAGE + 2;
    let last = page * POSTS_PER_PAGE + 1;
    // The opening post, this page of replies, and the accepted answer wherever it is.
    let accepted_id = topic.accepted_post_id.unwrap_or(-1);
    let loaded: Vec<(Post, AuthorRow)> = posts::table
        .inner_join(users::table.on(users::id.eq(posts::user_id)))
        .filter(posts::topic_id.eq(topic_id))
        .filter(
            posts::number
                .eq(1)
                .or(posts::number.between(first, last))
                .or(posts::id.eq(accepted_id)),
        )
        .order(posts::number.asc())
        .select((Post::as_select(), author_columns()))
        .load(c)?;
    let posts = loaded
        .into_iter()
        .map(|(p, a)| {
            let view = PostView {
                id: p.id,
                topic_id: p.topic_id,
                number: p.number,
                html: views::visible_html(&p, staff),
                score: p.score,
                my_vote: 0,
                accepted: Some(p.id) == topic.accepted_post_id,
                deleted: p.deleted_at.is_some(),
                hidden: p.hidden,
                edit_count: p.edit_count,
                edited_at: p.edited_at,
                created_at: p.created_at,
                can_edit: false,
                can_vote: false,
                can_accept: false,
                author: author(a),
            };
            (view, p.user_id)
        })
        .collect();
    let idea = if kind == Kind::Ideas {
        Some(super::ideas::view(&topic))
    } else {
        None
    };
    let downloads = if kind == Kind::Releases {
        super::releases::for_topic(c, topic.id)?
    } else {
        Vec::new()
    };
    Ok(PageData {
        revision: topic.revision,
        generation: next_generation(),
        loaded_at: Instant::now(),
        topic: card,
        topic_user_id: topic.user_id,
        locked: topic.locked,
        deleted: topic.deleted_at.is_some(),
        accepted_post_id: topic.accepted_post_id,
        is_question: kind == Kind::Questions,
        posts,
        first,
        last,
        page,
        pages,
        idea,
        downloads,
    })
}

/// The shared page with the reader's votes and buttons filled in.
fn for_reader(c: &mut AnyConnection, data: &PageData, viewer: &AuthUser) -> Result<TopicPage, AppError> {
    let ids: Vec<i64> = data.posts.iter().map(|(p, _)| p.id).collect();
    let votes: HashMap<i64, i32> = post_votes::table
        .filter(post_votes::user_id.eq(viewer.id))
        .filter(post_votes::post_id.eq_any(&ids))
        .select((post_votes::post_id, post_votes::value))
        .load::<(i64, i32)>(c)?
        .into_iter()
        .collect();
    let idea = match &data.idea {
        Some(idea) => {
            let voted: i64 = topic_votes::table
                .filter(topic_votes::topic_id.eq(data.topic.id))
                .filter(topic_votes::user_id.eq(viewer.id))
                .count()
                .get_result(c)?;
            Some(super::ideas::IdeaView {
                voted: voted > 0,
                ..idea.clone()
            })
        }
        None => None,
    };
    let can_post = viewer.can_post();
    let staff = viewer.is_staff();
    let can_accept = data.is_question && (staff || viewer.id == data.topic_user_id) && can_post;
    let view = |(p, author_id): &(PostView, i64)| {
        let live = !p.deleted;
        PostView {
            my_vote: votes.get(&p.id).copied().unwrap_or(0),
            can_edit: live && can_post && (staff || *author_id == viewer.id),
            can_vote: live && can_post && *author_id != viewer.id,
            can_accept: live && can_accept && p.number > 1,
            ..p.clone()
        }
    };
    let opening = data
        .posts
        .iter()
        .find(|(p, _)| p.number == 1)
        .map(view)
        .ok_or(AppError::NotFound)?;
    let accepted = data
        .posts
        .iter()
        .find(|(p, _)| Some(p.id) == data.accepted_post_id)
        .map(view);
    let replies = data
        .posts
        .iter()
        .filter(|(p, _)| p.number >= data.first && p.number <= data.last)
        .map(view)
        .collect();
    Ok(TopicPage {
        topic: data.topic.clone(),
        opening,
        accepted,
        replies,
        page: data.page,
        pages: data.pages,
        can_reply: can_post && (!data.locked || staff) && !data.deleted,
        can_moderate: staff,
        idea,
        downloads: data.downloads.clone(),
        generation: data.generation,
    })
}
