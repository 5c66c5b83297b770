//! Partners: the list with a form to add one, and a partner's own form.

use super::*;
use crate::portal::partners::{self, PartnerInput, PartnerResource};

#[derive(Serialize)]
pub(super) struct PartnersPage {
    partners: Vec<PartnerResource>,
    /// The partner whose form came back with errors (0: the new one), and what was
    /// typed in it.
    failed: Option<i64>,
    form: PartnerInput,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    failed: Option<i64>,
    form: PartnerInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    me.require_admin()?;
    let partners = partners::list(&state.db, me).await?;
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "admin/partners.html",
        &PartnersPage {
            partners,
            failed,
            form,
            errors,
        },
    )
}

pub(super) async fn partners_list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let form = PartnerInput {
        filing: "mail".into(),
        ..PartnerInput::default()
    };
    page(&state, &ctx, &me, None, form, FieldErrors::new()).await
}

pub(super) async fn create_partner(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<PartnerInput>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match partners::create(&state.db, &me, form.clone()).await {
        Ok(_) => Ok(see_other("/admin/partners?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => page(&state, &ctx, &me, Some(0), form, fields).await,
        Err(e) => Err(e),
    }
}

pub(super) async fn update_partner(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<PartnerInput>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    match partners::update(&state.db, &me, id, form.clone()).await {
        Ok(_) => Ok(see_other("/admin/partners?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => page(&state, &ctx, &me, Some(id), form, fields).await,
        Err(e) => Err(e),
    }
}
