//! One error type for the whole application and its status-code table: a JSON problem
//! body under `/api`, an HTML page elsewhere (rendered by `web::errors`). Internal
//! causes are logged and never shown.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::collections::BTreeMap;

mod problem;
mod throttle;

pub use problem::*;
pub use throttle::*;

/// Messages for each field of a form or JSON body, by field name.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Everything that can go wrong in a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input cannot be read at all (malformed JSON, a bad link).
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the route takes; the text says the limit.
    #[error("{0}")]
    TooLarge(String),
    /// A page needs a signed-in user; `next` is where to return after signing in.
    #[error("sign in to continue")]
    LoginRequired { next: String },
    /// The API call needs a valid bearer token or session.
    #[error("{0}")]
    Unauthorized(String),
    /// The user may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The input is readable but not acceptable; `fields` says what to fix where.
    #[error("{message}")]
    Invalid { message: String, fields: FieldErrors },
    /// The address exists, but not for this method; `allowed` lists those it takes.
    #[error("{method} is not answered here; this address takes {allowed}.")]
    MethodNotAllowed { method: String, allowed: String },
    /// Too many attempts; try again after `retry_after` seconds.
    #[error("too many attempts, try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// The database or another dependency is out of reach.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 with one message on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), vec![message.clone()]);
        Self::Invalid { message, fields }
    }

    /// A 422 from several field messages.
    pub fn fields(fields: FieldErrors) -> Self {
        let message = fields
            .values()
            .flatten()
            .next()
            .cloned()
            .unwrap_or_else(|| "The input is not valid.".into());
        Self::Invalid { message, fields }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub(crate) fn from_pool(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(anyhow::anyhow!("database pool: {e}"))
    }

    /// The message a user may see.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => {
                "Something went wrong on our side. It has been logged; please try again.".into()
            }
            Self::Unavailable(_) => {
                "The service is briefly unavailable. Please try again in a moment.".into()
            }
            Self::NotFound => "There is nothing at this address.".into(),
            other => other.to_string(),
        }
    }

    /// What to tell a person in one line: the field messages joined, or the public
    /// message when there are none (a refusal by mail, a banner on a page).
    pub fn in_one_line(&self) -> String {
        let said: Vec<&str> = self
            .field_errors()
            .map(|f| f.values().flatten().map(String::as_str).collect())
            .unwrap_or_default();
        if said.is_empty() {
            self.public_message()
        } else {
            said.join(" ")
        }
    }

    /// The field messages, if any.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            Self::Invalid { fields, .. } => Some(fields),
            _ => None,
        }
    }
}

/// What SQLite and PostgreSQL say when their disk is full or read-only.
const DISK_TROUBLE: [&str; 5] = [
    "readonly database",
    "database or disk is full",
    "disk I/O error",
    "No space left on device",
    "Read-only file system",
];

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound,
            // An id that names nothing: the person's mistake, said as a field to fix. The
            // field comes from PostgreSQL's constraint name (`<table>_<column>_fkey`);
            // SQLite does not say which reference failed.
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                let field = match (info.table_name(), info.constraint_name()) {
                    (Some(table), Some(constraint)) => constraint
                        .strip_prefix(table)
                        .and_then(|c| c.strip_prefix('_'))
                        .and_then(|c| c.strip_suffix("_fkey"))
                        .unwrap_or("id")
                        .to_string(),
                    _ => "id".to_string(),
                };
                Self::field(&field, "This names something that does not exist: check the id.")
            }
            // The server went away under an open connection (a restart, a network
            // cut): the service is unavailable, not broken.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(anyhow::anyhow!("database connection closed: {}", info.message()))
            }
            // The disk under the database is full or read-only: nothing the request did
            // wrong, and it heals when the disk does.
            Error::DatabaseError(_, info) if DISK_TROUBLE.iter().any(|m| info.message().contains(m)) => {
                Self::Unavailable(anyhow::anyhow!("the database cannot write: {}", info.message()))
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> Self {
        Self::Internal(anyhow::anyhow!("template: {e:?}"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::LoginRequired { .. } | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A JSON problem body. Pages never see it: `web::errors::render_errors` replaces it with an
    /// HTML page for every path outside `/api`.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let Self::RateLimited { retry_after } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let Self::MethodNotAllowed { allowed, .. } = self {
            res.insert_header((header::ALLOW, allowed.clone()));
        }
        if matches!(self, Self::Unauthorized(_) | Self::LoginRequired { .. }) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.content_type("application/problem+json")
            .json(Problem::from_error(self))
    }
}

#[cfg(test)]
mod throttle_tests {
    #[test]
    fn a_failing_state_is_said_once_then_at_the_interval_with_a_count() {
        let throttle = super::LogThrottle::new(std::time::Duration::from_millis(50));
        assert_eq!(throttle.note(), Some(1));
        assert_eq!(throttle.note(), None);
        assert_eq!(throttle.note(), None);
        std::thread::sleep(std::time::Duration::from_millis(60));
        assert_eq!(throttle.note(), Some(3));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind};

    struct Info(Option<&'static str>, Option<&'static str>);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            "violates foreign key constraint"
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            self.0
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.1
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn field_of(info: Info) -> Vec<String> {
        let e = diesel::result::Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, Box::new(info));
        match AppError::from(e) {
            AppError::Invalid { fields, .. } => fields.into_keys().collect(),
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn a_reference_to_nothing_is_a_field_to_fix() {
        // PostgreSQL names the constraint; SQLite says only that one failed.
        assert_eq!(
            field_of(Info(Some("tickets"), Some("tickets_organization_id_fkey"))),
            ["organization_id"]
        );
        assert_eq!(field_of(Info(None, None)), ["id"]);
    }
}
