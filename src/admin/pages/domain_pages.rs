//! The refused signup domains page.

use super::*;
use crate::accounts::domains::DomainLists;
use crate::db::Db;

#[derive(Serialize, Deserialize, Default)]
pub(super) struct DomainForm {
    #[serde(default)]
    pub(super) domain: String,
    #[serde(default)]
    pub(super) note: String,
}

#[derive(Serialize)]
pub(super) struct DomainsPage {
    pub(super) blocked: Vec<BlockedDomain>,
    pub(super) shipped_webmail: usize,
    pub(super) shipped_disposable: usize,
    pub(super) form: DomainForm,
    pub(super) errors: FieldErrors,
}

pub(super) async fn domains_page(
    db: &Db,
    domain_lists: &DomainLists,
    ctx: &PageCtx,
    me: &CurrentUser,
    code: StatusCode,
    form: DomainForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let blocked = service::list_blocked_domains(db, me).await?;
    let (shipped_webmail, shipped_disposable) = domain_lists.sizes();
    ctx.render_status(
        code,
        "admin/domains.html",
        &DomainsPage {
            blocked,
            shipped_webmail,
            shipped_disposable,
            form,
            errors,
        },
    )
}

pub(super) async fn domains(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    domains_page(
        &state.db,
        &state.domain_lists,
        &ctx,
        &me,
        StatusCode::OK,
        DomainForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub(super) async fn add_domain(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<DomainForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match service::add_blocked_domain(&state.db, &me, &form.domain, &form.note).await {
        Ok(_) => Ok(see_other("/admin/domains?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            domains_page(
                &state.db,
                &state.domain_lists,
                &ctx,
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                fields,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn remove_domain(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    service::remove_blocked_domain(&state.db, &me, id.into_inner()).await?;
    Ok(see_other("/admin/domains?notice=saved"))
}
