//! The dashboard, announcements and SLA reports through the API.

use super::*;
use crate::db::Db;

#[utoipa::path(
    get,
    path = "/api/v1/portal/dashboard",
    tag = "portal",
    summary = "The portal dashboard: current announcements, the user's organization, open tickets by status, tickets due soonest.",
    responses((status = 200, description = "The dashboard", body = dashboard::Dashboard))
)]
pub(super) async fn dashboard(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(dashboard::dashboard(&state.db, &user).await?))
}

/// `?all=true`: staff also see announcements past their end date.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AnnouncementQuery {
    #[serde(default)]
    all: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/announcements",
    tag = "portal",
    summary = "Current announcements, pinned first; staff may ask for all.",
    params(AnnouncementQuery),
    responses((status = 200, description = "The announcements", body = Vec<dashboard::Announcement>))
)]
pub(super) async fn list_announcements(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<AnnouncementQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(dashboard::list(&state.db, &user, query.all).await?))
}

/// The announcement with this id, as staff see it.
pub(super) async fn announcement(
    db: &Db,
    user: &ApiUser,
    id: i64,
) -> Result<dashboard::Announcement, AppError> {
    dashboard::list(db, user, true)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(AppError::NotFound)
}

#[utoipa::path(
    post,
    path = "/api/v1/announcements",
    tag = "portal",
    summary = "Writes an announcement (staff).",
    request_body = AnnouncementInput,
    responses((status = 201, description = "The announcement", body = dashboard::Announcement))
)]
pub(super) async fn create_announcement(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let id = dashboard::create(&state.db, &user, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(announcement(&state.db, &user, id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/announcements/{id}",
    tag = "portal",
    summary = "Changes an announcement (staff): every field as sent.",
    params(("id" = i64, Path, description = "The announcement")),
    request_body = AnnouncementInput,
    responses((status = 200, description = "The announcement", body = dashboard::Announcement))
)]
pub(super) async fn update_announcement(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    dashboard::update(&state.db, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(announcement(&state.db, &user, id).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/announcements/{id}",
    tag = "portal",
    summary = "Removes an announcement (staff).",
    params(("id" = i64, Path, description = "The announcement")),
    responses((status = 204, description = "Removed"))
)]
pub(super) async fn delete_announcement(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    dashboard::delete(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla",
    tag = "portal",
    summary = "SLA attainment and median first-response time of tickets filed in a period, overall, by priority and by customer (staff).",
    params(reports::ReportQuery),
    responses((status = 200, description = "The report", body = reports::SlaReport))
)]
pub(super) async fn sla_report(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(reports::sla(&state.db, &user, &query).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla.csv",
    tag = "portal",
    summary = "The SLA report as CSV (staff).",
    params(reports::ReportQuery),
    responses((status = 200, description = "One line per group: all, each priority, each customer", content_type = "text/csv", body = String))
)]
pub(super) async fn sla_report_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = reports::sla(&state.db, &user, &query).await?;
    Ok(crate::web::csv_download(
        &reports::csv_name(&report),
        reports::to_csv(&report),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/deflection",
    tag = "portal",
    summary = "The deflection report (staff): form visits that searched, split into deflected, abandoned \
               and filed, per category, application and priority, with support hours saved and the content gaps.",
    params(reports::ReportQuery),
    responses((status = 200, description = "The report", body = crate::portal::deflection::DeflectionReport))
)]
pub(super) async fn deflection_report(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let days = state.settings.deflection_retention_days;
    Ok(HttpResponse::Ok().json(crate::portal::deflection::report(&state.db, &user, &query, days).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/deflection.csv",
    tag = "portal",
    summary = "The deflection report as CSV (staff).",
    params(reports::ReportQuery),
    responses((status = 200, description = "One line per group, then the content gaps", content_type = "text/csv", body = String))
)]
pub(super) async fn deflection_report_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let days = state.settings.deflection_retention_days;
    let report = crate::portal::deflection::report(&state.db, &user, &query, days).await?;
    Ok(crate::web::csv_download(
        &format!("deflection-{}-{}.csv", report.from, report.to),
        crate::portal::deflection::to_csv(&report),
    ))
}
