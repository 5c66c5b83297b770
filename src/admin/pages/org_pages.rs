//! The organizations list, an organization's page, and approving or refusing one.

use super::*;
use crate::accounts::domains::DomainLists;
use crate::db::Db;
use crate::mail::MailContext;
use crate::outbox::Postman;

#[derive(Deserialize)]
pub(super) struct StatusQuery {
    pub(super) status: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
pub(super) struct OrganizationForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) domains: String,
}

#[derive(Serialize)]
pub(super) struct OrganizationsPage {
    pub(super) organizations: Vec<OrganizationResource>,
    pub(super) status: String,
    pub(super) form: OrganizationForm,
    pub(super) errors: FieldErrors,
}

pub(super) async fn organizations_page(
    db: &Db,
    ctx: &PageCtx,
    me: &CurrentUser,
    status: Option<String>,
    code: StatusCode,
    form: OrganizationForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let organizations = service::list_organizations(db, me, status.clone()).await?;
    ctx.render_status(
        code,
        "admin/organizations.html",
        &OrganizationsPage {
            organizations,
            status: status.unwrap_or_default(),
            form,
            errors,
        },
    )
}

pub(super) async fn organizations(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let status = query.into_inner().status.filter(|s| !s.is_empty());
    organizations_page(
        &state.db,
        &ctx,
        &me,
        status,
        StatusCode::OK,
        OrganizationForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub(super) async fn create_organization(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match service::create_organization(
        &state.db,
        &state.domain_lists,
        &me,
        &form.name,
        std::slice::from_ref(&form.domains),
    )
    .await
    {
        Ok(org) => Ok(see_other(&format!(
            "/admin/organizations/{}?notice=saved",
            org.id
        ))),
        Err(AppError::Invalid { fields, .. }) => {
            organizations_page(
                &state.db,
                &ctx,
                &me,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                fields,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
pub(super) struct OrganizationPage {
    pub(super) organization: OrganizationResource,
    pub(super) form: OrganizationForm,
    pub(super) errors: FieldErrors,
    /// Its support terms, as their form shows them.
    pub(super) support: SupportForm,
    pub(super) support_errors: FieldErrors,
    pub(super) choices: SupportChoices,
}

async fn organization_page(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    organization: OrganizationResource,
    form: OrganizationForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let support = crate::portal::plans::organization_support(&state.db, me, organization.id).await?;
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "admin/organization.html",
        &OrganizationPage {
            organization,
            form,
            errors,
            support: SupportForm::of(&support),
            support_errors: FieldErrors::new(),
            choices: support_choices(state, me).await?,
        },
    )
}

pub(super) async fn organization(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let organization = service::get_organization(&state.db, &me, id.into_inner()).await?;
    let form = OrganizationForm {
        name: organization.name.clone(),
        domains: organization.domains.join("\n"),
    };
    organization_page(&state, &ctx, &me, organization, form, FieldErrors::new()).await
}

pub(super) async fn update_organization(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let changes = OrganizationChanges {
        name: Some(form.name.clone()),
        approved: None,
        domains: Some(vec![form.domains.clone()]),
    };
    match service::update_organization(
        &state.db,
        &state.mailing,
        &state.domain_lists,
        &state.postman,
        &me,
        id,
        changes,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/admin/organizations/{id}?notice=saved"))),
        Err(AppError::Invalid { fields, .. }) => {
            let organization = service::get_organization(&state.db, &me, id).await?;
            organization_page(&state, &ctx, &me, organization, form, fields).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn set_approval(
    db: &Db,
    mailing: &MailContext,
    domain_lists: &DomainLists,
    postman: &Postman,
    me: &CurrentUser,
    id: i64,
    approved: bool,
) -> Result<HttpResponse, AppError> {
    let changes = OrganizationChanges {
        approved: Some(approved),
        ..Default::default()
    };
    service::update_organization(db, mailing, domain_lists, postman, me, id, changes).await?;
    Ok(see_other(&format!("/admin/organizations/{id}?notice=saved")))
}

pub(super) async fn approve(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_approval(
        &state.db,
        &state.mailing,
        &state.domain_lists,
        &state.postman,
        &me,
        id.into_inner(),
        true,
    )
    .await
}

pub(super) async fn refuse(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_approval(
        &state.db,
        &state.mailing,
        &state.domain_lists,
        &state.postman,
        &me,
        id.into_inner(),
        false,
    )
    .await
}
