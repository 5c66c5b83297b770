//! The signed-in start page: what the user can do next, and the state of their account.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::AppError;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

#[derive(Serialize)]
struct HomePage {
    can_read: bool,
    can_post: bool,
}

async fn home(ctx: PageCtx, user: CurrentUser) -> Result<HttpResponse, AppError> {
    ctx.render(
        "home.html",
        &HomePage {
            can_read: user.can_read_community(),
            can_post: user.can_post(),
        },
    )
}
