//! The portal's JSON API under `/api/v1/tickets`.

use super::attachments;
use super::dashboard::{self, AnnouncementInput};
use super::followers;
use super::inbound;
use super::reports;
use super::tickets::{self, ListQuery, TicketInput};
use super::workflow::{self, AssignInput, NoteInput, PriorityInput, StatusInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;
use actix_web::{HttpRequest, HttpResponse, web};

crate::api_routes! {
    get "/api/v1/tickets" => list_tickets,
    post "/api/v1/tickets" => create_ticket,
    get "/api/v1/tickets/{id}" => get_ticket,
    get "/api/v1/tickets/{id}/transitions" => transitions,
    put "/api/v1/tickets/{id}/status" => set_status,
    post "/api/v1/tickets/{id}/notes" => add_note,
    put "/api/v1/tickets/{id}/priority" => set_priority,
    put "/api/v1/tickets/{id}/assignee" => assign,
    put "/api/v1/tickets/{id}/following" => follow,
    post "/api/v1/tickets/{id}/sender-confirmation" => confirm_sender,
    post "/api/v1/tickets/{id}/attachments" => attach,
    get "/api/v1/tickets/{id}/attachments/{attachment}" => attachment,
    get "/api/v1/reports/sla" => sla_report,
    get "/api/v1/reports/sla.csv" => sla_report_csv,
    get "/api/v1/reports/deflection" => deflection_report,
    get "/api/v1/reports/deflection.csv" => deflection_report_csv,
    post "/api/v1/inbound-mail" => inbound_mail,
    post "/api/v1/ticket-mail/unfollow" => unfollow_ticket,
    get "/api/v1/admin/inbound-mail" => received_mail,
    post "/api/v1/admin/inbound-mail/{id}/ticket" => received_to_ticket,
    get "/api/v1/portal/dashboard" => dashboard,
    get "/api/v1/announcements" => list_announcements,
    post "/api/v1/announcements" => create_announcement,
    put "/api/v1/announcements/{id}" => update_announcement,
    delete "/api/v1/announcements/{id}" => delete_announcement,
}

mod board_api;
mod mail_api;
mod ticket_api;

use board_api::*;
use mail_api::*;
use ticket_api::*;
