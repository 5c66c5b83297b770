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
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    query: ListQuery,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let staff = crate::portal::access(user)?.is_staff();
    let tickets = tickets::list(db, user, query.clone()).await?;
    ctx.render(
        "portal/list.html",
        &ListPage {
            archived,
            query,
            tickets,
            staff,
        },
    )
}

pub(super) async fn list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    list_page(&state.db, &ctx, &user, query.into_inner(), false).await
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
    list_page(&state.db, &ctx, &user, query, true).await
}
