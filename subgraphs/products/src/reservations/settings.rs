//! How long stock reservations last and how often the expiry sweep looks for lapsed ones: defaults, and
//! the `RESERVATION_TTL_SECONDS` environment variable.

use std::time::Duration;

/// Settings of stock reservations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationSettings {
    /// How long a reservation holds its units for an unconfirmed order.
    pub ttl: Duration,
    /// How often the expiry sweep runs.
    pub sweep_interval: Duration,
    /// Reservations the sweep reads per query.
    pub sweep_batch: u64,
}

/// The environment variable holding the reservation lifetime in whole seconds.
pub const TTL_ENV: &str = "RESERVATION_TTL_SECONDS";

/// The reservation lifetime when none is configured: 15 minutes.
pub const DEFAULT_TTL: Duration = Duration::from_secs(900);

/// The longest reservation lifetime accepted: 30 days.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid value for environment variable {name}: `{value}` ({expected})")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl Default for ReservationSettings {
    fn default() -> Self {
        ReservationSettings {
            ttl: DEFAULT_TTL,
            sweep_interval: Duration::from_secs(5),
            sweep_batch: 200,
        }
    }
}

impl ReservationSettings {
    /// The defaults overlaid with the process environment.
    pub fn from_env() -> Result<ReservationSettings, SettingsError> {
        ReservationSettings::from_lookup(|name| std::env::var(name).ok())
    }

    /// The defaults overlaid with variables read through `var` (tests need not touch the environment).
    pub fn from_lookup(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ReservationSettings, SettingsError> {
        let mut settings = ReservationSettings::default();
        if let Some(value) = var(TTL_ENV) {
            let seconds = value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|seconds| (1..=MAX_TTL.as_secs()).contains(seconds))
                .ok_or(SettingsError::Invalid {
                    name: TTL_ENV,
                    value,
                    expected: "a whole number of seconds from 1 to 2592000 (30 days)",
                })?;
            settings.ttl = Duration::from_secs(seconds);
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_defaults_to_fifteen_minutes_and_comes_from_the_environment() {
        assert_eq!(
            ReservationSettings::from_lookup(|_| None).unwrap().ttl,
            Duration::from_secs(900)
        );
        let settings =
            ReservationSettings::from_lookup(|name| (name == TTL_ENV).then(|| " 60 ".to_owned()))
                .unwrap();
        assert_eq!(settings.ttl, Duration::from_secs(60));
        for bad in ["0", "-5", "soon", "", "2592001"] {
            let err =
                ReservationSettings::from_lookup(|name| (name == TTL_ENV).then(|| bad.to_owned()))
                    .unwrap_err();
            assert!(err.to_string().contains(TTL_ENV), "{err}");
        }
    }
}
