//! The users list and a user's page.

use super::*;

#[derive(Serialize)]
pub(super) struct UsersPage {
    pub(super) users: Vec<AdminUser>,
    pub(super) q: String,
    pub(super) next_after: Option<i64>,
}

pub(super) async fn users(
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
pub(super) struct UserPage {
    pub(super) user: AdminUser,
    pub(super) organizations: Vec<OrganizationResource>,
    pub(super) errors: FieldErrors,
}

pub(super) async fn user_page(
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

pub(super) async fn user(
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
pub(super) struct UserForm {
    #[serde(default)]
    pub(super) role: String,
    /// An organization id, or empty for none.
    #[serde(default)]
    pub(super) organization: String,
    /// Present (as "on") when the box is ticked.
    pub(super) authorized_contact: Option<String>,
}

pub(super) async fn update_user(
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
