//! The SLA report page and its CSV.

use super::*;

#[derive(Serialize)]
pub(super) struct ReportsPage {
    query: reports::ReportQuery,
    report: Option<reports::SlaReport>,
    errors: FieldErrors,
}

pub(super) async fn reports_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (report, errors) = match reports::sla(&state.db, &user, &query).await {
        Ok(r) => (Some(r), FieldErrors::new()),
        Err(AppError::Invalid { fields, .. }) => (None, fields),
        Err(e) => return Err(e),
    };
    let status = crate::web::page::form_status(&errors);
    ctx.render_status(
        status,
        "portal/reports.html",
        &ReportsPage {
            query,
            report,
            errors,
        },
    )
}

pub(super) async fn reports_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = reports::sla(&state.db, &user, &query).await?;
    Ok(crate::web::csv_download(
        &reports::csv_name(&report),
        reports::to_csv(&report),
    ))
}

#[derive(Serialize)]
pub(super) struct DeflectionPage {
    query: reports::ReportQuery,
    report: Option<crate::portal::deflection::DeflectionReport>,
    errors: FieldErrors,
}

/// The deflection report: what searching on the forms kept from being filed.
pub(super) async fn deflection_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let days = state.settings.deflection_retention_days;
    let (report, errors) = match crate::portal::deflection::report(&state.db, &user, &query, days).await {
        Ok(r) => (Some(r), FieldErrors::new()),
        Err(AppError::Invalid { fields, .. }) => (None, fields),
        Err(e) => return Err(e),
    };
    ctx.render_status(
        crate::web::page::form_status(&errors),
        "portal/deflection.html",
        &DeflectionPage {
            query,
            report,
            errors,
        },
    )
}

pub(super) async fn deflection_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let days = state.settings.deflection_retention_days;
    let report = crate::portal::deflection::report(&state.db, &user, &query, days).await?;
    Ok(crate::web::csv_download(
        &format!("deflection-{}-{}.csv", report.from, report.to),
        crate::portal::deflection::to_csv(&report),
    ))
}

#[derive(Deserialize)]
pub(super) struct AnsweredForm {
    #[serde(default)]
    visit: String,
    topic_id: i64,
}

/// "This answered my question" on a thread opened from the forms' suggestions.
pub(super) async fn answered(
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<AnsweredForm>,
) -> Result<HttpResponse, AppError> {
    crate::portal::deflection::record_answered(&state.db, &user, &form.visit, form.topic_id).await?;
    Ok(see_other(&format!("/t/{}?notice=answered", form.topic_id)))
}
