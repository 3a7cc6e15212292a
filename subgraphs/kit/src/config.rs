//! Typed configuration of one subgraph service. Values come from built-in defaults, then from an optional
//! TOML file named by `CONFIG_FILE`, then from environment variables (`LISTEN_ADDR`, `DATABASE_URL`,
//! `JWT_SECRET`, `JWT_TTL_SECONDS`, `LOG_FORMAT`, `REDIS_URL`, `SHOPGRAPH_ENV`, `ROUTER_SECRET`,
//! `TRUST_FORWARDED_FOR`, `MAX_BODY_BYTES`, `MAX_QUERY_DEPTH`, `MAX_QUERY_COMPLEXITY`, and the credential
//! rate limits `LOGIN_LIMIT_PER_EMAIL`, `LOGIN_LIMIT_PER_IP`, `REGISTER_LIMIT_PER_EMAIL`,
//! `REGISTER_LIMIT_PER_IP`); later sources win. Unknown keys in the file are errors. Outside development
//! a loaded configuration must carry real secrets (`Config::check_secrets`).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::limits::{CredentialLimits, RateLimit, RequestLimits};

/// The signing secret used when none is configured. Only a service in development mode starts with it
/// (logging a loud warning); elsewhere it is refused like any secret shorter than [`MIN_SECRET_BYTES`].
pub const DEVELOPMENT_JWT_SECRET: &str = "shopgraph-development-secret-change-me-in-production";

/// The shortest JWT or router secret a service accepts outside development.
pub const MIN_SECRET_BYTES: usize = 32;

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
    /// `production` (the default) or `development` (`SHOPGRAPH_ENV`): only development accepts weak
    /// secrets.
    pub environment: Environment,
    /// When set (`ROUTER_SECRET`), `/graphql` answers only requests carrying it in the
    /// `shopgraph-router-secret` header, which the router (and orders, calling carts and products) sends.
    /// `/health` and `/ready` stay open.
    pub router_secret: Option<String>,
    /// Take the client address from the last `X-Forwarded-For` entry even without the router secret
    /// (`TRUST_FORWARDED_FOR`; only when network policy lets nothing but the router reach the service).
    /// With a router secret, requests that carry it are trusted for this anyway. A trusted caller that
    /// forwards no address leaves the client unknown (per-address limits then do not apply), rather
    /// than counting every client as the router.
    pub trust_forwarded_for: bool,
    /// Body size, depth and complexity limits of `/graphql`.
    pub limits: RequestLimits,
    /// Rates of `login` and `register` attempts (used by the users subgraph).
    pub credential_limits: CredentialLimits,
}

/// Which rules a service runs under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Real secrets are required.
    #[default]
    Production,
    /// The public development secret (and short ones) are accepted, with a warning.
    Development,
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
    environment: Option<Environment>,
    router_secret: Option<String>,
    trust_forwarded_for: Option<bool>,
    limits: Option<RequestLimits>,
    credential_limits: Option<CredentialLimits>,
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
    #[error(
        "refusing to start: {name} {problem}. Set {name} to a random string of at least {MIN_SECRET_BYTES} \
         bytes (for example `openssl rand -base64 48`), or SHOPGRAPH_ENV=development on a developer's machine"
    )]
    WeakSecret {
        name: &'static str,
        problem: &'static str,
    },
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
            environment: Environment::Production,
            router_secret: None,
            trust_forwarded_for: false,
            limits: RequestLimits::default(),
            credential_limits: CredentialLimits::default(),
        }
    }

    /// Defaults, then the file named by `CONFIG_FILE`, then the environment; refused when its secrets are
    /// weak outside development.
    pub fn load(service: &str, default_port: u16) -> Result<Config, ConfigError> {
        Config::load_from(service, default_port, |name| std::env::var(name).ok())
    }

    /// [`Config::load`] with the environment read through `var`.
    pub fn load_from(
        service: &str,
        default_port: u16,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::defaults(service, default_port);
        if let Some(path) = var("CONFIG_FILE") {
            config.apply_file(Path::new(&path))?;
        }
        config.apply_env(var)?;
        config.check_secrets()?;
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
        if let Some(environment) = file.environment {
            self.environment = environment;
        }
        if let Some(secret) = file.router_secret {
            self.router_secret = non_empty(secret);
        }
        if let Some(trust) = file.trust_forwarded_for {
            self.trust_forwarded_for = trust;
        }
        if let Some(limits) = file.limits {
            self.limits = limits;
        }
        if let Some(limits) = file.credential_limits {
            self.credential_limits = limits;
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
        if let Some(environment) = var("SHOPGRAPH_ENV") {
            self.environment = match environment.trim() {
                "production" => Environment::Production,
                "development" => Environment::Development,
                other => {
                    return Err(ConfigError::Env {
                        name: "SHOPGRAPH_ENV",
                        message: format!("`{other}` (expected `production` or `development`)"),
                    });
                }
            };
        }
        if let Some(secret) = var("ROUTER_SECRET") {
            self.router_secret = non_empty(secret);
        }
        if let Some(trust) = var("TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parse_env("TRUST_FORWARDED_FOR", &trust)?;
        }
        let limits = &mut self.limits;
        for (name, slot) in [
            ("MAX_BODY_BYTES", &mut limits.max_body_bytes),
            ("MAX_QUERY_DEPTH", &mut limits.max_depth),
            ("MAX_QUERY_COMPLEXITY", &mut limits.max_complexity),
        ] {
            if let Some(value) = var(name) {
                *slot = parse_env(name, &value)?;
            }
        }
        let credentials = &mut self.credential_limits;
        for (name, slot) in [
            ("LOGIN_LIMIT_PER_EMAIL", &mut credentials.login_per_email),
            ("LOGIN_LIMIT_PER_IP", &mut credentials.login_per_ip),
            (
                "REGISTER_LIMIT_PER_EMAIL",
                &mut credentials.register_per_email,
            ),
            ("REGISTER_LIMIT_PER_IP", &mut credentials.register_per_ip),
        ] {
            if let Some(value) = var(name) {
                *slot = parse_env::<RateLimit>(name, &value)?;
            }
        }
        Ok(())
    }

    /// Outside development: refuses an empty JWT secret, the public development one, one shorter than
    /// [`MIN_SECRET_BYTES`], and a router secret shorter than that.
    pub fn check_secrets(&self) -> Result<(), ConfigError> {
        if self.environment == Environment::Development {
            return Ok(());
        }
        let weak = |name, problem| Err(ConfigError::WeakSecret { name, problem });
        if self.jwt.secret.is_empty() {
            return weak("JWT_SECRET", "is empty");
        }
        if self.uses_development_secret() {
            return weak(
                "JWT_SECRET",
                "is not set (the public development secret is in use)",
            );
        }
        if self.jwt.secret.len() < MIN_SECRET_BYTES {
            return weak("JWT_SECRET", "is too short");
        }
        if self
            .router_secret
            .as_ref()
            .is_some_and(|secret| secret.len() < MIN_SECRET_BYTES)
        {
            return weak("ROUTER_SECRET", "is too short");
        }
        Ok(())
    }

    /// Whether tokens are signed with the public development secret.
    pub fn uses_development_secret(&self) -> bool {
        self.jwt.secret == DEVELOPMENT_JWT_SECRET
    }

    /// Logs a loud warning when the development signing secret is in use, and a note when `/graphql`
    /// answers whoever reaches it.
    pub fn warn_if_insecure(&self) {
        if self.uses_development_secret() {
            tracing::warn!(
                service = %self.service,
                "!!! JWT_SECRET is not set: tokens are signed with the PUBLIC DEVELOPMENT SECRET. \
                 Anyone can forge a token. Set JWT_SECRET before exposing this service. !!!"
            );
        }
        if self.router_secret.is_none() && self.environment == Environment::Production {
            tracing::warn!(
                service = %self.service,
                "ROUTER_SECRET is not set: /graphql answers anyone who can reach this service; \
                 set it (and the router's) or let network policy admit only the router"
            );
        }
    }
}

/// `value` of environment variable `name`, or an error naming it.
fn parse_env<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e| ConfigError::Env {
        name,
        message: format!("{e}"),
    })
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

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    const STRONG: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn weak_secrets_are_refused_outside_development() {
        for (secret, problem) in [
            (None, "not set"),
            (Some(""), "empty"),
            (Some(DEVELOPMENT_JWT_SECRET), "not set"),
            (Some("31-bytes-are-one-byte-too-few.."), "too short"),
        ] {
            let mut vars = vec![("SHOPGRAPH_ENV", "production")];
            if let Some(secret) = secret {
                vars.push(("JWT_SECRET", secret));
            }
            let err = Config::load_from("users", 4001, env(&vars)).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(
                    err,
                    ConfigError::WeakSecret {
                        name: "JWT_SECRET",
                        ..
                    }
                ),
                "{message}"
            );
            assert!(message.contains(problem), "{secret:?}: {message}");
            assert!(message.contains("SHOPGRAPH_ENV=development"), "{message}");
            // The default environment is production.
            let without_env: Vec<_> = vars[1..].to_vec();
            assert!(Config::load_from("users", 4001, env(&without_env)).is_err());
            // Development accepts it.
            vars[0].1 = "development";
            let config = Config::load_from("users", 4001, env(&vars)).unwrap();
            assert_eq!(config.environment, Environment::Development);
        }
        let config = Config::load_from("users", 4001, env(&[("JWT_SECRET", STRONG)])).unwrap();
        assert_eq!(config.environment, Environment::Production);
        let err = Config::load_from(
            "users",
            4001,
            env(&[("JWT_SECRET", STRONG), ("ROUTER_SECRET", "short")]),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::WeakSecret {
                    name: "ROUTER_SECRET",
                    ..
                }
            ),
            "{err}"
        );
        let err = Config::load_from("users", 4001, env(&[("SHOPGRAPH_ENV", "prod")])).unwrap_err();
        assert!(err.to_string().contains("SHOPGRAPH_ENV"), "{err}");
    }

    #[test]
    fn limits_and_trust_come_from_file_or_environment() {
        let mut config = Config::defaults("users", 4001);
        assert_eq!(config.limits, RequestLimits::default());
        assert_eq!(config.credential_limits, CredentialLimits::default());
        assert_eq!(config.router_secret, None);
        config
            .apply_toml(
                "router_secret = \"from-file\"\ntrust_forwarded_for = true\n\
                 [limits]\nmax_depth = 9\n[credential_limits]\nlogin_per_ip = \"off\"\n",
            )
            .unwrap();
        assert_eq!(config.router_secret.as_deref(), Some("from-file"));
        assert!(config.trust_forwarded_for);
        assert_eq!(config.limits.max_depth, 9);
        assert_eq!(
            config.limits.max_complexity,
            RequestLimits::default().max_complexity
        );
        assert_eq!(config.credential_limits.login_per_ip, RateLimit::Off);
        config
            .apply_env(env(&[
                ("ROUTER_SECRET", ""),
                ("MAX_QUERY_COMPLEXITY", "50"),
                ("LOGIN_LIMIT_PER_EMAIL", "3/h"),
                ("TRUST_FORWARDED_FOR", "false"),
            ]))
            .unwrap();
        assert_eq!(config.router_secret, None, "empty switches it off");
        assert_eq!(config.limits.max_complexity, 50);
        assert_eq!(config.credential_limits.login_per_email.to_string(), "3/h");
        assert!(!config.trust_forwarded_for);
        for (name, value) in [
            ("MAX_BODY_BYTES", "lots"),
            ("REGISTER_LIMIT_PER_IP", "ten a minute"),
        ] {
            let err = config.apply_env(env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
        let err = config
            .apply_toml("[credential_limits]\nlogin_per_ip = \"lots\"\n")
            .unwrap_err();
        assert!(err.contains("expected"), "{err}");
    }
}
