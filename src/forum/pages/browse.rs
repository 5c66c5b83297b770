//! The category index, a category's topic list, the roadmap and a member's profile.

use super::*;

#[derive(Serialize)]
pub(super) struct IndexPage {
    can_read: bool,
    categories: Vec<CategoryView>,
}

pub(super) async fn index(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let can_read = user.can_read_community();
    let categories = if can_read {
        categories::index(&state.db, &state.category_index, &user).await?
    } else {
        Vec::new()
    };
    ctx.render("forum/index.html", &IndexPage { can_read, categories })
}

#[derive(Serialize)]
pub(super) struct CategoryPage {
    category: Category,
    kind: crate::forum::Kind,
    list: TopicList,
    query: TopicQuery,
    can_post: bool,
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
    let category = state.db.read(move |c| categories::by_slug(c, &lookup)).await?;
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
