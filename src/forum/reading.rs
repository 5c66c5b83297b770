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
use crate::db::AnyConnection;
use crate::db::Db;
use crate::db::models::{Post, Topic};
use crate::db::schema::{categories, post_votes, posts, topic_votes, topics, users};
use crate::error::AppError;
use crate::forum::cache::TopicCache;
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

/// The reader's own parts of one post.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mine {
    pub my_vote: i32,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_vote: bool,
    pub can_accept: bool,
    /// Someone else's live post, to a reader who may post: flag it.
    pub can_flag: bool,
}

/// A topic page for one reader: the data every reader shares, and beside each of its
/// posts what is this reader's own. Nothing shared is copied.
#[derive(Clone)]
pub struct ReaderPage {
    pub data: Arc<PageData>,
    /// Beside each of `data.posts`.
    pub mine: Vec<Mine>,
    pub can_reply: bool,
    pub can_moderate: bool,
    /// Ideas, with the reader's vote.
    pub idea: Option<super::ideas::IdeaView>,
}

impl ReaderPage {
    /// Post `i` of the page as this reader sees it.
    pub fn post(&self, i: usize) -> PostView {
        let m = self.mine[i];
        PostView {
            my_vote: m.my_vote,
            can_edit: m.can_edit,
            can_delete: m.can_delete,
            can_vote: m.can_vote,
            can_accept: m.can_accept,
            can_flag: m.can_flag,
            ..self.data.posts[i].0.clone()
        }
    }

    /// The index of the opening post.
    pub fn opening(&self) -> Result<usize, AppError> {
        self.data
            .posts
            .iter()
            .position(|(p, _)| p.number == 1)
            .ok_or(AppError::NotFound)
    }

    /// The index of the accepted answer, when there is one.
    pub fn accepted(&self) -> Option<usize> {
        let id = self.data.accepted_post_id?;
        self.data.posts.iter().position(|(p, _)| p.id == id)
    }

    /// The indexes of this page's replies, in order.
    pub fn replies(&self) -> impl Iterator<Item = usize> + '_ {
        let (first, last) = (self.data.first, self.data.last);
        self.data
            .posts
            .iter()
            .enumerate()
            .filter(move |(_, (p, _))| p.number >= first && p.number <= last)
            .map(|(i, _)| i)
    }

    /// The page as the API gives it.
    pub fn into_page(self) -> Result<TopicPage, AppError> {
        let opening = self.post(self.opening()?);
        let accepted = self.accepted().map(|i| self.post(i));
        let replies = self.replies().map(|i| self.post(i)).collect();
        let data = &self.data;
        Ok(TopicPage {
            topic: data.topic.clone(),
            opening,
            accepted,
            replies,
            page: data.page,
            pages: data.pages,
            can_reply: self.can_reply,
            can_moderate: self.can_moderate,
            idea: self.idea,
            downloads: data.downloads.clone(),
            generation: data.generation,
        })
    }
}

/// Who reads, as far as a topic page cares.
#[derive(Debug, Clone, Copy)]
struct Viewer {
    id: i64,
    staff: bool,
    can_post: bool,
}

/// Loads a topic page (see [`reader_page`]).
pub async fn page(
    db: &Db,
    topic_cache: &Arc<TopicCache>,
    user: &AuthUser,
    topic_id: i64,
    page: i64,
) -> Result<TopicPage, AppError> {
    reader_page(db, topic_cache, user, topic_id, page)
        .await?
        .into_page()
}

/// Loads a topic page for a reader. On a cache hit that is two indexed queries (the
/// topic's revision and the reader's votes, plus the reader's idea vote on ideas), run
/// on the request's own thread when SQLite has a connection free; on a miss four more
/// (topic, posts, tags, downloads) on a blocking thread, whatever the number of posts.
pub async fn reader_page(
    db: &Db,
    topic_cache: &Arc<TopicCache>,
    user: &AuthUser,
    topic_id: i64,
    page: i64,
) -> Result<ReaderPage, AppError> {
    require_read(user)?;
    let viewer = Viewer {
        id: user.id,
        staff: user.is_staff(),
        can_post: user.can_post(),
    };
    // The reader's page as last built, while nothing was written since (on this node,
    // or heard of from another, see `db::watch`): no database at all.
    let key = super::cache::ReaderKey {
        topic_id,
        page,
        user_id: viewer.id,
        staff: viewer.staff,
        can_post: viewer.can_post,
    };
    let writes = db.writes();
    if let Some(found) = topic_cache.reader(&key, writes) {
        return Ok(found);
    }
    let cache = topic_cache.clone();
    let hit = db
        .read_quick(move |c| lookup(c, &cache, viewer, topic_id, page, false))
        .await?;
    let found = match hit {
        Some(found) => found,
        None => {
            let cache = topic_cache.clone();
            db.read(move |c| lookup(c, &cache, viewer, topic_id, page, true))
                .await?
                .ok_or(AppError::NotFound)?
        }
    };
    topic_cache.keep_reader(key, writes, &found);
    Ok(found)
}

/// The page from the cache when it is current; else, with `load`, from the tables
/// (and kept), or none.
fn lookup(
    c: &mut AnyConnection,
    cache: &super::cache::TopicCache,
    viewer: Viewer,
    topic_id: i64,
    page: i64,
    load: bool,
) -> Result<Option<ReaderPage>, AppError> {
    // `load`, not `first`: SQLite compiles a statement again whenever the value of a
    // bound `LIMIT` changes hands, and the primary key finds one row anyway.
    let (revision, reply_count, deleted): (i64, i64, bool) = topics::table
        .find(topic_id)
        .select((
            topics::revision,
            topics::reply_count,
            topics::deleted_at.is_not_null(),
        ))
        .load(c)?
        .pop()
        .ok_or(AppError::NotFound)?;
    if deleted && !viewer.staff {
        return Err(AppError::NotFound);
    }
    let pages = ((reply_count + POSTS_PER_PAGE - 1) / POSTS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let key = (topic_id, page, viewer.staff);
    let data = match cache.page(key, revision) {
        Some(data) => data,
        None if load => {
            let data = Arc::new(self::load(c, topic_id, page, viewer.staff)?);
            cache.keep_page(key, data.clone());
            data
        }
        None => return Ok(None),
    };
    for_reader(c, data, viewer).map(Some)
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
                can_delete: false,
                can_vote: false,
                can_flag: false,
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
    let links = crate::portal::links::of_topic(c, topic.id)?;
    let (escalated_ticket, topic_user_org) = if kind == Kind::Questions {
        (
            crate::portal::escalate::escalated_ticket(c, topic.id)?,
            users::table
                .find(topic.user_id)
                .select(users::organization_id)
                .first::<Option<i64>>(c)?,
        )
    } else {
        (None, None)
    };
    Ok(PageData {
        revision: topic.revision,
        generation: next_generation(),
        loaded_at: Instant::now(),
        topic: card,
        topic_user_id: topic.user_id,
        topic_user_org,
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
        escalated_ticket,
        links,
    })
}

/// The shared page with the reader's votes and buttons beside it.
fn for_reader(c: &mut AnyConnection, data: Arc<PageData>, viewer: Viewer) -> Result<ReaderPage, AppError> {
    // The same posts as the page holds, found the same way, so that the statement's
    // text never changes and stays prepared (a list of ids would be parsed each time).
    let votes: HashMap<i64, i32> = post_votes::table
        .inner_join(posts::table)
        .filter(post_votes::user_id.eq(viewer.id))
        .filter(posts::topic_id.eq(data.topic.id))
        .filter(
            posts::number
                .eq(1)
                .or(posts::number.between(data.first, data.last))
                .or(posts::id.eq(data.accepted_post_id.unwrap_or(-1))),
        )
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
    let Viewer { id, staff, can_post } = viewer;
    let can_accept = data.is_question && (staff || id == data.topic_user_id) && can_post;
    // An idea is voted on as an idea (its votes rank the roadmap), not by its opening
    // post: one vote mechanism per kind of topic.
    let idea_topic = data.idea.is_some();
    let mine = data
        .posts
        .iter()
        .map(|(p, author_id)| {
            let live = !p.deleted;
            let can_edit = live && can_post && (staff || *author_id == id);
            Mine {
                my_vote: votes.get(&p.id).copied().unwrap_or(0),
                can_edit,
                can_delete: can_edit
                    && (p.number > 1
                        || super::topics::may_delete_topic(staff, *author_id == id, data.topic.reply_count)),
                can_vote: live && can_post && *author_id != id && !(idea_topic && p.number == 1),
                can_accept: live && can_accept && p.number > 1,
                can_flag: live && can_post && *author_id != id,
            }
        })
        .collect();
    Ok(ReaderPage {
        can_reply: can_post && (!data.locked || staff) && !data.deleted,
        can_moderate: staff,
        idea,
        mine,
        data,
    })
}
