//! The composition config file (`supergraph.toml`): the subgraphs to compose, each with the URL
//! routers send its requests to and where its SDL comes from: a file (relative to the config
//! file), or, without `sdl`, the running subgraph itself, asked `{ _service { sdl } }` at its URL.
//! Reading or fetching those SDLs gives the [`SubgraphInput`]s to compose.
//!
//! ```toml
//! [subgraphs.users]
//! url = "http://localhost:4001/graphql"
//! sdl = "subgraphs/users.graphql"
//!
//! [subgraphs.reviews]
//! url = "http://localhost:4005/graphql" # no `sdl`: fetched from the running subgraph
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::subgraph::SubgraphInput;

/// How long fetching one subgraph's SDL may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Name of the supergraph file written next to the config file by default.
pub const DEFAULT_OUTPUT_FILE: &str = "supergraph.graphql";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read config file: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}:{line}:{column}: invalid config: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: no subgraphs configured (add a [subgraphs.<name>] table with `url` and `sdl`)", path.display())]
    NoSubgraphs { path: PathBuf },
    #[error("{url}: cannot fetch the SDL of subgraph \"{subgraph}\" (configured at {}:{line}): {message}", config.display())]
    Fetch {
        subgraph: String,
        url: String,
        config: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: cannot read the SDL of subgraph \"{subgraph}\" (configured at {}:{line}): {source}", sdl.display(), config.display())]
    ReadSdl {
        subgraph: String,
        sdl: PathBuf,
        config: PathBuf,
        line: usize,
        source: io::Error,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    subgraphs: BTreeMap<String, RawSubgraph>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubgraph {
    url: Spanned<String>,
    sdl: Option<Spanned<String>>,
}

/// A parsed config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupergraphConfig {
    /// The config file, as given.
    pub path: PathBuf,
    /// Subgraphs sorted by name.
    pub subgraphs: Vec<SubgraphConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphConfig {
    pub name: String,
    pub url: String,
    /// The SDL file, resolved against the config file's directory; `None` to fetch the SDL from
    /// the running subgraph at `url`.
    pub sdl: Option<PathBuf>,
    /// Line of the config file where `sdl` is set (where `url` is, without `sdl`).
    pub line: usize,
}

impl SupergraphConfig {
    /// Reads and parses a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config `text`; `path` locates the SDL files and names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                column,
                message: error.message().trim_end().to_owned(),
            }
        })?;
        if raw.subgraphs.is_empty() {
            return Err(ConfigError::NoSubgraphs {
                path: path.to_owned(),
            });
        }
        let directory = path.parent().unwrap_or(Path::new(""));
        let subgraphs = raw
            .subgraphs
            .into_iter()
            .map(|(name, subgraph)| {
                let line_of = |span: std::ops::Range<usize>| line_column(text, span.start).0;
                SubgraphConfig {
                    name,
                    line: match &subgraph.sdl {
                        Some(sdl) => line_of(sdl.span()),
                        None => line_of(subgraph.url.span()),
                    },
                    sdl: subgraph.sdl.map(|sdl| directory.join(sdl.get_ref())),
                    url: subgraph.url.into_inner(),
                }
            })
            .collect();
        Ok(Self {
            path: path.to_owned(),
            subgraphs,
        })
    }

    /// Reads every subgraph's SDL file and fetches the SDL of the subgraphs configured without
    /// one; reports every file that cannot be read and every subgraph that cannot be fetched.
    /// Blocks while fetching (on a thread of its own, so it may be called from async code too;
    /// [`Self::load_subgraphs`] is the async version).
    pub fn read_subgraphs(&self) -> Result<Vec<SubgraphInput>, Vec<ConfigError>> {
        if self.subgraphs.iter().all(|s| s.sdl.is_some()) {
            return self.collect(|subgraph| Err(self.fetch_error(subgraph, "no SDL file")));
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|error| {
                            vec![ConfigError::Read {
                                path: self.path.clone(),
                                source: error,
                            }]
                        })?;
                    runtime.block_on(self.load_subgraphs())
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(vec![ConfigError::Read {
                        path: self.path.clone(),
                        source: io::Error::other("the thread fetching the subgraph SDLs panicked"),
                    }])
                })
        })
    }

    /// Reads every subgraph's SDL file and fetches the others' SDL from the running subgraphs
    /// (concurrently); reports every problem.
    pub async fn load_subgraphs(&self) -> Result<Vec<SubgraphInput>, Vec<ConfigError>> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|error| {
                self.subgraphs
                    .iter()
                    .filter(|s| s.sdl.is_none())
                    .map(|s| self.fetch_error(s, &error.to_string()))
                    .collect::<Vec<_>>()
            })?;
        let fetches = self
            .subgraphs
            .iter()
            .filter(|s| s.sdl.is_none())
            .map(|subgraph| {
                let client = &client;
                async move {
                    (
                        subgraph.name.clone(),
                        fetch_sdl(client, &subgraph.url).await,
                    )
                }
            });
        let mut fetched: BTreeMap<String, Result<String, String>> =
            futures::future::join_all(fetches)
                .await
                .into_iter()
                .collect();
        self.collect(|subgraph| {
            fetched
                .remove(&subgraph.name)
                .unwrap_or_else(|| Err("not fetched".to_owned()))
                .map_err(|message| self.fetch_error(subgraph, &message))
        })
    }

    /// Reads the SDL files, and takes the SDL of the other subgraphs from `fetched`.
    fn collect(
        &self,
        mut fetched: impl FnMut(&SubgraphConfig) -> Result<String, ConfigError>,
    ) -> Result<Vec<SubgraphInput>, Vec<ConfigError>> {
        let mut inputs = Vec::new();
        let mut errors = Vec::new();
        for subgraph in &self.subgraphs {
            let Some(path) = &subgraph.sdl else {
                match fetched(subgraph) {
                    Ok(sdl) => inputs.push(SubgraphInput::new(&subgraph.name, &subgraph.url, sdl)),
                    Err(error) => errors.push(error),
                }
                continue;
            };
            match std::fs::read_to_string(path) {
                Ok(sdl) => inputs.push(
                    SubgraphInput::new(&subgraph.name, &subgraph.url, sdl).with_source_path(path),
                ),
                Err(source) => errors.push(ConfigError::ReadSdl {
                    subgraph: subgraph.name.clone(),
                    sdl: path.clone(),
                    config: self.path.clone(),
                    line: subgraph.line,
                    source,
                }),
            }
        }
        if errors.is_empty() {
            Ok(inputs)
        } else {
            Err(errors)
        }
    }

    fn fetch_error(&self, subgraph: &SubgraphConfig, message: &str) -> ConfigError {
        ConfigError::Fetch {
            subgraph: subgraph.name.clone(),
            url: subgraph.url.clone(),
            config: self.path.clone(),
            line: subgraph.line,
            message: message.to_owned(),
        }
    }

    /// `supergraph.graphql` in the config file's directory.
    pub fn default_output(&self) -> PathBuf {
        self.path
            .parent()
            .unwrap_or(Path::new(""))
            .join(DEFAULT_OUTPUT_FILE)
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// Asks the subgraph at `url` for its SDL with the federation query `{ _service { sdl } }`.
/// The error is a message saying what went wrong (connection, HTTP status, GraphQL errors,
/// response shape).
pub async fn fetch_sdl(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = client
        .post(url)
        .header("accept", "application/json")
        .json(&serde_json::json!({ "query": "{ _service { sdl } }" }))
        .send()
        .await
        .map_err(|error| describe_request_error(&error))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.map_err(|error| {
        if status.is_success() {
            format!("the response is not JSON ({error})")
        } else {
            format!("HTTP status {status}")
        }
    })?;
    if let Some(errors) = body.get("errors").and_then(|e| e.as_array())
        && !errors.is_empty()
    {
        let messages: Vec<&str> = errors
            .iter()
            .map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("(no message)")
            })
            .collect();
        return Err(format!(
            "the subgraph answered with errors: {}",
            messages.join("; ")
        ));
    }
    if !status.is_success() {
        return Err(format!("HTTP status {status}"));
    }
    body.pointer("/data/_service/sdl")
        .and_then(|sdl| sdl.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            "the response has no `data._service.sdl` string: is it a federation subgraph?"
                .to_owned()
        })
}

/// The error and its causes, e.g. `error sending request: connection refused`.
fn describe_request_error(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
