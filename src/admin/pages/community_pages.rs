//! Product communities and the site's documentation link.

use super::*;
use crate::forum::communities::{self, Community, CommunityInput, SiteLinks};

#[derive(Serialize)]
pub(super) struct CommunitiesPage {
    communities: Vec<Community>,
    links: SiteLinks,
    links_errors: FieldErrors,
    /// The community whose form came back (0: the new one), what was typed, and why.
    failed: Option<i64>,
    form: CommunityInput,
    errors: FieldErrors,
}

struct Back {
    links: Option<(SiteLinks, FieldErrors)>,
    community: Option<(i64, CommunityInput, FieldErrors)>,
}

async fn page(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    back: Back,
) -> Result<HttpResponse, AppError> {
    me.require_admin()?;
    let communities = communities::list(&state.db, me).await?;
    let stored = state.db.read(crate::forum::communities::load_site_links).await?;
    let failed = back.links.is_some() || back.community.is_some();
    let (links, links_errors) = back.links.unwrap_or((stored, FieldErrors::new()));
    let (failed_id, form, errors) = match back.community {
        Some((id, form, errors)) => (Some(id), form, errors),
        None => (None, CommunityInput::default(), FieldErrors::new()),
    };
    ctx.render_status(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "admin/communities.html",
        &CommunitiesPage {
            communities,
            links,
            links_errors,
            failed: failed_id,
            form,
            errors,
        },
    )
}

pub(super) async fn communities_list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    page(
        &state,
        &ctx,
        &me,
        Back {
            links: None,
            community: None,
        },
    )
    .await
}

pub(super) async fn create_community(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<CommunityInput>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match communities::create(&state.db, &me, form.clone()).await {
        Ok(k) => Ok(see_other(&format!("/communities/{}?notice=saved", k.slug))),
        Err(AppError::Invalid { fields, .. }) => {
            let back = Back {
                links: None,
                community: Some((0, form, fields)),
            };
            page(&state, &ctx, &me, back).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn update_community(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<CommunityInput>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    match communities::update(&state.db, &me, id, form.clone()).await {
        Ok(_) => Ok(see_other("/admin/communities?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            let back = Back {
                links: None,
                community: Some((id, form, fields)),
            };
            page(&state, &ctx, &me, back).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn set_links(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<SiteLinks>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match communities::set_site_links(&state.db, &state.site_links, &me, form.clone()).await {
        Ok(_) => Ok(see_other("/admin/communities?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            let back = Back {
                links: Some((form, fields)),
                community: None,
            };
            page(&state, &ctx, &me, back).await
        }
        Err(e) => Err(e),
    }
}
