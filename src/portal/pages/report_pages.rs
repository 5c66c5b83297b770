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
