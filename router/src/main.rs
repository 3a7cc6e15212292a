//! The `router` command line: `router [serve] [--config FILE] [--supergraph FILE] [--listen ADDR]`
//! serves the supergraph (flags override the environment, which overrides the config file);
//! `router plan --supergraph FILE --operation FILE [--operation-name NAME]` prints the query plan of
//! an operation.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use shopgraph_router::RouterConfig;

/// glibc's allocator spent a third of the router's CPU time under load (perf); mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ENVIRONMENT: &str = "\
Environment (besides the variables shown with each option):
  SUBGRAPH_<NAME>_URL  replaces the URL of subgraph <name> from the supergraph
  SUBGRAPH_SECRET      the secret sent to every subgraph in `subgraph_secret_header`
  LOG_FORMAT           `text` or `json` log lines
  RUST_LOG             log filter (default: info)

Settings come from the defaults, then the config file (every key is documented in
deploy/router.toml), then the environment, then the flags.";

/// The shopgraph Federation v2 router.
#[derive(Parser)]
#[command(
    name = "router",
    version,
    args_conflicts_with_subcommands = true,
    after_help = ENVIRONMENT
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the supergraph (the default without a command).
    #[command(after_help = ENVIRONMENT)]
    Serve(ServeArgs),
    /// Prints the query plan of an operation.
    Plan(PlanArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// TOML config file (unknown keys are errors).
    #[arg(long, env = "CONFIG_FILE", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Supergraph SDL to serve (default: schema/supergraph.graphql).
    #[arg(long, env = "SUPERGRAPH_PATH", value_name = "FILE")]
    supergraph: Option<PathBuf>,
    /// Address to listen on, host:port (default: 127.0.0.1:4000).
    #[arg(long, env = "LISTEN_ADDR", value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

#[derive(Args)]
struct PlanArgs {
    /// Supergraph SDL to plan over.
    #[arg(long, value_name = "FILE")]
    supergraph: PathBuf,
    /// File holding the GraphQL operation.
    #[arg(long, value_name = "FILE")]
    operation: PathBuf,
    /// Operation to plan when the document holds several.
    #[arg(long, value_name = "NAME")]
    operation_name: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Plan(args)) => plan(&args),
        Some(Command::Serve(args)) => serve(args).await,
        None => serve(cli.serve).await,
    }
}

/// The configuration: file, environment, then the flags.
fn config(args: ServeArgs) -> anyhow::Result<RouterConfig> {
    let mut config = RouterConfig::load(args.config.as_deref())?;
    if let Some(supergraph) = args.supergraph {
        config.supergraph = supergraph;
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    Ok(config)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = config(args)?;
    init_tracing(&config.log_format);
    let app = shopgraph_router::app(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        "router listening on http://{}/graphql",
        listener.local_addr()?
    );
    shopgraph_router::server::serve(listener, app, &config.traffic, shutdown_signal()).await?;
    tracing::info!("router stopped");
    Ok(())
}

fn plan(args: &PlanArgs) -> anyhow::Result<()> {
    let supergraph_path = args.supergraph.display().to_string();
    let operation_path = args.operation.display().to_string();
    let sdl = std::fs::read_to_string(&args.supergraph)
        .with_context(|| format!("cannot read {supergraph_path}"))?;
    let supergraph = shopgraph_router::supergraph::Supergraph::parse(&sdl, &supergraph_path)
        .with_context(|| format!("invalid supergraph {supergraph_path}"))?;
    let query = std::fs::read_to_string(&args.operation)
        .with_context(|| format!("cannot read {operation_path}"))?;
    let text =
        shopgraph_router::pipeline::plan_text(&supergraph, &query, args.operation_name.as_deref())
            .map_err(|errors| anyhow::anyhow!("{operation_path}: {errors}"))?;
    println!("{text}");
    Ok(())
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without Ctrl-C handling, only SIGTERM stops the router.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
