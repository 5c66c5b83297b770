//! The category index, a category's topic list, the roadmap and a member's profile.

use super::*;

/// Topics the home page lists in each of its two lists.
const HOME_TOPICS: usize = 8;

#[derive(Serialize)]
pub(super) struct HomePage {
    /// The main community's categories.
    categories: Vec<CategoryView>,
    /// The product communities, each with its own categories.
    communities: Vec<crate::forum::communities::Community>,
    /// The latest activity across every category.
    latest: Vec<TopicCard>,
    /// Questions nobody has answered yet.
    unanswered: Vec<TopicCard>,
    /// What the reader may start from here.
    can_ask: bool,
    can_file: bool,
    is_staff: bool,
}

pub(super) async fn index(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if !user.can_read_community() {
        // A member whose company is not approved (yet) is told so.
        return ctx.render("forum/index.html", &serde_json::json!({}));
    }
    let can_ask = crate::forum::may_start_topic(&user, crate::forum::Kind::Questions);
    let can_file = crate::portal::access(&user).is_ok();
    let is_staff = user.is_staff();
    // The same for every reader who may do the same from here (see `web::kept`).
    let key = format!("home\0{}{}{}", can_ask as u8, can_file as u8, is_staff as u8);
    let page = state
        .kept
        .body(&state.db, key, async || {
            let latest = TopicQuery::default();
            let unanswered = TopicQuery {
                category: Some("questions".into()),
                filter: Some("unanswered".into()),
                ..TopicQuery::default()
            };
            let (categories, latest, unanswered, communities) = futures_util::future::try_join4(
                categories::index(&state.db, &state.category_index, &user),
                topics::list(&state.db, &user, latest),
                topics::list(&state.db, &user, unanswered),
                crate::forum::communities::list(&state.db, &user),
            )
            .await?;
            let first = |mut l: TopicList| {
                l.topics.truncate(HOME_TOPICS);
                l.topics
            };
            let categories = categories
                .into_iter()
                .filter(|c| c.category.community_id.is_none())
                .collect();
            ctx.render_kept_body(
                "forum/home.html",
                &HomePage {
                    categories,
                    communities,
                    latest: first(latest),
                    unanswered: first(unanswered),
                    can_ask,
                    can_file,
                    is_staff,
                },
            )
        })
        .await?;
    ctx.render_kept(&page)
}

#[derive(Serialize)]
pub(super) struct CategoryPage {
    category: Category,
    kind: crate::forum::Kind,
    list: TopicList,
    query: TopicQuery,
    can_post: bool,
    /// The product community it belongs to, if any.
    community: Option<crate::forum::communities::Community>,
}

pub(super) async fn category(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
    query: web::Query<TopicQuery>,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_read(&user)?;
    let slug = slug.into_inner();
    let query = query.into_inner();
    // The list is the same for every reader but for "mine" and whether they may start
    // a topic here: kept under those (see `web::kept`).
    let key = format!(
        "c\0{slug}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}\0{}\0{}",
        query.sort,
        query.filter,
        query.status,
        query.tag,
        query.after,
        (user.can_post() as u8) << 1 | user.is_staff() as u8,
        if query.filter.as_deref() == Some("mine") {
            user.id
        } else {
            0
        },
    );
    let page = state
        .kept
        .body(&state.db, key, async || {
            let lookup = slug.clone();
            let (category, community) = state
                .db
                .read(move |c| {
                    let category = categories::by_slug(c, &lookup)?;
                    let community = crate::forum::communities::of(c, category.community_id)?;
                    Ok((category, community))
                })
                .await?;
            let kind = kind_of(&category);
            let mut query = query.clone();
            query.category = Some(slug.clone());
            if query.sort.as_deref().is_none_or(str::is_empty) {
                query.sort = crate::forum::default_sort(kind).map(Into::into);
            }
            let list = topics::list(&state.db, &user, query.clone()).await?;
            let can_post = crate::forum::may_start_topic(&user, kind);
            ctx.render_kept_body(
                "forum/category.html",
                &CategoryPage {
                    category,
                    kind,
                    list,
                    query,
                    can_post,
                    community,
                },
            )
        })
        .await?;
    ctx.render_kept(&page)
}

pub(super) async fn roadmap(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let roadmap = ideas::roadmap(&state.db, &user).await?;
    ctx.render("forum/roadmap.html", &roadmap)
}

pub(super) async fn profile(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let profile = crate::forum::profiles::profile(&state.db, &user, &name).await?;
    ctx.render("forum/profile.html", &profile)
}

#[derive(Serialize)]
pub(super) struct CommunityPage {
    community: crate::forum::communities::Community,
    categories: Vec<CategoryView>,
    unanswered: Vec<TopicCard>,
    can_ask: bool,
}

/// A product community's home: its four categories and its unanswered questions.
pub(super) async fn community(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_read(&user)?;
    let slug = slug.into_inner();
    let wanted = slug.clone();
    let community = state
        .db
        .read(move |c| crate::forum::communities::by_slug(c, &wanted))
        .await?;
    let categories: Vec<CategoryView> = categories::index(&state.db, &state.category_index, &user)
        .await?
        .into_iter()
        .filter(|c| c.category.community_id == Some(community.id))
        .collect();
    let questions = categories
        .iter()
        .find(|c| c.category.kind == "questions")
        .map(|c| c.category.slug.clone());
    let unanswered = match &questions {
        Some(q) => {
            let mut l = topics::list(
                &state.db,
                &user,
                TopicQuery {
                    category: Some(q.clone()),
                    filter: Some("unanswered".into()),
                    ..TopicQuery::default()
                },
            )
            .await?;
            l.topics.truncate(HOME_TOPICS);
            l.topics
        }
        None => Vec::new(),
    };
    ctx.render(
        "forum/community.html",
        &CommunityPage {
            community,
            categories,
            unanswered,
            can_ask: questions.is_some()
                && crate::forum::may_start_topic(&user, crate::forum::Kind::Questions),
        },
    )
}
