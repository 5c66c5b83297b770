//! The support portal: tickets filed by customers' authorized contacts and worked by
//! staff against a response SLA.
//!
//! - [`ticket_status`]: the statuses and the one table of allowed moves;
//! - [`sla`]: when the first response is due, a pure function of events and calendar;
//! - [`plans`]: support plans (targets, calendar, pauses, escalation) and each
//!   organization's terms; [`partners`]: partners that support their own customers;
//!   `plans_api.rs`: their API;
//! - [`calendar`]: business calendars, checked field by field;
//! - [`tickets`]: filing, listing and reading tickets, who sees what;
//! - [`catalog`]: the environments, applications and keywords a ticket may name;
//! - [`workflow`]: status, notes, priority, assignment, archiving;
//! - [`dashboard`]: the front page and the announcements on it;
//! - [`reports`]: SLA attainment and first-response times for staff, also as CSV;
//! - [`alerts`]: mail to staff an hour before a first response is due, and at the breach;
//! - [`followers`]: who follows a ticket and hears of it by mail;
//! - [`inbound`]: tickets and notes by mail, and [`mail_auth`], whether its sender is
//!   who it says;
//! - [`ticket_mail`]: who is mailed about which ticket event;
//! - [`escalate`]: a forum thread made a ticket, and the answer published back
//!   (`escalate_api.rs`, `escalate_pages.rs`); [`links`]: links between threads,
//!   tickets and releases;
//! - [`case_escalation`]: a customer escalating a ticket under a plan that offers it,
//!   and the escalations queue; [`contacts`]: authorized contacts kept by the account
//!   team, and members' requests to become one;
//! - [`attachments`]: files on tickets, served only to those who see the ticket;
//! - `pages.rs`, `api.rs`: the portal pages and the JSON API.

pub mod account_api;
pub mod alerts;
pub mod api;
pub mod attachments;
pub mod calendar;
pub mod case_escalation;
pub mod catalog;
pub mod contacts;
pub mod dashboard;
pub mod deflection;
pub mod escalate;
pub mod escalate_api;
pub mod escalate_pages;
pub mod followers;
pub mod inbound;
pub mod links;
pub mod mail_auth;
pub mod pages;
pub mod partners;
pub mod plans;
pub mod plans_api;
pub mod reports;
pub mod sla;
pub mod ticket_mail;
pub mod ticket_status;
pub mod tickets;
pub mod workflow;

use crate::accounts::Role;
use crate::error::AppError;
use crate::web::AuthUser;

/// What a user may do in the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Support staff and admins: every ticket.
    Staff,
    /// An authorized contact: every ticket of their organization.
    Contact { organization_id: i64 },
}

impl Access {
    pub fn is_staff(self) -> bool {
        self == Self::Staff
    }

    pub fn actor(self) -> ticket_status::Actor {
        match self {
            Self::Staff => ticket_status::Actor::Staff,
            Self::Contact { .. } => ticket_status::Actor::Customer,
        }
    }
}

/// The portal is for staff and for verified authorized contacts of approved
/// organizations; anyone else is told whom to ask.
pub fn access(user: &AuthUser) -> Result<Access, AppError> {
    if matches!(user.role, Role::Staff | Role::Admin) {
        return Ok(Access::Staff);
    }
    match (user.organization_id, user.organization_status.as_deref()) {
        (Some(org), Some("approved")) if user.authorized_contact && user.verified => {
            Ok(Access::Contact { organization_id: org })
        }
        (Some(_), Some("approved")) if user.authorized_contact => Err(AppError::Forbidden(
            "Confirm your email address before you file or read tickets.".into(),
        )),
        (Some(_), Some("approved")) => Err(AppError::Forbidden(format!(
            "Only authorized contacts of {} file and read support tickets. Ask one of them, \
             or ask your account manager to make you one; the community is open to you meanwhile.",
            user.organization_name.as_deref().unwrap_or("your organization")
        ))),
        _ => Err(AppError::Forbidden(
            "Support tickets are for customers whose organization is approved.".into(),
        )),
    }
}

/// Mounts the portal pages and API.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    api::configure(cfg);
    escalate_api::configure(cfg);
    plans_api::configure(cfg);
    account_api::configure(cfg);
    escalate_pages::configure(cfg);
    pages::configure(cfg);
}

/// Whether a subject declares a production outage.
pub fn says_production_down(subject: &str) -> bool {
    subject
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .contains("production down")
}

#[cfg(test)]
mod tests {
    #[test]
    fn production_down_anywhere_in_the_subject() {
        assert!(super::says_production_down("URGENT: Production  DOWN since 9am"));
        assert!(super::says_production_down("production down"));
        assert!(!super::says_production_down("Production is slow, not down"));
    }
}
