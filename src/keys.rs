//! Signing keys derived from `PARLEY_SECRET`: session tokens, links sent by mail, and
//! CSRF tokens. Each use has its own key, so a token made for one cannot pass as
//! another.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Secret;
use crate::error::AppError;

/// What a signed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Session,
    VerifyEmail,
    ResetPassword,
    /// A link in notification mail that turns that mail off.
    Unsubscribe,
    /// A link in ticket mail that stops following that ticket (`email` names it).
    UnfollowTicket,
}

/// The claims of every token Parley signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: i64,
    /// The user's session epoch when the token was made.
    pub ep: i64,
    pub pur: Purpose,
    /// The address a verification link confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A session's own id, so that signing out can end this one session (see
    /// `web::session`). Sessions made before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub iat: u64,
    pub exp: u64,
}

/// What a session token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    pub user_id: i64,
    pub epoch: i64,
    /// The session's id; `None` for a session made before sessions had one.
    pub id: Option<String>,
    /// When it expires, in seconds since 1970.
    pub expires: u64,
}

/// Why a link was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Expired,
    Invalid,
}

/// The keys, derived once at start.
#[derive(Clone)]
pub struct Keys {
    jwt_enc: EncodingKey,
    jwt_dec: DecodingKey,
    csrf: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(********)")
    }
}

fn derive(secret: &Secret, label: &str) -> Vec<u8> {
    hmac_sha256(secret.expose().as_bytes(), label.as_bytes())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Keys {
    pub fn new(secret: &Secret) -> Self {
        let jwt = derive(secret, "parley/jwt/v1");
        Self {
            jwt_enc: EncodingKey::from_secret(&jwt),
            jwt_dec: DecodingKey::from_secret(&jwt),
            csrf: derive(secret, "parley/csrf/v1"),
        }
    }

    /// Signs `claims` as they are (tests use this to make expired links).
    pub fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.jwt_enc)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a token: {e}")))
    }

    /// Claims for `purpose`, valid from now for `ttl`.
    pub fn claims(
        purpose: Purpose,
        user_id: i64,
        epoch: i64,
        email: Option<String>,
        ttl: Duration,
    ) -> Claims {
        let iat = now_secs();
        Claims {
            sub: user_id,
            ep: epoch,
            pur: purpose,
            email,
            sid: None,
            iat,
            exp: iat + ttl.as_secs(),
        }
    }

    /// A session token with an id of its own (128 random bits).
    pub fn sign_session(&self, user_id: i64, epoch: i64, ttl: Duration) -> Result<String, AppError> {
        let mut claims = Self::claims(Purpose::Session, user_id, epoch, None, ttl);
        claims.sid = Some(URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()));
        self.sign(&claims)
    }

    /// What a valid session token names.
    pub fn verify_session(&self, token: &str) -> Option<SessionClaims> {
        self.verify(Purpose::Session, token).ok().map(|c| SessionClaims {
            user_id: c.sub,
            epoch: c.ep,
            id: c.sid,
            expires: c.exp,
        })
    }

    /// Checks a token's signature, expiry and purpose.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Result<Claims, LinkError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.jwt_dec, &validation).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => LinkError::Expired,
            _ => LinkError::Invalid,
        })?;
        if data.claims.pur != purpose {
            return Err(LinkError::Invalid);
        }
        Ok(data.claims)
    }

    /// The form token that goes with a CSRF cookie value.
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac_sha256(&self.csrf, cookie_value.as_bytes()))
    }

    /// Whether `submitted` is the form token of `cookie_value`, compared in constant time.
    pub fn csrf_matches(&self, cookie_value: &str, submitted: &str) -> bool {
        same_secret(&self.csrf_token(cookie_value), submitted)
    }
}

/// Whether two secrets are equal, compared in constant time (for their length).
pub fn same_secret(expected: &str, submitted: &str) -> bool {
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Bytes (a digest) as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(&Secret::new("x".repeat(40)))
    }

    #[test]
    fn session_round_trip_and_purpose() {
        let k = keys();
        let t = k.sign_session(7, 3, Duration::from_secs(60)).expect("sign");
        let claims = k.verify_session(&t).expect("a valid session");
        assert_eq!((claims.user_id, claims.epoch), (7, 3));
        // Each session has an id of its own.
        let other = k.sign_session(7, 3, Duration::from_secs(60)).expect("sign");
        let other = k.verify_session(&other).expect("a valid session");
        assert!(claims.id.as_ref().is_some_and(|id| id.len() >= 20));
        assert_ne!(claims.id, other.id);
        assert_eq!(
            k.verify(Purpose::ResetPassword, &t).err(),
            Some(LinkError::Invalid)
        );
    }

    #[test]
    fn expired_and_tampered() {
        let k = keys();
        let mut c = Keys::claims(
            Purpose::VerifyEmail,
            1,
            0,
            Some("a@b.test".into()),
            Duration::ZERO,
        );
        c.exp = c.iat.saturating_sub(3600);
        let t = k.sign(&c).expect("sign");
        assert_eq!(k.verify(Purpose::VerifyEmail, &t).err(), Some(LinkError::Expired));
        let good = k
            .sign(&Keys::claims(
                Purpose::VerifyEmail,
                1,
                0,
                None,
                Duration::from_secs(60),
            ))
            .expect("sign");
        let mut bad = good.clone();
        bad.pop();
        bad.push(if good.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            k.verify(Purpose::VerifyEmail, &bad).err(),
            Some(LinkError::Invalid)
        );
        let other = Keys::new(&Secret::new("y".repeat(40)));
        assert_eq!(
            other.verify(Purpose::VerifyEmail, &good).err(),
            Some(LinkError::Invalid)
        );
    }

    #[test]
    fn csrf_tokens() {
        let k = keys();
        let t = k.csrf_token("cookie");
        assert!(k.csrf_matches("cookie", &t));
        assert!(!k.csrf_matches("other", &t));
        assert!(!k.csrf_matches("cookie", ""));
    }
}
