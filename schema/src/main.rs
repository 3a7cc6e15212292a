//! The `schema` command: `schema compose` composes the subgraphs listed in the config file into
//! the supergraph SDL file; `schema check` composes them and compares the resulting API schema
//! with the committed supergraph's, classifying every change.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{ArgAction, Args, Parser, Subcommand};
use shopgraph_schema::check::{self, OperationFile};
use shopgraph_schema::{CompositionError, SubgraphInput, Supergraph, SupergraphConfig, compose};

const DEFAULT_CONFIG: &str = "schema/supergraph.toml";

/// Composes Federation v2 subgraphs into a supergraph and checks changes against the contract.
#[derive(Parser)]
#[command(name = "schema", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Composes the Federation v2 subgraphs listed in the config file into a supergraph.
    Compose(ComposeArgs),
    /// Composes them and compares the resulting API schema with the committed supergraph's: every
    /// change is classified breaking, dangerous or safe.
    #[command(after_help = "\
Exit code 0 when nothing breaks (or every breaking change is accepted or, with --operations,
unused), 1 when something breaks, 2 when the subgraphs do not compose or an input cannot be read.")]
    Check(CheckArgs),
}

#[derive(Args)]
struct ConfigArg {
    /// Config listing the subgraphs (relative to the current directory); a subgraph without `sdl`
    /// is asked for its SDL at its `url`.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    config: PathBuf,
}

#[derive(Args)]
struct ComposeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Where to write the supergraph SDL (default: supergraph.graphql next to the config file).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The committed supergraph (default: supergraph.graphql next to the config file).
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
    /// Recorded client operations (*.graphql files) to validate; breaking changes none of them uses
    /// are reported as safe for now.
    #[arg(long, value_name = "DIR")]
    operations: Option<PathBuf>,
    /// Output format: human or json.
    #[arg(
        long = "format",
        value_name = "FORMAT",
        default_value = "human",
        value_parser = parse_json_format,
        action = ArgAction::Set
    )]
    json: bool,
    /// Accept these breaking changes (ids as printed, e.g. FIELD_REMOVED:Product.weight;
    /// repeatable, or comma-separated).
    #[arg(long, value_name = "ID", num_args = 1.., value_delimiter = ',')]
    accept: Vec<String>,
}

/// `--format`: whether the output is JSON.
fn parse_json_format(value: &str) -> Result<bool, String> {
    match value {
        "json" => Ok(true),
        "human" => Ok(false),
        other => Err(format!("--format must be `human` or `json`, not `{other}`")),
    }
}

/// Exit code of `schema check` when the subgraphs do not compose or an input cannot be read.
const CHECK_ERROR: u8 = 2;

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Compose(args) => compose_command(args),
        Command::Check(args) => check_command(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(CHECK_ERROR)
        }
    }
}

/// Loads the config and reads (or fetches) every subgraph's SDL; problems are printed.
fn load_inputs(config_path: &Path) -> Result<(SupergraphConfig, Vec<SubgraphInput>), Vec<String>> {
    let config = SupergraphConfig::load(config_path).map_err(|error| {
        let mut problems = vec![error.to_string()];
        if config_path == Path::new(DEFAULT_CONFIG) {
            problems.push("hint: run from the workspace root, or pass --config <file>".to_owned());
        }
        problems
    })?;
    let inputs = config
        .read_subgraphs()
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    Ok((config, inputs))
}

fn compose_command(options: ComposeArgs) -> anyhow::Result<ExitCode> {
    let config_path = options.config.config;
    let (config, inputs) = match load_inputs(&config_path) {
        Ok(loaded) => loaded,
        Err(problems) => {
            for problem in problems {
                eprintln!("error: {problem}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let out_path = options.out.unwrap_or_else(|| config.default_output());
    match compose(&inputs) {
        Ok(supergraph) => {
            for hint in supergraph.hints() {
                eprintln!("{hint}\n");
            }
            std::fs::write(&out_path, supergraph.sdl())
                .with_context(|| format!("cannot write {}", out_path.display()))?;
            eprintln!(
                "composed {} subgraphs ({}) into {}",
                supergraph.graphs().len(),
                graph_names(&supergraph),
                out_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}\n");
            }
            eprintln!(
                "error: composition failed with {}; {} was not written",
                count(errors.len(), "error"),
                out_path.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn check_command(options: CheckArgs) -> anyhow::Result<ExitCode> {
    let json = options.json;
    let accept: Vec<String> = options
        .accept
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    let fail = |problems: Vec<String>, composition: &[CompositionError]| {
        if json {
            println!("{}", error_json(&problems, composition));
        } else {
            for error in composition {
                eprintln!("{error}\n");
            }
            for problem in &problems {
                eprintln!("error: {problem}");
            }
        }
        Ok(ExitCode::from(CHECK_ERROR))
    };
    let config_path = options.config.config;
    let (config, inputs) = match load_inputs(&config_path) {
        Ok(loaded) => loaded,
        Err(problems) => return fail(problems, &[]),
    };
    let supergraph = match compose(&inputs) {
        Ok(supergraph) => supergraph,
        Err(errors) => {
            let summary = format!(
                "the subgraphs of {} do not compose ({})",
                config_path.display(),
                count(errors.len(), "error")
            );
            return fail(vec![summary], &errors);
        }
    };
    let against = options.against.unwrap_or_else(|| config.default_output());
    let committed = match std::fs::read_to_string(&against) {
        Ok(text) => text,
        Err(error) => {
            return fail(
                vec![format!(
                    "{}: cannot read the committed supergraph: {error}",
                    against.display()
                )],
                &[],
            );
        }
    };
    let against_text = against.display().to_string();
    let old = match check::api_schema(&committed, &against_text) {
        Ok(schema) => schema,
        Err(problem) => {
            return fail(
                vec![format!(
                    "{against_text}: the committed supergraph is {problem}"
                )],
                &[],
            );
        }
    };
    let new = match check::api_schema(supergraph.sdl(), "composed supergraph") {
        Ok(schema) => schema,
        Err(problem) => {
            return fail(vec![format!("the composed supergraph is {problem}")], &[]);
        }
    };
    let operations: Option<Vec<OperationFile>> = match &options.operations {
        None => None,
        Some(directory) => match check::read_operations(directory) {
            Ok(files) => Some(files),
            Err(problem) => return fail(vec![problem], &[]),
        },
    };
    let report = match check::check_schemas(&old, &new, operations.as_deref(), &accept) {
        Ok(report) => report,
        Err(problem) => return fail(vec![problem], &[]),
    };
    if json {
        print!("{}", check::render_json(&report));
    } else {
        println!(
            "Checked the composition of {} subgraphs ({}) from {} against {}.\n",
            supergraph.graphs().len(),
            graph_names(&supergraph),
            config_path.display(),
            against.display()
        );
        print!("{}", check::render_human(&report));
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn graph_names(supergraph: &Supergraph) -> String {
    supergraph
        .graphs()
        .iter()
        .map(|g| g.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `{"result": "error", "errors": [...], "compositionErrors": [...]}`.
fn error_json(problems: &[String], composition: &[CompositionError]) -> String {
    let composition: Vec<serde_json::Value> = composition
        .iter()
        .map(|error| {
            serde_json::json!({
                "code": error.code.as_str(),
                "message": error.message,
                "element": error.element,
                "locations": error.locations.iter().map(|l| serde_json::json!({
                    "subgraph": l.subgraph,
                    "file": l.file,
                    "line": l.position.map(|p| p.line),
                    "column": l.position.map(|p| p.column),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = serde_json::json!({
        "result": "error",
        "errors": problems,
        "compositionErrors": composition,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
