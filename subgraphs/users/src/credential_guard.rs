//! What keeps `login` and `register` from being a brute-force or argon2 amplifier: token buckets per
//! client address and per email (governor, keyed; the email trimmed and lower-cased, then hashed, so
//! keys stay small), checked before any password is hashed and answered with `RATE_LIMITED` and
//! `extensions.retryAfter` in seconds; and an extension that refuses an operation selecting more than
//! one `login`/`register` field (`TOO_MANY_CREDENTIAL_FIELDS`), before anything runs.

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensions, ServerResult, Variables};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use shopgraph_kit::query_limits::root_field_count;
use shopgraph_kit::{ClientAddress, CredentialLimits, ErrorCode, RateLimit};

/// The root fields that hash a password.
pub const CREDENTIAL_FIELDS: [&str; 2] = ["login", "register"];
/// How many of them one operation may select.
pub const MAX_CREDENTIAL_FIELDS: u64 = 1;
/// Forgotten buckets are swept after this many attempts.
const SWEEP_EVERY: u64 = 4096;

/// Which attempt is being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Login,
    Register,
}

/// An attempt refused for its rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    /// Whole seconds until an attempt may succeed (at least one).
    pub retry_after_seconds: u64,
    /// `this address` or `this email`.
    pub by: &'static str,
}

impl RateLimited {
    /// The GraphQL error: `RATE_LIMITED` with `retryAfter` in the extensions.
    pub fn into_error(self, attempt: Attempt) -> async_graphql::Error {
        let what = match attempt {
            Attempt::Login => "sign-in",
            Attempt::Register => "registration",
        };
        let seconds = self.retry_after_seconds;
        ErrorCode::RateLimited
            .error(format!(
                "too many {what} attempts from {}; try again in {seconds} s",
                self.by
            ))
            .extend_with(|_, extensions| extensions.set("retryAfter", seconds))
    }
}

/// The token buckets of `login` and `register`.
pub struct CredentialGuard {
    login_per_email: Option<DefaultKeyedRateLimiter<u64>>,
    login_per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    register_per_email: Option<DefaultKeyedRateLimiter<u64>>,
    register_per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    email_hasher: RandomState,
    attempts: AtomicU64,
}

fn buckets<K: std::hash::Hash + Eq + Clone>(
    limit: RateLimit,
) -> Option<DefaultKeyedRateLimiter<K>> {
    match limit {
        RateLimit::Off => None,
        RateLimit::Every { count, period } => {
            let interval = (period / count.get()).max(Duration::from_nanos(1));
            Quota::with_period(interval)
                .map(|quota| DefaultKeyedRateLimiter::keyed(quota.allow_burst(count)))
        }
    }
}

impl CredentialGuard {
    pub fn new(limits: &CredentialLimits) -> CredentialGuard {
        CredentialGuard {
            login_per_email: buckets(limits.login_per_email),
            login_per_ip: buckets(limits.login_per_ip),
            register_per_email: buckets(limits.register_per_email),
            register_per_ip: buckets(limits.register_per_ip),
            email_hasher: RandomState::new(),
            attempts: AtomicU64::new(0),
        }
    }

    /// Takes a token for an `attempt` with `email` from `client` (the address bucket first; none when
    /// the client's address is unknown), or says how long to wait.
    pub fn admit(
        &self,
        attempt: Attempt,
        email: &str,
        client: Option<ClientAddress>,
    ) -> Result<(), RateLimited> {
        self.sweep_now_and_then();
        let (per_ip, per_email) = match attempt {
            Attempt::Login => (&self.login_per_ip, &self.login_per_email),
            Attempt::Register => (&self.register_per_ip, &self.register_per_email),
        };
        if let (Some(buckets), Some(client)) = (per_ip, client) {
            take(buckets, &client.rate_limit_key(), "this address")?;
        }
        if let Some(buckets) = per_email {
            let key = self.email_hasher.hash_one(email.trim().to_lowercase());
            take(buckets, &key, "this email")?;
        }
        Ok(())
    }

    /// Drops the buckets that have refilled (they hold nothing a new one would not) every
    /// [`SWEEP_EVERY`] attempts, so the maps stay as large as the recent attempts.
    fn sweep_now_and_then(&self) {
        if self.attempts.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        for buckets in [&self.login_per_email, &self.register_per_email]
            .into_iter()
            .flatten()
        {
            buckets.retain_recent();
            buckets.shrink_to_fit();
        }
        for buckets in [&self.login_per_ip, &self.register_per_ip]
            .into_iter()
            .flatten()
        {
            buckets.retain_recent();
            buckets.shrink_to_fit();
        }
    }
}

fn take<K: std::hash::Hash + Eq + Clone>(
    buckets: &DefaultKeyedRateLimiter<K>,
    key: &K,
    by: &'static str,
) -> Result<(), RateLimited> {
    buckets.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        RateLimited {
            retry_after_seconds: wait.as_secs_f64().ceil().max(1.0) as u64,
            by,
        }
    })
}

/// The extension refusing operations that select more than [`MAX_CREDENTIAL_FIELDS`] of
/// [`CREDENTIAL_FIELDS`] (aliases, fragments and inline fragments included).
pub struct CredentialFieldLimit;

impl ExtensionFactory for CredentialFieldLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CredentialFieldLimit)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CredentialFieldLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        for (_, operation) in document.operations.iter() {
            if operation.node.ty != OperationType::Mutation {
                continue;
            }
            let count = root_field_count(&document, &operation.node, &CREDENTIAL_FIELDS);
            if count > MAX_CREDENTIAL_FIELDS {
                return Err(ErrorCode::TooManyCredentialFields.server_error(format!(
                    "an operation may sign in or register at most {MAX_CREDENTIAL_FIELDS} time; \
                     this one asks {count} times"
                )));
            }
        }
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(text: &str) -> Option<ClientAddress> {
        Some(ClientAddress(text.parse().unwrap()))
    }

    #[test]
    fn each_bucket_refuses_once_empty_and_says_how_long_to_wait() {
        let limits = CredentialLimits {
            login_per_email: "2/min".parse().unwrap(),
            login_per_ip: "3/h".parse().unwrap(),
            ..CredentialLimits::off()
        };
        let guard = CredentialGuard::new(&limits);
        let a = client("192.0.2.1");
        assert_eq!(guard.admit(Attempt::Login, "x@example.com", a), Ok(()));
        assert_eq!(guard.admit(Attempt::Login, " X@Example.com", a), Ok(()));
        let refused = guard
            .admit(Attempt::Login, "x@example.com", client("192.0.2.2"))
            .unwrap_err();
        assert_eq!(refused.by, "this email");
        assert!(
            (1..=30).contains(&refused.retry_after_seconds),
            "{refused:?}"
        );
        assert_eq!(guard.admit(Attempt::Login, "y@example.com", a), Ok(()));
        let refused = guard.admit(Attempt::Login, "z@example.com", a).unwrap_err();
        assert_eq!(refused.by, "this address");
        assert!(refused.retry_after_seconds > 600, "{refused:?}");
        // Registration has its own (here: no) limits.
        for _ in 0..10 {
            assert_eq!(guard.admit(Attempt::Register, "x@example.com", a), Ok(()));
        }
    }
}
