//! Typed configuration of one subgraph service. Values come from built-in defaults, then from an optional
//! TOML file named by `CONFIG_FILE`, then from environment variables (`LISTEN_ADDR`, `DATABASE_URL`,
//! `JWT_SECRET`, `JWT_TTL_SECONDS`, `LOG_FORMAT`, `REDIS_URL`); later sources win. Unknown keys in the file are errors.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The signing secret used when none is configured. Services log a loud warning while it is in use.
pub const DEVELOPMENT_JWT_SECRET: &str = "shopgraph-development-secret-change-me-in-production";

/// Configuration of one subgraph service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Service name, used for the default database file and in logs.
    pub service: String,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://path/to/file.db` (the default, under `data/`) or `postgres://…`.
    pub database_url: String,
    pub jwt: JwtConfig,
    /// `text` (default) or `json` log lines.
    pub log_format: LogFormat,
    /// `redis://…` of the Redis that carries domain events; `None` (the default) when not configured.
    pub redis_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// HMAC secret shared by every service that signs or verifies tokens.
    pub secret: String,
    /// Lifetime of issued tokens.
    pub ttl_seconds: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The file layer: every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    jwt: Option<FileJwtConfig>,
    log_format: Option<LogFormat>,
    redis_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJwtConfig {
    secret: Option<String>,
    ttl_seconds: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
}

impl Config {
    /// Built-in defaults for `service` listening on `127.0.0.1:port`, with a SQLite file under `data/`.
    pub fn defaults(service: &str, port: u16) -> Config {
        Config {
            service: service.to_owned(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            database_url: format!("sqlite://data/{service}.db"),
            jwt: JwtConfig {
                secret: DEVELOPMENT_JWT_SECRET.to_owned(),
                ttl_seconds: 24 * 3600,
            },
            log_format: LogFormat::Text,
            redis_url: None,
        }
    }

    /// Defaults, then the file named by `CONFIG_FILE`, then the environment.
    pub fn load(service: &str, default_port: u16) -> Result<Config, ConfigError> {
        let mut config = Config::defaults(service, default_port);
        if let Some(path) = std::env::var_os("CONFIG_FILE") {
            config.apply_file(Path::new(&path))?;
        }
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Overlays the keys present in a TOML file.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.apply_toml(&text)
            .map_err(|message| ConfigError::Parse {
                path: path.to_owned(),
                message,
            })
    }

    fn apply_toml(&mut self, text: &str) -> Result<(), String> {
        let file: FileConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(listen) = file.listen {
            self.listen = listen;
        }
        if let Some(url) = file.database_url {
            self.database_url = url;
        }
        if let Some(jwt) = file.jwt {
            if let Some(secret) = jwt.secret {
                self.jwt.secret = secret;
            }
            if let Some(ttl) = jwt.ttl_seconds {
                self.jwt.ttl_seconds = ttl;
            }
        }
        if let Some(format) = file.log_format {
            self.log_format = format;
        }
        if let Some(url) = file.redis_url {
            self.redis_url = non_empty(url);
        }
        Ok(())
    }

    /// Overlays environment variables, read through `var` so tests need not touch the process environment.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(listen) = var("LISTEN_ADDR") {
            self.listen = listen.parse().map_err(|e| ConfigError::Env {
                name: "LISTEN_ADDR",
                message: format!("{e} (expected host:port, for example 0.0.0.0:4001)"),
            })?;
        }
        if let Some(url) = var("DATABASE_URL") {
            self.database_url = url;
        }
        if let Some(secret) = var("JWT_SECRET") {
            self.jwt.secret = secret;
        }
        if let Some(ttl) = var("JWT_TTL_SECONDS") {
            self.jwt.ttl_seconds = ttl.parse().map_err(|e| ConfigError::Env {
                name: "JWT_TTL_SECONDS",
                message: format!("{e}"),
            })?;
        }
        if let Some(url) = var("REDIS_URL") {
            self.redis_url = non_empty(url);
        }
        if let Some(format) = var("LOG_FORMAT") {
            self.log_format = match format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::Env {
                        name: "LOG_FORMAT",
                        message: format!("`{other}` (expected `text` or `json`)"),
                    });
                }
            };
        }
        Ok(())
    }

    /// Whether tokens are signed with the public development secret.
    pub fn uses_development_secret(&self) -> bool {
        self.jwt.secret == DEVELOPMENT_JWT_SECRET
    }

    /// Logs a loud warning when the development signing secret is in use.
    pub fn warn_if_insecure(&self) {
        if self.uses_development_secret() {
            tracing::warn!(
                service = %self.service,
                "!!! JWT_SECRET is not set: tokens are signed with the PUBLIC DEVELOPMENT SECRET. \
                 Anyone can forge a token. Set JWT_SECRET before exposing this service. !!!"
            );
        }
    }
}

/// `value`, or `None` when it is empty (an empty `REDIS_URL=` switches Redis off).
fn non_empty(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let mut config = Config::defaults("users", 4001);
        config
            .apply_toml("database_url = \"postgres://db/users\"\n[jwt]\nttl_seconds = 60\n")
            .unwrap();
        config
            .apply_env(|name| (name == "JWT_SECRET").then(|| "s3cret".to_owned()))
            .unwrap();
        assert_eq!(config.database_url, "postgres://db/users");
        assert_eq!(config.jwt.ttl_seconds, 60);
        assert_eq!(config.jwt.secret, "s3cret");
        assert_eq!(config.listen.port(), 4001);
        assert!(!config.uses_development_secret());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let mut config = Config::defaults("users", 4001);
        let err = config.apply_toml("databse_url = \"x\"\n").unwrap_err();
        assert!(err.contains("databse_url"), "{err}");
        assert!(err.contains("line 1"), "{err}");
        let err = config
            .apply_env(|name| (name == "LISTEN_ADDR").then(|| "nonsense".to_owned()))
            .unwrap_err();
        assert!(err.to_string().contains("LISTEN_ADDR"), "{err}");
    }

    #[test]
    fn redis_url_comes_from_file_or_environment_and_empty_means_none() {
        let mut config = Config::defaults("users", 4001);
        assert_eq!(config.redis_url, None);
        config
            .apply_toml("redis_url = \"redis://cache:6379/0\"\n")
            .unwrap();
        assert_eq!(config.redis_url.as_deref(), Some("redis://cache:6379/0"));
        config
            .apply_env(|name| (name == "REDIS_URL").then(|| "redis://127.0.0.1:6379".to_owned()))
            .unwrap();
        assert_eq!(config.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
        config
            .apply_env(|name| (name == "REDIS_URL").then(String::new))
            .unwrap();
        assert_eq!(config.redis_url, None);
    }
}
