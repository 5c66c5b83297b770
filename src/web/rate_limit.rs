//! Rate limits on signup, sign-in and password reset, kept in memory per process.
//!
//! The limiters are keyed by client address and, where the form names one, by account
//! address too, so that neither one machine nor a botnet against one account gets far.
//! A refusal is a 429 with Retry-After. `PARLEY_RATE_LIMITS=off` turns them all off.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{Rate, RateLimits};
use crate::error::AppError;

/// Which limit to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Signup,
    Login,
    Reset,
    /// New topics and replies, per member.
    Post,
}

/// The limiters of one process.
pub struct Limiter {
    enabled: bool,
    signup: DefaultKeyedRateLimiter<String>,
    login: DefaultKeyedRateLimiter<String>,
    reset: DefaultKeyedRateLimiter<String>,
    post: DefaultKeyedRateLimiter<String>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

fn quota(rate: Rate) -> Quota {
    let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
    // A burst of `count`, refilled evenly over the period.
    let per_cell = rate.period / rate.count.max(1);
    Quota::with_period(per_cell)
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count)
}

impl Limiter {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            enabled: limits.enabled,
            signup: RateLimiter::keyed(quota(limits.signup)),
            login: RateLimiter::keyed(quota(limits.login)),
            reset: RateLimiter::keyed(quota(limits.reset)),
            post: RateLimiter::keyed(quota(limits.post)),
        }
    }

    /// Counts one attempt against every key; refuses when any of them is spent.
    pub fn check(&self, action: Action, keys: &[&str]) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let limiter = match action {
            Action::Signup => &self.signup,
            Action::Login => &self.login,
            Action::Reset => &self.reset,
            Action::Post => &self.post,
        };
        for key in keys {
            if let Err(not_until) = limiter.check_key(&key.to_ascii_lowercase()) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(AppError::RateLimited {
                    retry_after: wait.as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully refilled, so memory stays bounded.
    pub fn prune(&self) {
        self.signup.retain_recent();
        self.login.retain_recent();
        self.reset.retain_recent();
        self.post.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(enabled: bool) -> RateLimits {
        let r = Rate {
            count: 2,
            period: Duration::from_secs(60),
        };
        RateLimits {
            enabled,
            signup: r,
            login: r,
            reset: r,
            post: r,
        }
    }

    #[test]
    fn refuses_after_the_burst_with_a_wait() {
        let l = Limiter::new(&limits(true));
        assert!(l.check(Action::Login, &["ip:1"]).is_ok());
        assert!(l.check(Action::Login, &["ip:1"]).is_ok());
        match l.check(Action::Login, &["ip:1"]) {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=30).contains(&retry_after)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Other keys and other actions are counted apart.
        assert!(l.check(Action::Login, &["ip:2"]).is_ok());
        assert!(l.check(Action::Signup, &["ip:1"]).is_ok());
    }

    #[test]
    fn off_means_off() {
        let l = Limiter::new(&limits(false));
        for _ in 0..100 {
            assert!(l.check(Action::Login, &["ip:1"]).is_ok());
        }
    }
}
