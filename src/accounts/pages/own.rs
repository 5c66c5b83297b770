//! The account page and its forms: password, sessions, API tokens, time zone, picture.

use super::*;

#[derive(Serialize)]
pub(super) struct AccountPage {
    pub(super) tokens: Vec<ApiToken>,
    /// Every time zone a person may choose, by IANA name.
    pub(super) zones: &'static [&'static str],
    /// A token just created, shown this once.
    pub(super) new_token: Option<String>,
    /// The address of the person's own picture; none: initials.
    pub(super) picture: Option<String>,
    pub(super) errors: FieldErrors,
}

pub(super) async fn account_page(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    status: StatusCode,
    new_token: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let tokens = service::list_api_tokens(db, user.id).await?;
    let picture = pictures::current(db, user.id).await?;
    ctx.render_status(
        status,
        "accounts/account.html",
        &AccountPage {
            tokens,
            picture,
            zones: service::time_zones(),
            new_token,
            errors,
        },
    )
}

pub(super) async fn account(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    account_page(&state.db, &ctx, &user, StatusCode::OK, None, FieldErrors::new()).await
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    pub(super) current_password: String,
    #[serde(default)]
    pub(super) new_password: String,
}

/// The account page after a form: a new token to show once, or the form's field
/// messages with a 422.
pub(super) async fn account_after(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    outcome: Result<Option<String>, AppError>,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(new_token) => account_page(db, ctx, user, StatusCode::OK, new_token, FieldErrors::new()).await,
        Err(AppError::Invalid { fields, .. }) => {
            account_page(db, ctx, user, StatusCode::UNPROCESSABLE_ENTITY, None, fields).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn change_password(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    match service::change_password(
        &state.db,
        &state.settings,
        &user,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(epoch) => signed_in_redirect(&state, user.id, epoch, "/account?notice=password_changed"),
        Err(e) => account_after(&state.db, &ctx, &user, Err(e)).await,
    }
}

pub(super) async fn end_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    sessions::end_all_sessions(&state.db, user.id).await?;
    let mut res = see_other("/login?notice=signed_out_everywhere");
    res.add_cookie(&clear_session_cookie(&state.settings))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

#[derive(Deserialize)]
pub(super) struct NewTokenForm {
    #[serde(default)]
    pub(super) name: String,
}

pub(super) async fn create_token(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<NewTokenForm>,
) -> Result<HttpResponse, AppError> {
    let issued = service::create_api_token(&state.db, &user, &form.name).await;
    account_after(&state.db, &ctx, &user, issued.map(|i| Some(i.token))).await
}

pub(super) async fn revoke_token(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    service::revoke_api_token(&state.db, user.id, path.into_inner()).await?;
    Ok(see_other("/account?notice=token_revoked"))
}

#[derive(Deserialize)]
pub(super) struct TimeZoneForm {
    #[serde(default)]
    pub(super) time_zone: String,
}

/// Sets the time zone the account's pages show times in.
pub(super) async fn set_time_zone(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<TimeZoneForm>,
) -> Result<HttpResponse, AppError> {
    let outcome = service::set_time_zone(&state.db, &user, Some(&form.time_zone)).await;
    match outcome {
        Ok(_) => Ok(see_other("/account?notice=saved")),
        Err(e) => account_after(&state.db, &ctx, &user, Err(e)).await,
    }
}

/// Sets the account's picture from the form's image (multipart).
pub(super) async fn set_picture(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let outcome = pictures::upload(&state.db, &state.files, &state.limiter, &user, form).await;
    match outcome {
        Ok(_) => Ok(see_other("/account?notice=saved")),
        Err(e) => account_after(&state.db, &ctx, &user, Err(e)).await,
    }
}

/// Goes back to the initials avatar.
pub(super) async fn remove_picture(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    pictures::remove(&state.db, user.id).await?;
    Ok(see_other("/account?notice=saved"))
}

/// `/avatars/{id}/{sha256}`: a person's current picture.
pub(super) async fn picture(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, sha) = path.into_inner();
    pictures::serve(&state.db, &state.files, &req, id, sha).await
}
