//! The composition config file (`supergraph.toml`): the subgraphs to compose, each with the URL
//! routers send its requests to and its SDL file (relative to the config file), and reading
//! those files into [`SubgraphInput`]s.
//!
//! ```toml
//! [subgraphs.users]
//! url = "http://localhost:4001/graphql"
//! sdl = "subgraphs/users.graphql"
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::subgraph::SubgraphInput;

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
    url: String,
    sdl: Spanned<String>,
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
    /// The SDL file, resolved against the config file's directory.
    pub sdl: PathBuf,
    /// Line of the config file where `sdl` is set.
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
            .map(|(name, subgraph)| SubgraphConfig {
                name,
                url: subgraph.url,
                sdl: directory.join(subgraph.sdl.get_ref()),
                line: line_column(text, subgraph.sdl.span().start).0,
            })
            .collect();
        Ok(Self {
            path: path.to_owned(),
            subgraphs,
        })
    }

    /// Reads every subgraph's SDL; reports every file that cannot be read.
    pub fn read_subgraphs(&self) -> Result<Vec<SubgraphInput>, Vec<ConfigError>> {
        let mut inputs = Vec::new();
        let mut errors = Vec::new();
        for subgraph in &self.subgraphs {
            match std::fs::read_to_string(&subgraph.sdl) {
                Ok(sdl) => inputs.push(
                    SubgraphInput::new(&subgraph.name, &subgraph.url, sdl)
                        .with_source_path(&subgraph.sdl),
                ),
                Err(source) => errors.push(ConfigError::ReadSdl {
                    subgraph: subgraph.name.clone(),
                    sdl: subgraph.sdl.clone(),
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
