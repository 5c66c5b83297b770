//! Accounts through HTTP: signup rules, organizations by domain, verification links,
//! sign-in and out, password reset and change, tokens, CSRF and rate limits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, location};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod sessions;
mod settings;
mod signup;

const PW: &str = "a sturdy passphrase";

async fn api_signup(app: &TestApp, email: &str, password: &str, name: &str) -> (StatusCode, Value) {
    let body = json!({"email": email, "password": password, "display_name": name});
    app.call(Method::POST, "/api/v1/auth/signup", None, Some(body))
        .await
}
