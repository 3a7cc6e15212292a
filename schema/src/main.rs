//! The `schema` command: `schema compose [--config <file>] [--out <file>]` composes the
//! subgraphs listed in the config file into the supergraph SDL file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use shopgraph_schema::{SupergraphConfig, compose};

const DEFAULT_CONFIG: &str = "schema/supergraph.toml";

const USAGE: &str = "\
Usage: schema compose [--config <file>] [--out <file>]

Composes the Federation v2 subgraphs listed in the config file into a supergraph.

Options:
  --config <file>  config listing the subgraphs (default: schema/supergraph.toml,
                   relative to the current directory)
  --out <file>     where to write the supergraph SDL (default: supergraph.graphql
                   next to the config file)
  -h, --help       show this help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("compose") => compose_command(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
        None => bail!("missing command\n\n{USAGE}"),
    }
}

fn compose_command(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut config_path = PathBuf::from(DEFAULT_CONFIG);
    let mut out_path = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline_value
                .clone()
                .or_else(|| args.next().cloned())
                .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag {
            "--config" => config_path = PathBuf::from(value()?),
            "--out" => out_path = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }

    let config = match SupergraphConfig::load(&config_path) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            if config_path == Path::new(DEFAULT_CONFIG) {
                eprintln!("hint: run from the workspace root, or pass --config <file>");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let out_path = out_path.unwrap_or_else(|| config.default_output());
    let inputs = match config.read_subgraphs() {
        Ok(inputs) => inputs,
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    match compose(&inputs) {
        Ok(supergraph) => {
            std::fs::write(&out_path, supergraph.sdl())
                .with_context(|| format!("cannot write {}", out_path.display()))?;
            let names: Vec<&str> = supergraph
                .graphs()
                .iter()
                .map(|g| g.name.as_str())
                .collect();
            eprintln!(
                "composed {} subgraphs ({}) into {}",
                names.len(),
                names.join(", "),
                out_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}\n");
            }
            eprintln!(
                "error: composition failed with {} error{}; {} was not written",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                out_path.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
