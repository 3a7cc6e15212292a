//! Whether a client request may enter the pipeline at all, decided before its document is read:
//! cross-site request forgery prevention, token-bucket rate limits per client IP and per
//! authenticated subject (`governor`), and the concurrency limit that sheds load with 503 instead of
//! queueing without bound.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{CsrfConfig, RateLimitConfig};
use crate::graphql_error::{GraphqlError, codes};

/// The address of the client connection, put into each request by [`crate::server`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// Why a request was not admitted.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub error: GraphqlError,
    /// Seconds after which the client may try again.
    pub retry_after: Option<u64>,
}

/// Bearer tokens longer than this are not decoded for their subject.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Every this many checks, buckets that are full again are forgotten.
const SWEEP_EVERY: u64 = 4096;

struct RateLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_subject: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
}

/// The admission checks, built once from the configuration.
pub struct Admission {
    csrf: Option<Vec<HeaderName>>,
    rate: Option<RateLimits>,
    /// Whether the client address is the first of `X-Forwarded-For` (set by a trusted proxy).
    trust_forwarded_for: bool,
    concurrency: Arc<Semaphore>,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
    Quota::per_second(rate).allow_burst(burst)
}

impl Admission {
    pub fn new(
        csrf: &CsrfConfig,
        rate: &RateLimitConfig,
        max_concurrent_requests: usize,
    ) -> Result<Admission, String> {
        let csrf = if csrf.enabled {
            let headers = csrf
                .required_headers
                .iter()
                .map(|name| {
                    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                        .map_err(|_| name.clone())
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(headers)
        } else {
            None
        };
        let trust_forwarded_for = rate.trust_forwarded_for;
        let rate = rate.enabled.then(|| RateLimits {
            per_ip: RateLimiter::keyed(quota(rate.per_ip_per_second, rate.per_ip_burst)),
            per_subject: RateLimiter::keyed(quota(
                rate.per_subject_per_second,
                rate.per_subject_burst,
            )),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        });
        Ok(Admission {
            csrf,
            trust_forwarded_for,
            rate,
            concurrency: Arc::new(Semaphore::new(max_concurrent_requests.max(1))),
        })
    }

    /// A request that a browser could have sent cross-site without a preflight is refused: it must
    /// have a `Content-Type` other than the three simple ones, or one of the required headers.
    pub fn check_csrf(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let Some(required) = &self.csrf else {
            return Ok(());
        };
        let preflighted = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v.split(';').next().unwrap_or("").trim();
                !essence.is_empty()
                    && ![
                        "application/x-www-form-urlencoded",
                        "multipart/form-data",
                        "text/plain",
                    ]
                    .iter()
                    .any(|simple| essence.eq_ignore_ascii_case(simple))
            })
            .unwrap_or(false);
        if preflighted || required.iter().any(|name| headers.contains_key(name)) {
            return Ok(());
        }
        Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            error: GraphqlError::new(
                format!(
                    "this request could have been sent by a browser from another site: send it with \
                     `Content-Type: application/json` or a `{}` header",
                    required
                        .first()
                        .map_or("shopgraph-preflight", HeaderName::as_str)
                ),
                codes::CSRF_PREVENTED,
            ),
            retry_after: None,
        })
    }

    /// Spends one token from the client's IP bucket and, when the request carries a bearer token,
    /// from its subject's bucket.
    pub fn check_rate(
        &self,
        client: Option<ClientAddr>,
        headers: &HeaderMap,
    ) -> Result<(), Refusal> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        if rate.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            rate.per_ip.retain_recent();
            rate.per_subject.retain_recent();
        }
        let refused = |wait: Duration, what: &str| {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut error = GraphqlError::new(
                format!("too many requests from this {what}; retry in {seconds} s"),
                codes::RATE_LIMITED,
            );
            error
                .extensions
                .insert("retryAfterSeconds".to_owned(), seconds.into());
            Refusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                error,
                retry_after: Some(seconds.max(1)),
            }
        };
        if let Some(ip) = self.client_address(client, headers)
            && let Err(not_until) = rate.per_ip.check_key(&ip)
        {
            return Err(refused(
                not_until.wait_time_from(rate.clock.now()),
                "client address",
            ));
        }
        if let Some(subject) = bearer_subject(headers)
            && let Err(not_until) = rate.per_subject.check_key(&subject)
        {
            return Err(refused(not_until.wait_time_from(rate.clock.now()), "user"));
        }
        Ok(())
    }

    /// The client's address: the first of `X-Forwarded-For` when the proxy in front is trusted,
    /// else the connection's. The rate limits count it, and mutations pass it on to the subgraphs.
    pub fn client_address(
        &self,
        client: Option<ClientAddr>,
        headers: &HeaderMap,
    ) -> Option<IpAddr> {
        let forwarded = if self.trust_forwarded_for {
            forwarded_for(headers)
        } else {
            None
        };
        forwarded.or(client.map(|c| c.0.ip()))
    }

    /// A slot among the requests executed at once, or a refusal when all are taken.
    pub fn enter(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        Arc::clone(&self.concurrency)
            .try_acquire_owned()
            .map_err(|_| Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: GraphqlError::new(
                    "the router is at its limit of concurrent requests; retry shortly",
                    codes::SERVICE_OVERLOADED,
                ),
                retry_after: Some(1),
            })
    }
}

/// The first address of `X-Forwarded-For`.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The `sub` claim of a bearer JWT, read without verifying the token: it only chooses the bucket
/// (a forged subject spends someone's bucket only if it matches, and the IP bucket still applies).
pub fn bearer_subject(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    if value.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let token = std::str::from_utf8(value)
        .ok()?
        .strip_prefix("Bearer ")
        .or_else(|| std::str::from_utf8(value).ok()?.strip_prefix("bearer "))?;
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("sub")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_subject_is_read_from_the_token_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"user-7","exp":1}"#);
        let token = format!("Bearer eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln");
        let map = headers(&[("authorization", &token)]);
        assert_eq!(bearer_subject(&map).as_deref(), Some("user-7"));
        assert_eq!(
            bearer_subject(&headers(&[("authorization", "Bearer x")])),
            None
        );
    }

    #[test]
    fn only_simple_requests_without_a_preflight_header_are_refused() {
        let admission =
            Admission::new(&CsrfConfig::default(), &RateLimitConfig::default(), 1).unwrap();
        assert!(
            admission
                .check_csrf(&headers(&[(
                    "content-type",
                    "application/json; charset=utf-8"
                )]))
                .is_ok()
        );
        assert!(
            admission
                .check_csrf(&headers(&[("content-type", "Text/Plain; charset=utf-8")]))
                .is_err()
        );
        assert!(admission.check_csrf(&headers(&[])).is_err());
        assert!(
            admission
                .check_csrf(&headers(&[
                    ("content-type", "text/plain"),
                    ("shopgraph-preflight", "1")
                ]))
                .is_ok()
        );
    }
}
