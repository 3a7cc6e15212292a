//! Router configuration: one typed struct read from an optional TOML file (`--config` or
//! `CONFIG_FILE`), then overridden by environment variables (`LISTEN_ADDR`, `SUPERGRAPH_PATH`,
//! `SUBGRAPH_<NAME>_URL`, `SUBGRAPH_SECRET`, `LOG_FORMAT`). Unknown keys are errors. Every protection
//! (operation limits, cost, rate limits, traffic shaping, cache sizes, browser safety) is on by default
//! with values that are safe on the internet, and so is live reload of the watched supergraph; the
//! sections below document each key, and `deploy/router.toml` is an example file with every key at its
//! default.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
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
    /// Share one execution among identical query operations in flight at the same time (same
    /// document, operation, variables and forwarded headers). Never applies to mutations.
    pub deduplicate_inbound: bool,
    /// A secret the router sends to every subgraph in `subgraph_secret_header`, so subgraphs can refuse
    /// requests that did not come through the router. Also `SUBGRAPH_SECRET`.
    pub subgraph_secret: Option<String>,
    /// The header that carries `subgraph_secret`.
    pub subgraph_secret_header: String,
    /// Whether errors show subgraph internals (transport error chains, URLs, HTTP statuses) to
    /// clients. Off: clients see which subgraph failed and the error code, the log has the detail.
    pub expose_subgraph_errors: bool,
    pub limits: OperationLimits,
    pub cost: CostConfig,
    pub rate_limit: RateLimitConfig,
    pub traffic: TrafficConfig,
    pub cache: CacheConfig,
    pub csrf: CsrfConfig,
    pub cors: CorsConfig,
    pub reload: ReloadConfig,
}

/// Limits on the client's operation, checked before planning.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperationLimits {
    /// Deepest field nesting (introspection fields are limited by `max_introspection_depth`).
    pub max_depth: usize,
    /// Aliased fields, counted after fragment expansion.
    pub max_aliases: usize,
    /// Fields at the root of the operation, after fragment expansion.
    pub max_root_fields: usize,
    /// Field selections after fragment expansion (and after splitting abstract types).
    pub max_selections: usize,
    /// Directives applied in the operation, counted after fragment expansion.
    pub max_directives: usize,
    /// Tokens the parser reads from one document.
    pub max_tokens: usize,
    /// Nesting of list fields (`types`, `fields`, `args`, `interfaces`, …) below `__schema`/`__type`.
    pub max_introspection_depth: usize,
}

impl Default for OperationLimits {
    fn default() -> Self {
        OperationLimits {
            max_depth: 15,
            max_aliases: 30,
            max_root_fields: 20,
            max_selections: 2_000,
            max_directives: 50,
            max_tokens: 30_000,
            max_introspection_depth: 3,
        }
    }
}

/// Demand control: a static cost estimate of each operation, refused above `max_cost`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    pub enabled: bool,
    /// Highest estimated cost an operation may have.
    pub max_cost: f64,
    /// Size assumed for a list whose size no argument or `@listSize` gives.
    pub default_list_size: u32,
    /// Arguments that give the size of the list a field returns (or of the list fields of the
    /// connection it returns), when the supergraph has no `@listSize` for the field.
    pub slicing_arguments: Vec<String>,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            enabled: true,
            max_cost: 5_000.0,
            default_list_size: 10,
            slicing_arguments: vec![
                String::from("first"),
                String::from("last"),
                String::from("limit"),
            ],
        }
    }
}

/// Token buckets per client IP and per authenticated subject (the JWT `sub`, read without
/// verification: it only picks the bucket).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Requests per second one client IP may send, sustained.
    pub per_ip_per_second: u32,
    /// Requests one client IP may send at once above the sustained rate.
    pub per_ip_burst: u32,
    /// Requests per second one subject may send, sustained.
    pub per_subject_per_second: u32,
    pub per_subject_burst: u32,
    /// Take the client IP from the first `X-Forwarded-For` entry (only behind a proxy that sets it).
    /// The client IP counts for these limits and is sent to the subgraphs with mutations (as
    /// `X-Forwarded-For`) for theirs, such as the users subgraph's sign-in limits.
    pub trust_forwarded_for: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            per_ip_per_second: 100,
            per_ip_burst: 200,
            per_subject_per_second: 50,
            per_subject_burst: 100,
            trust_forwarded_for: false,
        }
    }
}

/// Deadlines, concurrency and size budgets.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficConfig {
    /// Deadline of one whole client request (all its subgraph fetches included).
    pub request_timeout_ms: u64,
    /// Client requests executed at once; more are refused at once with 503 (load shedding).
    pub max_concurrent_requests: usize,
    /// Time a client has to send the request headers.
    pub header_read_timeout_ms: u64,
    /// A connection with no bytes in either direction for this long is closed.
    pub idle_timeout_ms: u64,
    /// Client connections open at once; further connections wait in the listen backlog.
    pub max_connections: usize,
    /// Requests in flight to one subgraph at once (each holds one connection).
    pub max_connections_per_subgraph: usize,
    /// Bytes all subgraph responses of one client request may total, and the largest response.
    pub max_response_bytes: usize,
    /// On shutdown, how long in-flight requests may take to finish before the router exits.
    pub shutdown_grace_ms: u64,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        TrafficConfig {
            request_timeout_ms: 30_000,
            max_concurrent_requests: 1_024,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            max_connections: 10_000,
            max_connections_per_subgraph: 256,
            max_response_bytes: 32 * 1024 * 1024,
            shutdown_grace_ms: 10_000,
        }
    }
}

/// Cache sizes, in bytes (entries are weighed by an estimate of the memory they hold).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Parsed and validated documents.
    pub documents_bytes: u64,
    /// Normalised operations and their plans (one entry per operation, `@skip`/`@include`
    /// combination and override labels).
    pub plans_bytes: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            documents_bytes: 64 * 1024 * 1024,
            plans_bytes: 128 * 1024 * 1024,
        }
    }
}

/// Cross-site request forgery prevention: a request must be JSON (a `Content-Type` a browser cannot
/// send cross-site without a preflight) or carry one of `required_headers`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsrfConfig {
    pub enabled: bool,
    pub required_headers: Vec<String>,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        CsrfConfig {
            enabled: true,
            required_headers: vec![
                String::from("shopgraph-preflight"),
                String::from("apollo-require-preflight"),
                String::from("x-apollo-operation-name"),
            ],
        }
    }
}

/// Cross-origin resource sharing for browsers on other origins. No origins: no CORS headers, so
/// browsers only let same-origin pages read responses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Allowed origins (`https://shop.example`); `"*"` allows any (not with credentials).
    pub origins: Vec<String>,
    pub allow_credentials: bool,
    /// How long browsers may cache a preflight answer.
    pub max_age_secs: u64,
    /// Request headers browsers may send besides the CORS-safelisted ones.
    pub allow_headers: Vec<String>,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            origins: Vec::new(),
            allow_credentials: false,
            max_age_secs: 600,
            allow_headers: vec![
                String::from("content-type"),
                String::from("authorization"),
                String::from("traceparent"),
                String::from("shopgraph-preflight"),
            ],
        }
    }
}

/// Live supergraph reload. A new supergraph is parsed, validated and planned for off the request
/// path, then served by the next requests; requests in flight finish on the one they started with.
/// A supergraph that fails is refused and the one before keeps serving.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReloadConfig {
    /// Watch the `supergraph` file (through its directory, so the symlink swap of a Kubernetes
    /// ConfigMap update is seen too) and serve each new version.
    pub watch: bool,
    /// Quiet time after the last change in the directory before the file is read again.
    pub debounce_ms: u64,
    /// An `http://` URL polled for the supergraph with `If-None-Match` (the served `ETag`). The
    /// file is still read at start-up; what the URL serves replaces it.
    pub poll_url: Option<String>,
    /// Time between two polls of `poll_url`.
    pub poll_interval_ms: u64,
}

impl Default for ReloadConfig {
    fn default() -> Self {
        ReloadConfig {
            watch: true,
            debounce_ms: 250,
            poll_url: None,
            poll_interval_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
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
            expose_query_plan: false,
            max_request_bytes: 2 * 1024 * 1024,
            deduplicate_requests: true,
            override_labels: Vec::new(),
            log_format: String::from("text"),
            deduplicate_inbound: true,
            subgraph_secret: None,
            subgraph_secret_header: String::from("shopgraph-router-secret"),
            expose_subgraph_errors: false,
            limits: OperationLimits::default(),
            cost: CostConfig::default(),
            rate_limit: RateLimitConfig::default(),
            traffic: TrafficConfig::default(),
            cache: CacheConfig::default(),
            csrf: CsrfConfig::default(),
            cors: CorsConfig::default(),
            reload: ReloadConfig::default(),
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

    /// Applies `LISTEN_ADDR`, `SUPERGRAPH_PATH`, `SUBGRAPH_<NAME>_URL`, `SUBGRAPH_SECRET` and
    /// `LOG_FORMAT`.
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
                "SUBGRAPH_SECRET" => {
                    self.subgraph_secret = Some(value).filter(|v| !v.is_empty());
                }
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

    /// `deploy/router.toml` documents every key at its default: it loads with the router's loader
    /// (unknown keys are errors), holds exactly the defaults, and names every key the defaults have.
    #[test]
    fn the_example_config_is_complete_and_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/router.toml");
        let example = RouterConfig::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let defaults = toml::Value::try_from(RouterConfig::default()).unwrap();
        let loaded = toml::Value::try_from(example).unwrap();
        assert_eq!(
            loaded, defaults,
            "deploy/router.toml differs from the defaults"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let written: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(written, defaults, "deploy/router.toml misses a key");
    }
}
