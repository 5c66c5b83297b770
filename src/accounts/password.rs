//! Passwords: argon2id hashes and the rules a new password must meet.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// Longest password accepted: hashing is deliberately slow, and an unbounded input
/// would let one request keep a core busy.
pub const MAX_LENGTH: usize = 256;

fn hasher() -> Argon2<'static> {
    // OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with a fresh salt (PHC string format).
pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_LENGTH {
        return false;
    }
    PasswordHash::new(stored)
        .map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Spends the time of one verification, so that an unknown address takes as long to
/// refuse as a wrong password.
pub fn burn_time(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("parley-timing-equalizer").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// Checks a new password: long enough, not too long, and not the address itself.
pub fn check_policy(password: &str, email: &str, min_length: usize) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < min_length {
        return Err(format!("Use at least {min_length} characters for your password."));
    }
    if password.len() > MAX_LENGTH {
        return Err(format!(
            "Use at most {MAX_LENGTH} bytes for your password (fewer characters outside ASCII)."
        ));
    }
    let lowered = password.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if lowered == email || (!local.is_empty() && lowered == local) {
        return Err("Your password must not be your email address.".into());
    }
    if let Some(first) = password.chars().next()
        && password.chars().all(|c| c == first)
    {
        return Err("Your password must not repeat one character.".into());
    }
    Ok(())
}

/// A random password for accounts made from the command line or the demo.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("short", "a@b.test", 10).is_err());
        assert!(check_policy("ann@acme.test", "ann@acme.test", 10).is_err());
        assert!(check_policy("ANN@ACME.TEST", "ann@acme.test", 8).is_err());
        assert!(check_policy("aaaaaaaaaaaa", "a@b.test", 10).is_err());
        assert!(check_policy(&"x".repeat(300), "a@b.test", 10).is_err());
        assert!(check_policy("a long passphrase", "ann@acme.test", 10).is_ok());
        assert_eq!(generate().len(), 20);
    }
}
