//! Authorized contacts, kept by the account team: the customer success manager named on
//! an organization (and admins) add and remove its contacts; a member who is not one
//! may ask to become one, and the request waits in that manager's queue (or, when the
//! organization has no manager, in every admin's) until it is granted or declined. The
//! requester hears of the decision by mail.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::case_escalation::{Reach, success_manager};
use crate::db::schema::{contact_requests, organizations, users};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::AppError;
use crate::mail::{Mail, MailContext, mailbox};
use crate::web::AuthUser;
use crate::with_backend;

/// A member's request to become an authorized contact.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RequestInput {
    /// Why: up to 1,000 characters (may be empty).
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub reason: String,
}

/// An open request, as the account team sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactRequest {
    pub id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub reason: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A member of an organization, as its account team manages them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub authorized_contact: bool,
}

/// An organization the reader manages, with its members.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManagedOrganization {
    pub id: i64,
    pub name: String,
    pub members: Vec<Member>,
}

/// The account team's queue: open requests, and the organizations the reader manages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountQueue {
    pub requests: Vec<ContactRequest>,
    pub organizations: Vec<ManagedOrganization>,
}

/// What a member of a customer sees of their support: their contacts, their account
/// team, and their own request if they made one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberSupport {
    pub plan: String,
    pub authorized_contact: bool,
    pub contacts: Vec<Reach>,
    pub success_manager: Option<Reach>,
    /// When their request to become a contact was made, while it waits.
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub requested_at: Option<NaiveDateTime>,
    /// They may ask to become a contact now.
    pub can_request: bool,
    /// The partner that supports their organization, if one does.
    pub partner: Option<super::partners::PartnerResource>,
}

/// The support part of a customer member's dashboard; none for staff or a member of no
/// approved organization.
pub fn member_support(c: &mut AnyConnection, user: &AuthUser) -> Result<Option<MemberSupport>, AppError> {
    let (Some(org), Some("approved"), false) = (
        user.organization_id,
        user.organization_status.as_deref(),
        user.is_staff(),
    ) else {
        return Ok(None);
    };
    let plan_id: i64 = organizations::table
        .find(org)
        .select(organizations::plan_id)
        .first(c)?;
    let contacts = users::table
        .filter(users::organization_id.eq(org))
        .filter(users::authorized_contact.eq(true))
        .order(users::display_name.asc())
        .limit(50)
        .select((users::display_name, users::email))
        .load::<(String, String)>(c)?
        .into_iter()
        .map(|(name, email)| Reach { name, email })
        .collect();
    let requested_at = contact_requests::table
        .filter(contact_requests::user_id.eq(user.id))
        .filter(contact_requests::decided_at.is_null())
        .select(contact_requests::created_at)
        .first::<NaiveDateTime>(c)
        .optional()?;
    let partner = super::partners::supporting_org(c, org)?;
    Ok(Some(MemberSupport {
        plan: super::plans::summary(c, plan_id)?.name,
        authorized_contact: user.authorized_contact,
        contacts,
        success_manager: success_manager(c, org)?,
        can_request: !user.authorized_contact && requested_at.is_none() && partner.is_none(),
        requested_at,
        partner,
    }))
}

/// Whether `user` manages the contacts of organization `org`: its success manager, or
/// an admin.
fn manages(c: &mut AnyConnection, user: &AuthUser, org: i64) -> Result<bool, AppError> {
    if user.is_admin() {
        return Ok(true);
    }
    if !user.is_staff() {
        return Ok(false);
    }
    let manager: Option<Option<i64>> = organizations::table
        .find(org)
        .select(organizations::success_manager_id)
        .first(c)
        .optional()?;
    Ok(manager.flatten() == Some(user.id))
}

#[derive(Serialize)]
struct RequestMail<'a> {
    name: &'a str,
    requester: &'a str,
    requester_email: &'a str,
    organization: &'a str,
    reason: &'a str,
    link: String,
}

/// A member asks to become an authorized contact of their organization.
pub async fn request(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: RequestInput,
) -> Result<(), AppError> {
    let reason = input.reason.trim().to_string();
    if reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "Keep the reason to 1,000 characters."));
    }
    let (Some(org), Some("approved")) = (user.organization_id, user.organization_status.as_deref()) else {
        return Err(AppError::forbidden(
            "Authorized contacts belong to an approved customer organization.",
        ));
    };
    if user.is_staff() {
        return Err(AppError::forbidden("Staff see every ticket already."));
    }
    if !user.verified {
        return Err(AppError::forbidden("Confirm your email address first."));
    }
    if user.authorized_contact {
        return Err(AppError::Conflict(
            "You are an authorized contact already.".into(),
        ));
    }
    let (me, name, email) = (user.id, user.display_name.clone(), user.email.clone());
    let org_name = user.organization_name.clone().unwrap_or_default();
    let notices = mailing.clone();
    db.write(move |c| {
        if super::partners::supporting_org(c, org)?.is_some() {
            return Err(AppError::forbidden(
                "Your organization is supported by a partner: ask them for support.",
            ));
        }
        let at = now();
        let id = with_backend!(c, |c| diesel::insert_into(contact_requests::table)
            .values((
                contact_requests::organization_id.eq(org),
                contact_requests::user_id.eq(me),
                contact_requests::reason.eq(&reason),
                contact_requests::created_at.eq(at),
            ))
            .returning(contact_requests::id)
            .get_result::<i64>(c))
        .on_duplicate(|| AppError::Conflict("Your request is already with your account team.".into()))?;
        // To the success manager, or to every admin when none is named.
        let to: Vec<(String, String)> = match success_manager(c, org)? {
            Some(r) => vec![(r.name, r.email)],
            None => users::table
                .filter(users::role.eq("admin"))
                .select((users::display_name, users::email))
                .load(c)?,
        };
        for (to_name, address) in to {
            let Ok(mbox) = mailbox(&to_name, &address) else {
                continue;
            };
            let view = RequestMail {
                name: &to_name,
                requester: &name,
                requester_email: &email,
                organization: &org_name,
                reason: &reason,
                link: notices.url("/portal/account-team"),
            };
            let mail = Mail::from_templates(&notices.templates, "contact_request", mbox, &view)
                .map_err(AppError::Internal)?;
            crate::outbox::enqueue(
                c,
                &format!("contact-request:{id}:{}", address.to_lowercase()),
                &mail,
            )?;
        }
        Ok(())
    })
    .await
}

/// The reader's queue: open requests of the organizations they manage (admins: all),
/// and those organizations' members.
pub async fn queue(db: &Db, user: &AuthUser) -> Result<AccountQueue, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden("The account team's queue is for staff."));
    }
    let (me, admin) = (user.id, user.is_admin());
    db.read(move |c| {
        // The organizations the reader is named on (admins too: a list of every
        // organization would be too long to be useful).
        let orgs: Vec<(i64, String)> = organizations::table
            .filter(organizations::status.eq("approved"))
            .filter(organizations::success_manager_id.eq(me))
            .order(organizations::name.asc())
            .select((organizations::id, organizations::name))
            .limit(500)
            .load(c)?;
        let ids: Vec<i64> = orgs.iter().map(|o| o.0).collect();
        // Admins see every open request (the dashboard counts them all); a manager
        // those of the organizations they manage.
        let mut requests = contact_requests::table
            .inner_join(users::table.on(users::id.eq(contact_requests::user_id)))
            .inner_join(organizations::table.on(organizations::id.eq(contact_requests::organization_id)))
            .filter(contact_requests::decided_at.is_null())
            .into_boxed();
        if !admin {
            requests = requests.filter(contact_requests::organization_id.eq_any(&ids));
        }
        let requests = requests
            .order(contact_requests::id.asc())
            .limit(500)
            .select((
                contact_requests::id,
                contact_requests::organization_id,
                organizations::name,
                users::id,
                users::display_name,
                users::email,
                contact_requests::reason,
                contact_requests::created_at,
            ))
            .load::<(i64, i64, String, i64, String, String, String, NaiveDateTime)>(c)?
            .into_iter()
            .map(
                |(id, organization_id, organization, user_id, name, email, reason, created_at)| {
                    ContactRequest {
                        id,
                        organization_id,
                        organization,
                        user_id,
                        name,
                        email,
                        reason,
                        created_at,
                    }
                },
            )
            .collect();
        let mut organizations = Vec::new();
        for (id, name) in orgs {
            let members = users::table
                .filter(users::organization_id.eq(id))
                .order((users::authorized_contact.desc(), users::display_name.asc()))
                .limit(500)
                .select((
                    users::id,
                    users::display_name,
                    users::email,
                    users::authorized_contact,
                ))
                .load::<(i64, String, String, bool)>(c)?
                .into_iter()
                .map(|(id, name, email, authorized_contact)| Member {
                    id,
                    name,
                    email,
                    authorized_contact,
                })
                .collect();
            organizations.push(ManagedOrganization { id, name, members });
        }
        Ok(AccountQueue {
            requests,
            organizations,
        })
    })
    .await
}

#[derive(Serialize)]
struct DecisionMail<'a> {
    name: &'a str,
    organization: &'a str,
    granted: bool,
    decider: &'a str,
    link: String,
}

/// Makes a member an authorized contact of their organization, or no longer one (its
/// success manager, or an admin). An open request of theirs is settled by it, and they
/// hear of it by mail.
pub async fn set_contact(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    member: i64,
    contact: bool,
) -> Result<(), AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden(
            "Only the customer's account team manages its authorized contacts.",
        ));
    }
    let actor = user.clone();
    let notices = mailing.clone();
    db.write(move |c| {
        let found: Option<(Option<i64>, String, String, bool, String)> = users::table
            .filter(users::id.eq(member))
            .filter(users::role.eq("member"))
            .select((
                users::organization_id,
                users::display_name,
                users::email,
                users::authorized_contact,
                users::role,
            ))
            .first(c)
            .optional()?;
        let Some((Some(org), name, email, was, _)) = found else {
            return Err(AppError::NotFound);
        };
        if !manages(c, &actor, org)? {
            return Err(AppError::forbidden(
                "Only the organization's customer success manager, or an admin, manages its authorized contacts.",
            ));
        }
        diesel::update(users::table.find(member))
            .set((users::authorized_contact.eq(contact), users::updated_at.eq(now())))
            .execute(c)?;
        let settled = diesel::update(
            contact_requests::table
                .filter(contact_requests::user_id.eq(member))
                .filter(contact_requests::decided_at.is_null()),
        )
        .set((
            contact_requests::decided_at.eq(now()),
            contact_requests::decided_by.eq(actor.id),
            contact_requests::outcome.eq(if contact { "granted" } else { "declined" }),
        ))
        .execute(c)?;
        if was != contact || settled > 0 {
            let organization: String = organizations::table
                .find(org)
                .select(organizations::name)
                .first(c)?;
            if let Ok(mbox) = mailbox(&name, &email) {
                let view = DecisionMail {
                    name: &name,
                    organization: &organization,
                    granted: contact,
                    decider: &actor.display_name,
                    link: notices.url(if contact { "/portal/tickets" } else { "/portal" }),
                };
                let mail = Mail::from_templates(&notices.templates, "contact_decision", mbox, &view)
                    .map_err(AppError::Internal)?;
                let key = format!("contact-decision:{member}:{}", now().and_utc().timestamp_micros());
                crate::outbox::enqueue(c, &key, &mail)?;
            }
        }
        Ok(())
    })
    .await
}

/// Settles a request: granted makes the member a contact; declined leaves them as they
/// are. Either way they hear of it.
pub async fn decide(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    request_id: i64,
    grant: bool,
) -> Result<(), AppError> {
    let found: Option<(i64, Option<NaiveDateTime>)> = db
        .read(move |c| {
            Ok(contact_requests::table
                .find(request_id)
                .select((contact_requests::user_id, contact_requests::decided_at))
                .first(c)
                .optional()?)
        })
        .await?;
    match found {
        None => Err(AppError::NotFound),
        Some((_, Some(_))) => Err(AppError::Conflict("This request was settled already.".into())),
        Some((member, None)) if grant => set_contact(db, mailing, user, member, true).await,
        Some((member, None)) => {
            // Declining leaves the member as they are: set what they already have.
            let now_contact = db
                .read(move |c| {
                    Ok(users::table
                        .find(member)
                        .select(users::authorized_contact)
                        .first::<bool>(c)?)
                })
                .await?;
            set_contact(db, mailing, user, member, now_contact).await
        }
    }
}
