//! The category index, a category's topic list, the roadmap and a member's profile.

use super::*;

/// Topics the home page lists in each of its two lists.
const HOME_TOPICS: usize = 8;

#[derive(Serialize)]
pub(super) struct IndexPage {
    can_read: bool,
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
    let can_read = user.can_read_community();
    let (categories, latest, unanswered) = if can_read {
        let latest = TopicQuery::default();
        let unanswered = TopicQuery {
            category: Some("questions".into()),
            filter: Some("unanswered".into()),
            ..TopicQuery::default()
        };
        let (categories, latest, unanswered) = futures_util::future::try_join3(
            categories::index(&state.db, &state.category_index, &user),
            topics::list(&state.db, &user, latest),
            topics::list(&state.db, &user, unanswered),
        )
        .await?;
        let first = |mut l: TopicList| {
            l.topics.truncate(HOME_TOPICS);
            l.topics
        };
        let main: Vec<CategoryView> = categories
            .into_iter()
            .filter(|c| c.category.community_id.is_none())
            .collect();
        (main, first(latest), first(unanswered))
    } else {
        Default::default()
    };
    let communities = if can_read {
        crate::forum::communities::list(&state.db, &user).await?
    } else {
        Vec::new()
    };
    ctx.render(
        "forum/index.html",
        &IndexPage {
            can_read,
            categories,
            communities,
            latest,
            unanswered,
            can_ask: crate::forum::may_start_topic(&user, crate::forum::Kind::Questions),
            can_file: crate::portal::access(&user).is_ok(),
            is_staff: user.is_staff(),
        },
    )
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
    let mut query = query.into_inner();
    query.category = Some(slug);
    if query.sort.as_deref().is_none_or(str::is_empty) {
        query.sort = crate::forum::default_sort(kind).map(Into::into);
    }
    let list = topics::list(&state.db, &user, query.clone()).await?;
    let can_post = crate::forum::may_start_topic(&user, kind);
    ctx.render(
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
