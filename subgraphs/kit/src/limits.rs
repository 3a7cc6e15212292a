//! The limits a subgraph holds its callers to, as configured: the size of a request body, the depth and
//! complexity of an operation (`RequestLimits`), and the rates at which one client address or one email
//! may try to sign in or register (`CredentialLimits`, spelt `"5/min"`, `"30/h"` or `"off"`).

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// How large and how deep an operation a subgraph accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestLimits {
    /// Largest `POST /graphql` body, in bytes (`MAX_BODY_BYTES`); larger ones get 413 `PAYLOAD_TOO_LARGE`.
    pub max_body_bytes: usize,
    /// Deepest field nesting (`MAX_QUERY_DEPTH`), as async-graphql counts it; deeper operations get
    /// `QUERY_TOO_DEEP`. The introspection query GraphiQL sends is 15 to 17 deep.
    pub max_depth: usize,
    /// Highest async-graphql complexity (`MAX_QUERY_COMPLEXITY`): one per field after fragments are
    /// expanded, more for list fields that declare a cost; higher gets `QUERY_TOO_COMPLEX`. The same bound
    /// applies to the number of fields once fragments are expanded, counted before validation runs.
    pub max_complexity: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_body_bytes: 2 * 1024 * 1024,
            max_depth: 20,
            max_complexity: 2_000,
        }
    }
}

/// How often a client may attempt `login` and `register` (enforced by the users subgraph). A client
/// address is the caller's IP (an IPv6 address counts by its /64 network); an email is counted after
/// trimming and lower-casing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CredentialLimits {
    /// `LOGIN_LIMIT_PER_EMAIL`: attempts to sign in to one account, from anywhere.
    pub login_per_email: RateLimit,
    /// `LOGIN_LIMIT_PER_IP`: sign-in attempts from one client address, whatever the account.
    pub login_per_ip: RateLimit,
    /// `REGISTER_LIMIT_PER_EMAIL`: registrations with one email.
    pub register_per_email: RateLimit,
    /// `REGISTER_LIMIT_PER_IP`: registrations from one client address.
    pub register_per_ip: RateLimit,
}

impl Default for CredentialLimits {
    fn default() -> Self {
        let per_minute = |count| RateLimit::per(count, Duration::from_secs(60));
        CredentialLimits {
            login_per_email: per_minute(5),
            login_per_ip: per_minute(30),
            register_per_email: per_minute(5),
            register_per_ip: per_minute(10),
        }
    }
}

impl CredentialLimits {
    /// No limit at all (tests that sign in hundreds of customers from one address).
    pub fn off() -> CredentialLimits {
        CredentialLimits {
            login_per_email: RateLimit::Off,
            login_per_ip: RateLimit::Off,
            register_per_email: RateLimit::Off,
            register_per_ip: RateLimit::Off,
        }
    }
}

/// A token bucket: `count` attempts at once, refilled evenly over `period` (`"10/min"`: ten at once,
/// then one every six seconds), or no limit (`"off"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    Off,
    Every { count: NonZeroU32, period: Duration },
}

impl RateLimit {
    /// `count` per `period`; `Off` when `count` is zero.
    pub fn per(count: u32, period: Duration) -> RateLimit {
        match NonZeroU32::new(count) {
            Some(count) if !period.is_zero() => RateLimit::Every { count, period },
            _ => RateLimit::Off,
        }
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<RateLimit, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(RateLimit::Off);
        }
        let expected =
            || format!("`{text}` (expected <count>/<s|min|h>, for example 5/min, or off)");
        let (count, unit) = text.split_once('/').ok_or_else(expected)?;
        let count: u32 = count.trim().parse().map_err(|_| expected())?;
        let period = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(expected()),
        };
        NonZeroU32::new(count)
            .map(|count| RateLimit::Every { count, period })
            .ok_or_else(|| format!("`{text}`: the count must be positive (say `off` for no limit)"))
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimit::Off => f.write_str("off"),
            RateLimit::Every { count, period } => match period.as_secs() {
                1 => write!(f, "{count}/s"),
                60 => write!(f, "{count}/min"),
                3600 => write!(f, "{count}/h"),
                secs => write!(f, "{count} per {secs} s"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for RateLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_parse_and_print() {
        let every = |count, secs| RateLimit::Every {
            count: NonZeroU32::new(count).unwrap(),
            period: Duration::from_secs(secs),
        };
        assert_eq!("5/min".parse(), Ok(every(5, 60)));
        assert_eq!(" 30 / h ".parse(), Ok(every(30, 3600)));
        assert_eq!("2/s".parse(), Ok(every(2, 1)));
        assert_eq!("OFF".parse(), Ok(RateLimit::Off));
        for bad in ["", "5", "five/min", "5/day", "-1/min"] {
            let err = bad.parse::<RateLimit>().unwrap_err();
            assert!(err.contains("expected"), "{bad}: {err}");
        }
        assert!("0/min".parse::<RateLimit>().unwrap_err().contains("off"));
        assert_eq!(every(10, 60).to_string(), "10/min");
        assert_eq!(RateLimit::per(0, Duration::from_secs(1)), RateLimit::Off);
    }
}
