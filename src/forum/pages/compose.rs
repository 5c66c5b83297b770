//! Starting a topic: the form and its post.

use super::*;
use crate::db::Db;

#[derive(Serialize)]
pub(super) struct NewTopicPage {
    category: Category,
    kind: crate::forum::Kind,
    form: TopicInput,
    errors: FieldErrors,
    /// This visit of the form, for the deflection report (`portal::deflection`).
    visit: String,
    /// The product community of the category, if any.
    community: Option<crate::forum::communities::Community>,
}

pub(crate) async fn new_topic_page(
    db: &Db,
    ctx: &PageCtx,
    slug: String,
    status: StatusCode,
    form: TopicInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (category, community) = db
        .read(move |c| {
            let category = categories::by_slug(c, &slug)?;
            let community = crate::forum::communities::of(c, category.community_id)?;
            Ok((category, community))
        })
        .await?;
    let kind = kind_of(&category);
    ctx.render_status(
        status,
        "forum/new_topic.html",
        &NewTopicPage {
            category,
            kind,
            form,
            errors,
            visit: crate::portal::deflection::token(),
            community,
        },
    )
}

pub(super) async fn new_topic_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_post(&user)?;
    new_topic_page(
        &state.db,
        &ctx,
        slug.into_inner(),
        StatusCode::OK,
        TopicInput::default(),
        FieldErrors::new(),
    )
    .await
}

pub(super) async fn create_topic(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<TopicInput>,
) -> Result<HttpResponse, AppError> {
    let mut input = form.into_inner();
    input.category = slug.into_inner();
    match topics::create(&state.db, &state.mailing, &state.limiter, &user, input.clone()).await {
        Ok(created) => Ok(see_other(&format!("/t/{}/{}", created.id, created.slug))),
        Err(AppError::Invalid { fields, .. }) => {
            let slug = input.category.clone();
            new_topic_page(
                &state.db,
                &ctx,
                slug,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                fields,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
