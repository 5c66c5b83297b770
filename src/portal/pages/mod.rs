//! The portal pages under `/portal`.

use super::attachments;
use super::dashboard::{self, AnnouncementInput};
use super::reports;
use super::sla::Priority;
use super::tickets::{self, ListQuery, TicketInput, TicketRow, TicketView};
use super::workflow::{self, AssignInput, NoteInput, PriorityInput, StatusInput};
use crate::app::AppState;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

mod account_pages;
mod filing;
mod notice_board;
mod queue;
mod report_pages;
mod ticket;

use account_pages::*;
use filing::*;
pub(crate) use filing::{Escalating, ticket_form};
use notice_board::*;
use queue::*;
use report_pages::*;
use ticket::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/portal", web::get().to(dashboard))
        .route("/portal/escalations", web::get().to(escalations))
        .route("/portal/account-team", web::get().to(account_team))
        .route(
            "/portal/account-team/requests/{id}",
            web::post().to(decide_request),
        )
        .route(
            "/portal/account-team/members/{id}",
            web::post().to(set_member_contact),
        )
        .route("/portal/contact-request", web::post().to(request_contact))
        .route("/portal/tickets/{id}/escalate", web::get().to(escalate_form))
        .route("/portal/tickets/{id}/escalate", web::post().to(escalate))
        .route("/portal/reports", web::get().to(reports_page))
        .route("/portal/reports.csv", web::get().to(reports_csv))
        .route("/portal/deflection", web::get().to(deflection_page))
        .route("/portal/deflection.csv", web::get().to(deflection_csv))
        .route("/deflection/answered", web::post().to(answered))
        .route("/portal/announcements", web::get().to(announcements))
        .route("/portal/announcements", web::post().to(create_announcement))
        .route(
            "/portal/announcements/{id}/edit",
            web::get().to(edit_announcement),
        )
        .route("/portal/announcements/{id}", web::post().to(update_announcement))
        .route(
            "/portal/announcements/{id}/delete",
            web::post().to(delete_announcement),
        )
        .route("/portal/tickets", web::get().to(list))
        .route("/portal/tickets/archived", web::get().to(archived))
        .route("/portal/tickets/new", web::get().to(new_form))
        .route("/portal/tickets/new", web::post().to(create))
        .route("/portal/tickets/{id}", web::get().to(show))
        .route("/portal/tickets/{id}/status", web::post().to(set_status))
        .route("/portal/tickets/{id}/note", web::post().to(add_note))
        .route("/portal/tickets/{id}/priority", web::post().to(set_priority))
        .route("/portal/tickets/{id}/assign", web::post().to(assign))
        .route("/portal/tickets/{id}/follow", web::post().to(follow))
        .route(
            "/portal/tickets/{id}/confirm-sender",
            web::post().to(confirm_sender),
        )
        .route("/portal/tickets/{id}/attachments", web::post().to(attach))
        .route(
            "/portal/tickets/{id}/attachments/{attachment}",
            web::get().to(attachment),
        );
}
