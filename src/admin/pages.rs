//! Admin pages: users, organizations, refused domains, team lists, received mail.

use crate::db::Db;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::service::{
    self, AdminUser, OrganizationChanges, OrganizationResource, PAGE_SIZE, UserChanges, UserQuery,
};
use crate::accounts::service::OrgRef;
use crate::app::AppState;
use crate::db::models::BlockedDomain;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(|| async { see_other("/admin/users") }))
        .route("/admin/users", web::get().to(users))
        .route("/admin/users/{id}", web::get().to(user))
        .route("/admin/users/{id}", web::post().to(update_user))
        .route("/admin/organizations", web::get().to(organizations))
        .route("/admin/organizations", web::post().to(create_organization))
        .route("/admin/organizations/{id}", web::get().to(organization))
        .route("/admin/organizations/{id}", web::post().to(update_organization))
        .route("/admin/organizations/{id}/approve", web::post().to(approve))
        .route("/admin/organizations/{id}/refuse", web::post().to(refuse))
        .route("/admin/domains", web::get().to(domains))
        .route("/admin/domains", web::post().to(add_domain))
        .route("/admin/domains/{id}/delete", web::post().to(remove_domain))
        .route("/admin/teams", web::get().to(teams))
        .route("/admin/teams/{slug}", web::post().to(update_team))
        .route("/admin/inbound-mail", web::get().to(received_mail))
        .route(
            "/admin/inbound-mail/{id}/ticket",
            web::post().to(received_to_ticket),
        );
}

#[derive(Serialize)]
struct TeamsPage {
    teams: Vec<super::teams::TeamResource>,
    /// The team whose form came back with errors, and what was typed in it.
    failed: Option<String>,
    form: TeamForm,
    errors: FieldErrors,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct TeamForm {
    /// Addresses, one per line or separated by commas.
    #[serde(default)]
    members: String,
    #[serde(default)]
    list_address: String,
}

async fn teams(state: web::Data<AppState>, ctx: PageCtx, me: CurrentUser) -> Result<HttpResponse, AppError> {
    let teams = super::teams::list_teams(&state.db, &me).await?;
    ctx.render(
        "admin/teams.html",
        &TeamsPage {
            teams,
            failed: None,
            form: TeamForm::default(),
            errors: FieldErrors::new(),
        },
    )
}

async fn update_team(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<TeamForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, form) = (slug.into_inner(), form.into_inner());
    let change = super::teams::TeamChange {
        members: Some(
            form.members
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        list_address: Some(form.list_address.clone()),
    };
    match super::teams::update_team(&state.db, &me, slug.clone(), change).await {
        Ok(_) => Ok(see_other("/admin/teams?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            let teams = super::teams::list_teams(&state.db, &me).await?;
            ctx.render_status(
                crate::web::page::form_status(&fields),
                "admin/teams.html",
                &TeamsPage {
                    teams,
                    failed: Some(slug),
                    form,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct ReceivedPage {
    messages: Vec<crate::portal::inbound::Received>,
    /// The customers a refused message may become a ticket for.
    customers: Vec<crate::portal::tickets::Choice>,
    /// What went wrong making a ticket of a message, and which.
    error: Option<MessageError>,
}

#[derive(Serialize)]
struct MessageError {
    id: i64,
    message: String,
}

async fn received_page(
    db: &Db,
    ctx: &PageCtx,
    me: &CurrentUser,
    error: Option<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let error = error.map(|(id, message)| MessageError { id, message });
    let messages = crate::portal::inbound::received(db, me).await?;
    let customers = crate::portal::tickets::choices(db, me).await?.organizations;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ReceivedPage {
        messages,
        customers,
        error,
    };
    ctx.render_status(status, "admin/inbound_mail.html", &page)
}

async fn received_mail(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    received_page(&state.db, &ctx, &me, None).await
}

#[derive(Deserialize)]
struct RefusedToTicketForm {
    #[serde(default)]
    organization_id: String,
}

/// Makes a ticket of a refused message for the customer chosen beside it.
async fn received_to_ticket(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<RefusedToTicketForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    me.require_admin()?;
    let Ok(organization_id) = form.organization_id.trim().parse() else {
        let error = Some((id, "Choose the customer the ticket is for.".to_string()));
        return received_page(&state.db, &ctx, &me, error).await;
    };
    let input = crate::portal::inbound::RefusedToTicket { organization_id };
    match crate::portal::inbound::ticket_from_refused(&state, &me, id, input).await {
        Ok(ticket) => Ok(see_other(&format!("/portal/tickets/{ticket}"))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            received_page(&state.db, &ctx, &me, Some((id, e.in_one_line()))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct UsersPage {
    users: Vec<AdminUser>,
    q: String,
    next_after: Option<i64>,
}

async fn users(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let q = query.q.clone().unwrap_or_default();
    let users = service::list_users(&state.db, &me, query).await?;
    let next_after = (users.len() as i64 == PAGE_SIZE)
        .then(|| users.last().map(|u| u.user.id))
        .flatten();
    ctx.render("admin/users.html", &UsersPage { users, q, next_after })
}

#[derive(Serialize)]
struct UserPage {
    user: AdminUser,
    organizations: Vec<OrganizationResource>,
    errors: FieldErrors,
}

async fn user_page(
    db: &Db,
    ctx: &PageCtx,
    me: &CurrentUser,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let user = service::get_user(db, me, id).await?;
    let organizations = service::list_organizations(db, me, None).await?;
    ctx.render_status(
        status,
        "admin/user.html",
        &UserPage {
            user,
            organizations,
            errors,
        },
    )
}

async fn user(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user_page(
        &state.db,
        &ctx,
        &me,
        id.into_inner(),
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    role: String,
    /// An organization id, or empty for none.
    #[serde(default)]
    organization: String,
    /// Present (as "on") when the box is ticked.
    authorized_contact: Option<String>,
}

async fn update_user(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let organization = match form.organization.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map(OrgRef::Id)
                .map_err(|_| AppError::field("organization", "Choose an organization from the list."))?,
        ),
    };
    let changes = UserChanges {
        role: Some(form.role.clone()),
        organization: Some(organization),
        authorized_contact: Some(form.authorized_contact.is_some()),
    };
    match service::update_user(&state.db, &me, id, changes).await {
        Ok(_) => Ok(see_other(&format!("/admin/users/{id}?notice=saved"))),
        Err(AppError::Invalid { fields, .. }) => {
            user_page(&state.db, &ctx, &me, id, StatusCode::UNPROCESSABLE_ENTITY, fields).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct OrganizationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    domains: String,
}

#[derive(Serialize)]
struct OrganizationsPage {
    organizations: Vec<OrganizationResource>,
    status: String,
    form: OrganizationForm,
    errors: FieldErrors,
}

async fn organizations_page(
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

async fn organizations(
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

async fn create_organization(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match service::create_organization(&state, &me, &form.name, std::slice::from_ref(&form.domains)).await {
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
struct OrganizationPage {
    organization: OrganizationResource,
    form: OrganizationForm,
    errors: FieldErrors,
}

async fn organization(
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
    ctx.render(
        "admin/organization.html",
        &OrganizationPage {
            organization,
            form,
            errors: FieldErrors::new(),
        },
    )
}

async fn update_organization(
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
    match service::update_organization(&state, &me, id, changes).await {
        Ok(_) => Ok(see_other(&format!("/admin/organizations/{id}?notice=saved"))),
        Err(AppError::Invalid { fields, .. }) => {
            let organization = service::get_organization(&state.db, &me, id).await?;
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/organization.html",
                &OrganizationPage {
                    organization,
                    form,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}

async fn set_approval(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    approved: bool,
) -> Result<HttpResponse, AppError> {
    let changes = OrganizationChanges {
        approved: Some(approved),
        ..Default::default()
    };
    service::update_organization(state, me, id, changes).await?;
    Ok(see_other(&format!("/admin/organizations/{id}?notice=saved")))
}

async fn approve(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_approval(&state, &me, id.into_inner(), true).await
}

async fn refuse(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_approval(&state, &me, id.into_inner(), false).await
}

#[derive(Serialize, Deserialize, Default)]
struct DomainForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    note: String,
}

#[derive(Serialize)]
struct DomainsPage {
    blocked: Vec<BlockedDomain>,
    shipped_webmail: usize,
    shipped_disposable: usize,
    form: DomainForm,
    errors: FieldErrors,
}

async fn domains_page(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    code: StatusCode,
    form: DomainForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let blocked = service::list_blocked_domains(&state.db, me).await?;
    let (shipped_webmail, shipped_disposable) = state.domain_lists.sizes();
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

async fn domains(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    domains_page(
        &state,
        &ctx,
        &me,
        StatusCode::OK,
        DomainForm::default(),
        FieldErrors::new(),
    )
    .await
}

async fn add_domain(
    state: web::Data<AppState>,
    ctx: PageCtx,
    me: CurrentUser,
    form: web::Form<DomainForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match service::add_blocked_domain(&state.db, &me, &form.domain, &form.note).await {
        Ok(_) => Ok(see_other("/admin/domains?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            domains_page(&state, &ctx, &me, StatusCode::UNPROCESSABLE_ENTITY, form, fields).await
        }
        Err(e) => Err(e),
    }
}

async fn remove_domain(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    service::remove_blocked_domain(&state.db, &me, id.into_inner()).await?;
    Ok(see_other("/admin/domains?notice=saved"))
}
