//! The orders service's configuration: the kit's [`Config`] (listen address, database, JWT, Redis…) plus
//! what only orders needs — where the carts and products subgraphs answer (for the checkout snapshot),
//! how long to wait for them, and the payment provider settings. The orders part comes from defaults,
//! then an optional TOML file named by `ORDERS_CONFIG_FILE` (unknown keys are errors), then the
//! environment: `CARTS_URL`, `PRODUCTS_URL`, `UPSTREAM_TIMEOUT_MS`, `PAYMENT_PROVIDER`,
//! `PAYMENT_TIMEOUT_MS`.
//!
//! ```toml
//! carts_url = "http://127.0.0.1:4003/graphql"
//! products_url = "http://127.0.0.1:4002/graphql"
//! upstream_timeout_ms = 5000
//!
//! [payment]
//! provider = "simulated"
//! timeout_ms = 5000
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use shopgraph_kit::{Config, ConfigError};

/// Where carts answers unless configured otherwise.
pub const DEFAULT_CARTS_URL: &str = "http://127.0.0.1:4003/graphql";
/// Where products answers unless configured otherwise.
pub const DEFAULT_PRODUCTS_URL: &str = "http://127.0.0.1:4002/graphql";
const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_PAYMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Configuration of the orders service.
#[derive(Debug, Clone)]
pub struct OrdersConfig {
    /// What every subgraph service is configured with.
    pub service: Config,
    /// GraphQL endpoint of the carts subgraph (`CARTS_URL`).
    pub carts_url: String,
    /// GraphQL endpoint of the products subgraph (`PRODUCTS_URL`).
    pub products_url: String,
    /// Longest wait for an answer from carts or products at checkout (`UPSTREAM_TIMEOUT_MS`).
    pub upstream_timeout: Duration,
    pub payment: PaymentConfig,
}

/// How orders takes payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentConfig {
    /// `PAYMENT_PROVIDER`.
    pub provider: PaymentProviderKind,
    /// Longest wait for the provider to answer a charge; a slower charge fails the order with
    /// "payment timed out" (`PAYMENT_TIMEOUT_MS`).
    pub timeout: Duration,
}

/// The payment providers orders can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentProviderKind {
    /// The built-in simulated provider (test tokens; see `payment::simulated`).
    Simulated,
}

/// The file layer: every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    carts_url: Option<String>,
    products_url: Option<String>,
    upstream_timeout_ms: Option<u64>,
    payment: Option<FilePaymentConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePaymentConfig {
    provider: Option<PaymentProviderKind>,
    timeout_ms: Option<u64>,
}

/// Why the orders configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OrdersConfigError {
    #[error(transparent)]
    Service(#[from] ConfigError),
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {name}: {message}")]
    Invalid { name: &'static str, message: String },
}

impl OrdersConfig {
    /// Built-in defaults around `service`.
    pub fn defaults(service: Config) -> OrdersConfig {
        OrdersConfig {
            service,
            carts_url: DEFAULT_CARTS_URL.to_owned(),
            products_url: DEFAULT_PRODUCTS_URL.to_owned(),
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
            payment: PaymentConfig {
                provider: PaymentProviderKind::Simulated,
                timeout: DEFAULT_PAYMENT_TIMEOUT,
            },
        }
    }

    /// The kit configuration (`Config::load`), then the orders part: defaults, the file named by
    /// `ORDERS_CONFIG_FILE`, the environment.
    pub fn load(service: &str, default_port: u16) -> Result<OrdersConfig, OrdersConfigError> {
        let mut config = OrdersConfig::defaults(Config::load(service, default_port)?);
        if let Some(path) = std::env::var_os("ORDERS_CONFIG_FILE") {
            config.apply_file(Path::new(&path))?;
        }
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Overlays the keys present in a TOML file.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), OrdersConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| OrdersConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.apply_toml(&text)
            .map_err(|message| OrdersConfigError::Parse {
                path: path.to_owned(),
                message,
            })
    }

    fn apply_toml(&mut self, text: &str) -> Result<(), String> {
        let file: FileConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(url) = file.carts_url {
            self.carts_url = checked_url("carts_url", &url).map_err(|e| e.to_string())?;
        }
        if let Some(url) = file.products_url {
            self.products_url = checked_url("products_url", &url).map_err(|e| e.to_string())?;
        }
        if let Some(ms) = file.upstream_timeout_ms {
            self.upstream_timeout =
                positive_ms("upstream_timeout_ms", ms).map_err(|e| e.to_string())?;
        }
        if let Some(payment) = file.payment {
            if let Some(provider) = payment.provider {
                self.payment.provider = provider;
            }
            if let Some(ms) = payment.timeout_ms {
                self.payment.timeout =
                    positive_ms("payment.timeout_ms", ms).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Overlays environment variables, read through `var` so tests need not touch the process
    /// environment.
    pub fn apply_env(
        &mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(), OrdersConfigError> {
        if let Some(url) = var("CARTS_URL") {
            self.carts_url = checked_url("CARTS_URL", &url)?;
        }
        if let Some(url) = var("PRODUCTS_URL") {
            self.products_url = checked_url("PRODUCTS_URL", &url)?;
        }
        if let Some(ms) = var("UPSTREAM_TIMEOUT_MS") {
            self.upstream_timeout =
                positive_ms("UPSTREAM_TIMEOUT_MS", parse_ms("UPSTREAM_TIMEOUT_MS", &ms)?)?;
        }
        if let Some(provider) = var("PAYMENT_PROVIDER") {
            self.payment.provider = match provider.trim() {
                "simulated" => PaymentProviderKind::Simulated,
                other => {
                    return Err(OrdersConfigError::Invalid {
                        name: "PAYMENT_PROVIDER",
                        message: format!("`{other}` (the only provider is `simulated`)"),
                    });
                }
            };
        }
        if let Some(ms) = var("PAYMENT_TIMEOUT_MS") {
            self.payment.timeout =
                positive_ms("PAYMENT_TIMEOUT_MS", parse_ms("PAYMENT_TIMEOUT_MS", &ms)?)?;
        }
        Ok(())
    }
}

/// `url` trimmed, if it is an absolute `http://` or `https://` URL.
fn checked_url(name: &'static str, url: &str) -> Result<String, OrdersConfigError> {
    let url = url.trim();
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
            Ok(url.to_owned())
        }
        Ok(_) => Err(OrdersConfigError::Invalid {
            name,
            message: format!("`{url}` is not an http(s) URL"),
        }),
        Err(err) => Err(OrdersConfigError::Invalid {
            name,
            message: format!("`{url}`: {err}"),
        }),
    }
}

fn parse_ms(name: &'static str, text: &str) -> Result<u64, OrdersConfigError> {
    text.trim().parse().map_err(|e| OrdersConfigError::Invalid {
        name,
        message: format!("`{text}`: {e} (expected milliseconds)"),
    })
}

fn positive_ms(name: &'static str, ms: u64) -> Result<Duration, OrdersConfigError> {
    if ms == 0 {
        return Err(OrdersConfigError::Invalid {
            name,
            message: "must be at least 1 millisecond".to_owned(),
        });
    }
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn defaults() -> OrdersConfig {
        OrdersConfig::defaults(Config::defaults("orders", 4004))
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let mut config = defaults();
        assert_eq!(config.carts_url, DEFAULT_CARTS_URL);
        assert_eq!(config.products_url, DEFAULT_PRODUCTS_URL);
        config
            .apply_toml(
                r#"
                carts_url = "http://carts:4003/graphql"
                upstream_timeout_ms = 250
                [payment]
                provider = "simulated"
                timeout_ms = 1500
                "#,
            )
            .unwrap();
        assert_eq!(config.carts_url, "http://carts:4003/graphql");
        assert_eq!(config.products_url, DEFAULT_PRODUCTS_URL);
        assert_eq!(config.upstream_timeout, Duration::from_millis(250));
        assert_eq!(config.payment.timeout, Duration::from_millis(1500));
        let env = HashMap::from([
            ("PRODUCTS_URL", " https://products.internal/graphql "),
            ("PAYMENT_TIMEOUT_MS", "40"),
        ]);
        config
            .apply_env(|name| env.get(name).map(|v| (*v).to_owned()))
            .unwrap();
        assert_eq!(config.products_url, "https://products.internal/graphql");
        assert_eq!(config.payment.timeout, Duration::from_millis(40));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let mut config = defaults();
        assert!(config.apply_toml("cart_url = \"http://x\"").is_err());
        assert!(config.apply_toml("[payment]\nretries = 3").is_err());
        assert!(
            config
                .apply_toml("[payment]\nprovider = \"stripe\"")
                .is_err()
        );
        assert!(config.apply_toml("upstream_timeout_ms = 0").is_err());
        for (name, value) in [
            ("CARTS_URL", "carts:4003"),
            ("PRODUCTS_URL", "ftp://products/graphql"),
            ("PAYMENT_PROVIDER", "stripe"),
            ("PAYMENT_TIMEOUT_MS", "soon"),
            ("UPSTREAM_TIMEOUT_MS", "0"),
        ] {
            let err = config
                .apply_env(|var| (var == name).then(|| value.to_owned()))
                .unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
