//! JSON endpoints for accounts: signup, tokens, and who am I.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::UserResource;
use super::service::{self, SignupInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::{ApiUser, client_ip};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/signup", web::post().to(signup))
        .route("/api/v1/auth/token", web::post().to(create_token))
        .route("/api/v1/auth/token", web::delete().to(revoke_token))
        .route("/api/v1/me", web::get().to(me));
}

#[derive(Serialize)]
struct SignupResponse {
    user: UserResource,
    organization_pending: bool,
    verification_sent: bool,
}

/// `POST /api/v1/auth/signup`: 201 with the new user, who must verify their address.
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

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
}

/// `POST /api/v1/auth/token`: exchanges an address and password for a bearer token,
/// shown once.
async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    input: web::Json<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, state.settings.trust_proxy);
    let issued = service::token_for_password(&state, &input.email, &input.password, &input.name, &ip).await?;
    Ok(HttpResponse::Created().json(issued))
}

/// `DELETE /api/v1/auth/token`: revokes the bearer token of the request.
async fn revoke_token(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    let token_id = user.token_id.ok_or_else(|| {
        AppError::BadRequest("Send the token to revoke as 'Authorization: Bearer <token>'.".into())
    })?;
    service::revoke_api_token(&state, user.id, token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`.
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResource::from(&*user.user))
}
