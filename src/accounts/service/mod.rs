//! Account rules: signup with company addresses, verification, sign-in, password reset
//! and change, API tokens. Handlers for pages and for the API both call these; nothing
//! here knows about HTTP.
//!
//! - `signup.rs`: the signup form and the account it opens; `organizations.rs`: which
//!   organization an address joins;
//! - `links.rs`: verification and reset links; `sign_in.rs`: sign-in and password change;
//! - `tokens.rs`: API tokens; `users.rs`: user rows, usernames, operator-made accounts.

mod links;
mod organizations;
mod sign_in;
mod signup;
mod tokens;
mod users;

pub use links::*;
pub use organizations::*;
pub use sign_in::*;
pub use signup::*;
pub use tokens::*;
pub use users::*;
