//! JSON endpoints for accounts: signup, tokens, and who am I.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::UserResource;
use super::service::{self, SignupInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::{ApiUser, client_ip};

crate::api_routes! {
    post "/api/v1/auth/signup" => signup,
    post "/api/v1/auth/token" => create_token,
    delete "/api/v1/auth/token" => revoke_token,
    get "/api/v1/me" => me,
    put "/api/v1/me/time-zone" => set_time_zone,
    put "/api/v1/me/picture" => set_picture,
    delete "/api/v1/me/picture" => remove_picture,
}

#[derive(Serialize, utoipa::ToSchema)]
struct SignupResponse {
    user: UserResource,
    organization_pending: bool,
    verification_sent: bool,
}

/// `POST /api/v1/auth/signup`: 201 with the new user, who must verify their address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/signup",
    tag = "accounts",
    summary = "Opens an account with a company address; a link to verify it is mailed.",
    request_body = SignupInput,
    responses((status = 201, description = "The new user", body = SignupResponse)),
    security(())
)]
async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: web::Json<SignupInput>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, state.settings.trust_proxy);
    let done = service::signup(&state, input.into_inner(), &ip).await?;
    Ok(HttpResponse::Created().json(SignupResponse {
        user: UserResource::from(&done.user),
        organization_pending: done.organization_pending,
        verification_sent: done.verification_sent,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TokenRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    email: String,
    #[serde(default)]
    #[schema(required = true, min_length = 1, format = Password)]
    password: String,
    /// What the token is for, at most 80 characters ("API token" when blank).
    #[serde(default)]
    #[schema(max_length = 80)]
    name: String,
}

/// `POST /api/v1/auth/token`: exchanges an address and password for a bearer token,
/// shown once.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "accounts",
    summary = "Exchanges an address and password for a bearer token, shown once.",
    request_body = TokenRequest,
    responses((status = 201, description = "The token", body = service::IssuedToken)),
    security(())
)]
async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: web::Json<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, state.settings.trust_proxy);
    let issued = service::token_for_password(
        &state.db,
        &state.limiter,
        &input.email,
        &input.password,
        &input.name,
        &ip,
    )
    .await?;
    Ok(HttpResponse::Created().json(issued))
}

/// `DELETE /api/v1/auth/token`: revokes the bearer token of the request.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/token",
    tag = "accounts",
    summary = "Revokes the bearer token this request carries.",
    responses((status = 204, description = "Revoked"))
)]
async fn revoke_token(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    let token_id = user.token_id.ok_or_else(|| {
        AppError::BadRequest("Send the token to revoke as 'Authorization: Bearer <token>'.".into())
    })?;
    service::revoke_api_token(&state.db, user.id, token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    summary = "The signed-in user.",
    responses((status = 200, description = "The user", body = UserResource))
)]
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResource::from(&*user.user))
}

/// A time zone to show times in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct TimeZoneInput {
    /// An IANA name ("Europe/Paris"); null or empty for the browser's own.
    #[schema(max_length = 64)]
    time_zone: Option<String>,
}

/// `PUT /api/v1/me/time-zone`.
#[utoipa::path(
    put,
    path = "/api/v1/me/time-zone",
    tag = "accounts",
    summary = "Sets the time zone the user's pages show times in.",
    request_body = TimeZoneInput,
    responses((status = 200, description = "The user, with the zone", body = UserResource))
)]
async fn set_time_zone(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TimeZoneInput>,
) -> Result<HttpResponse, AppError> {
    let zone = service::set_time_zone(&state.db, &user, body.time_zone.as_deref()).await?;
    let mut shown = UserResource::from(&*user.user);
    shown.time_zone = zone;
    Ok(HttpResponse::Ok().json(shown))
}

/// The multipart form of a picture, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `set_picture` reads")]
struct PictureForm {
    /// A PNG, JPEG, GIF or WebP image up to 10 MiB.
    #[schema(value_type = String, format = Binary)]
    picture: Vec<u8>,
}

/// `PUT /api/v1/me/picture`: multipart `picture`.
#[utoipa::path(
    put,
    path = "/api/v1/me/picture",
    tag = "accounts",
    summary = "Sets the user's picture: its middle square, 192 pixels wide.",
    request_body(content = PictureForm, content_type = "multipart/form-data", description = "The image"),
    responses((status = 200, description = "The user, with the picture's address", body = UserResource))
)]
async fn set_picture(
    state: web::Data<AppState>,
    user: ApiUser,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let url = super::pictures::upload(&state.db, &state.files, &state.limiter, &user, form).await?;
    let mut shown = UserResource::from(&*user.user);
    shown.avatar = Some(url);
    Ok(HttpResponse::Ok().json(shown))
}

/// `DELETE /api/v1/me/picture`.
#[utoipa::path(
    delete,
    path = "/api/v1/me/picture",
    tag = "accounts",
    summary = "Removes the user's picture: their initials are shown again.",
    responses((status = 200, description = "The user, without a picture", body = UserResource))
)]
async fn remove_picture(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    super::pictures::remove(&state.db, user.id).await?;
    let mut shown = UserResource::from(&*user.user);
    shown.avatar = None;
    Ok(HttpResponse::Ok().json(shown))
}
