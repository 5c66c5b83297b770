//! Rate limits on signup, sign-in, password reset, status subscriptions and posting.
//!
//! The limiters are keyed by client address and, where the form names one, by account
//! address too, so that neither one machine nor a botnet against one account gets far.
//! A refusal is a 429 with Retry-After. `PARLEY_RATE_LIMITS=off` turns them all off.
//!
//! A limit is per site, not per node: on a database several nodes share (PostgreSQL)
//! the allowances are kept in it (`db::limits`), so five sign-ins a minute are five
//! whichever nodes they reach. On SQLite, one process serves the site and keeps them in
//! memory.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{Rate, RateLimits};
use crate::db::Db;
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
    limits: RateLimits,
    /// The database the allowances are kept in, when nodes share it.
    shared: Option<Db>,
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
    /// Limits kept in memory, for one process.
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            enabled: limits.enabled,
            limits: limits.clone(),
            shared: None,
            signup: RateLimiter::keyed(quota(limits.signup)),
            login: RateLimiter::keyed(quota(limits.login)),
            reset: RateLimiter::keyed(quota(limits.reset)),
            post: RateLimiter::keyed(quota(limits.post)),
        }
    }

    /// Limits kept in `db` when several nodes may share it, in memory otherwise.
    pub fn for_site(limits: &RateLimits, db: &Db) -> Self {
        Self {
            shared: db.shared_by_nodes().then(|| db.clone()),
            ..Self::new(limits)
        }
    }

    /// Counts one attempt against every key; refuses when any of them is spent.
    pub async fn check(&self, action: Action, keys: &[&str]) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        if let Some(db) = &self.shared {
            return self.check_shared(db, action, keys).await;
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

    async fn check_shared(&self, db: &Db, action: Action, keys: &[&str]) -> Result<(), AppError> {
        let (name, rate) = match action {
            Action::Signup => ("signup", self.limits.signup),
            Action::Login => ("login", self.limits.login),
            Action::Reset => ("reset", self.limits.reset),
            Action::Post => ("post", self.limits.post),
        };
        let period = rate.period.as_millis() as i64;
        let interval = (period / i64::from(rate.count.max(1))).max(1);
        let keys: Vec<String> = keys
            .iter()
            .map(|k| format!("{name}:{}", k.to_ascii_lowercase()))
            .collect();
        // One statement per key, each its own transaction: counting an attempt is not a
        // change any cache need hear of, so it is not counted as a write.
        let wait = db
            .read(move |c| {
                for key in &keys {
                    if let Some(wait) = crate::db::limits::take(c, key, interval, period)? {
                        return Ok(Some(wait));
                    }
                }
                Ok(None)
            })
            .await?;
        match wait {
            None => Ok(()),
            Some(ms) => Err(AppError::RateLimited {
                retry_after: (ms as u64).div_ceil(1000).max(1),
            }),
        }
    }

    /// Forgets keys whose limits have fully refilled, so memory (or the shared table)
    /// stays small.
    pub async fn prune(&self) {
        self.signup.retain_recent();
        self.login.retain_recent();
        self.reset.retain_recent();
        self.post.retain_recent();
        if let Some(db) = &self.shared {
            let pruned = db
                .write(|c| {
                    if !crate::db::locks::take_job(c, crate::db::locks::Job::PruneLimits)? {
                        return Ok(0);
                    }
                    crate::db::limits::prune(c)
                })
                .await;
            if let Err(e) = pruned {
                tracing::warn!(error = ?e, "pruning rate limits");
            }
        }
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

    #[actix_web::test]
    async fn refuses_after_the_burst_with_a_wait() {
        let l = Limiter::new(&limits(true));
        assert!(l.check(Action::Login, &["ip:1"]).await.is_ok());
        assert!(l.check(Action::Login, &["ip:1"]).await.is_ok());
        match l.check(Action::Login, &["ip:1"]).await {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=30).contains(&retry_after)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Other keys and other actions are counted apart.
        assert!(l.check(Action::Login, &["ip:2"]).await.is_ok());
        assert!(l.check(Action::Signup, &["ip:1"]).await.is_ok());
    }

    #[actix_web::test]
    async fn off_means_off() {
        let l = Limiter::new(&limits(false));
        for _ in 0..100 {
            assert!(l.check(Action::Login, &["ip:1"]).await.is_ok());
        }
    }
}
