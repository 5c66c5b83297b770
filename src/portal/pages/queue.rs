//! The ticket lists: open and archived.

use super::*;
use crate::db::Db;

#[derive(Serialize)]
pub(super) struct ListPage {
    archived: bool,
    query: ListQuery,
    tickets: Vec<TicketRow>,
    staff: bool,
}

pub(super) async fn list_page(
    kept: &crate::web::kept::KeptPages,
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    query: ListQuery,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let access = crate::portal::access(user)?;
    let staff = access.is_staff();
    // The same list for every staff member, or every contact of one customer, but
    // for a queue of one's own (see `web::kept`).
    let whose = match access {
        crate::portal::Access::Contact { organization_id } => format!("org{organization_id}"),
        _ if query.queue.as_deref() == Some("mine") => format!("staff{}", user.id),
        _ => "staff".into(),
    };
    let key = format!(
        "tickets\0{whose}\0{archived}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}",
        query.status, query.queue, query.organization_id, query.q, query.sort
    );
    let page = kept
        .body(db, key, async || {
            let tickets = tickets::list(db, user, query.clone()).await?;
            ctx.render_kept_body(
                "portal/list.html",
                &ListPage {
                    archived,
                    query: query.clone(),
                    tickets,
                    staff,
                },
            )
        })
        .await?;
    ctx.render_kept(&page)
}

pub(super) async fn list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    list_page(&state.kept, &state.db, &ctx, &user, query.into_inner(), false).await
}

pub(super) async fn archived(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = ListQuery {
        status: Some("archived".into()),
        ..query.into_inner()
    };
    list_page(&state.kept, &state.db, &ctx, &user, query, true).await
}
