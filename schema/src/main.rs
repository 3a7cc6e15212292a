//! The `schema` command: `schema compose` composes the subgraphs listed in the config file into
//! the supergraph SDL file; `schema check` composes them and compares the resulting API schema
//! with the committed supergraph's, classifying every change.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use shopgraph_schema::check::{self, OperationFile};
use shopgraph_schema::{CompositionError, SubgraphInput, Supergraph, SupergraphConfig, compose};

const DEFAULT_CONFIG: &str = "schema/supergraph.toml";

const USAGE: &str = "\
Usage: schema compose [--config <file>] [--out <file>]
       schema check [--config <file>] [--against <file>] [--operations <dir>]
                    [--format human|json] [--accept <change-id> ...]

compose  Composes the Federation v2 subgraphs listed in the config file into a supergraph.
check    Composes them and compares the resulting API schema with the committed supergraph's:
         every change is classified breaking, dangerous or safe. Exit code 0 when nothing
         breaks (or every breaking change is accepted or, with --operations, unused), 1 when
         something breaks, 2 when the subgraphs do not compose or an input cannot be read.

Options:
  --config <file>      config listing the subgraphs (default: schema/supergraph.toml, relative to
                       the current directory); a subgraph without `sdl` is asked for its SDL at
                       its `url`
  --out <file>         compose: where to write the supergraph SDL (default: supergraph.graphql
                       next to the config file)
  --against <file>     check: the committed supergraph (default: supergraph.graphql next to the
                       config file)
  --operations <dir>   check: recorded client operations (*.graphql files) to validate; breaking
                       changes none of them uses are reported as safe for now
  --format human|json  check: output format (default: human)
  --accept <id> ...    check: accept these breaking changes (ids as printed, e.g.
                       FIELD_REMOVED:Product.weight; repeatable, or comma-separated)
  -h, --help           show this help";

/// Exit code of `schema check` when the subgraphs do not compose or an input cannot be read.
const CHECK_ERROR: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(CHECK_ERROR)
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    match args.first().map(String::as_str) {
        Some("compose") => compose_command(&args[1..]),
        Some("check") => check_command(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
        None => bail!("missing command\n\n{USAGE}"),
    }
}

/// Parsed command-line options of both commands.
#[derive(Default)]
struct Options {
    config: Option<PathBuf>,
    out: Option<PathBuf>,
    against: Option<PathBuf>,
    operations: Option<PathBuf>,
    json: bool,
    accept: Vec<String>,
    help: bool,
}

fn parse_options(args: &[String], allowed: &[&str]) -> anyhow::Result<Options> {
    let mut options = Options::default();
    let mut args = args.iter().peekable();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        if matches!(flag, "-h" | "--help") {
            options.help = true;
            continue;
        }
        if !allowed.contains(&flag) {
            bail!("unknown option `{flag}`\n\n{USAGE}");
        }
        if flag == "--accept" {
            let mut values: Vec<String> = inline_value.into_iter().collect();
            while let Some(next) = args.next_if(|next| !next.starts_with("--")) {
                values.push(next.clone());
            }
            if values.is_empty() {
                bail!("--accept needs at least one change id\n\n{USAGE}");
            }
            options.accept.extend(
                values
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
            );
            continue;
        }
        let value = match inline_value {
            Some(value) => value,
            None => args
                .next()
                .cloned()
                .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?,
        };
        match flag {
            "--config" => options.config = Some(PathBuf::from(value)),
            "--out" => options.out = Some(PathBuf::from(value)),
            "--against" => options.against = Some(PathBuf::from(value)),
            "--operations" => options.operations = Some(PathBuf::from(value)),
            "--format" => match value.as_str() {
                "json" => options.json = true,
                "human" => options.json = false,
                other => bail!("--format must be `human` or `json`, not `{other}`"),
            },
            _ => bail!("unknown option `{flag}`\n\n{USAGE}"),
        }
    }
    Ok(options)
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

fn compose_command(args: &[String]) -> anyhow::Result<ExitCode> {
    let options = parse_options(args, &["--config", "--out"])?;
    if options.help {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let config_path = options
        .config
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
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

fn check_command(args: &[String]) -> anyhow::Result<ExitCode> {
    let options = parse_options(
        args,
        &[
            "--config",
            "--against",
            "--operations",
            "--format",
            "--accept",
        ],
    )?;
    if options.help {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let json = options.json;
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
    let config_path = options
        .config
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
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
    let report = match check::check_schemas(&old, &new, operations.as_deref(), &options.accept) {
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
