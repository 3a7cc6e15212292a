//! Router configuration: one typed struct read from an optional TOML file (`--config` or
//! `CONFIG_FILE`), then overridden by environment variables (`LISTEN_ADDR`, `SUPERGRAPH_PATH`,
//! `SUBGRAPH_<NAME>_URL`, `LOG_FORMAT`). Unknown keys are errors.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterConfig {
    /// Address the router listens on.
    pub listen: SocketAddr,
    /// Path of the supergraph SDL.
    pub supergraph: PathBuf,
    /// Per-subgraph settings, by subgraph name.
    pub subgraphs: BTreeMap<String, SubgraphConfig>,
    /// Timeout of one subgraph request unless a subgraph sets its own.
    pub subgraph_timeout_ms: u64,
    /// Client request headers forwarded to every subgraph (lower-case names). A request without a
    /// `traceparent` gets a new one when `traceparent` is in this list, so every subgraph request (and
    /// every domain event it causes) carries a trace context.
    pub propagate_headers: Vec<String>,
    /// Whether clients may introspect the API schema.
    pub introspection: bool,
    /// Whether a client may ask for the query plan with the `shopgraph-query-plan: include` header.
    pub expose_query_plan: bool,
    /// Largest request body accepted, in bytes.
    pub max_request_bytes: usize,
    /// Share one subgraph request among identical query fetches in flight at the same time.
    pub deduplicate_requests: bool,
    /// Custom progressive-override labels (`@override(label:)` other than `percent(N)`) to switch on.
    pub override_labels: Vec<String>,
    /// `text` or `json` log lines.
    pub log_format: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubgraphConfig {
    /// Replaces the URL from the supergraph.
    pub url: Option<String>,
    /// Replaces `subgraph_timeout_ms` for this subgraph.
    pub timeout_ms: Option<u64>,
    /// Replaces `deduplicate_requests` for this subgraph.
    pub deduplicate_requests: Option<bool>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 4000)),
            supergraph: PathBuf::from("schema/supergraph.graphql"),
            subgraphs: BTreeMap::new(),
            subgraph_timeout_ms: 30_000,
            propagate_headers: vec![String::from("authorization"), String::from("traceparent")],
            introspection: true,
            expose_query_plan: true,
            max_request_bytes: 2 * 1024 * 1024,
            deduplicate_requests: true,
            override_labels: Vec::new(),
            log_format: String::from("text"),
        }
    }
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
    Env { name: String, message: String },
}

impl RouterConfig {
    /// Defaults, then `file` (or `CONFIG_FILE`), then the environment.
    pub fn load(file: Option<&Path>) -> Result<RouterConfig, ConfigError> {
        let from_env = std::env::var_os("CONFIG_FILE").map(PathBuf::from);
        let mut config = match file.map(Path::to_path_buf).or(from_env) {
            Some(path) => RouterConfig::from_file(&path)?,
            None => RouterConfig::default(),
        };
        config.apply_env(std::env::vars())?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<RouterConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Applies `LISTEN_ADDR`, `SUPERGRAPH_PATH`, `SUBGRAPH_<NAME>_URL` and `LOG_FORMAT`.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (name, value) in vars {
            match name.as_str() {
                "LISTEN_ADDR" => {
                    self.listen = value.parse().map_err(|e| ConfigError::Env {
                        name: name.clone(),
                        message: format!("{e} (expected host:port)"),
                    })?;
                }
                "SUPERGRAPH_PATH" => self.supergraph = PathBuf::from(value),
                "LOG_FORMAT" => self.log_format = value,
                _ => {
                    if let Some(subgraph) = name
                        .strip_prefix("SUBGRAPH_")
                        .and_then(|rest| rest.strip_suffix("_URL"))
                    {
                        self.subgraphs
                            .entry(subgraph.to_ascii_lowercase())
                            .or_default()
                            .url = Some(value);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_environment() {
        let config: RouterConfig = toml::from_str(
            "listen = \"0.0.0.0:8080\"\n[subgraphs.users]\nurl = \"http://u/graphql\"\ntimeout_ms = 5\n",
        )
        .unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.subgraphs["users"].timeout_ms, Some(5));
        let mut config = config;
        config
            .apply_env([("SUBGRAPH_PRODUCTS_URL".to_owned(), "http://p".to_owned())])
            .unwrap();
        assert_eq!(
            config.subgraphs["products"].url.as_deref(),
            Some("http://p")
        );
        let err = toml::from_str::<RouterConfig>("listn = 1").unwrap_err();
        assert!(err.to_string().contains("listn"));
    }
}
