//! `router [--config FILE]` serves the supergraph; `router plan --supergraph FILE --operation FILE
//! [--operation-name NAME]` prints the query plan of an operation.

use std::path::PathBuf;

use anyhow::{Context, bail};
use shopgraph_router::RouterConfig;

/// glibc's allocator spent a third of the router's CPU time under load (perf); mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage:
  router [serve] [--config FILE]
  router plan --supergraph FILE --operation FILE [--operation-name NAME]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("plan") => plan(&args[1..]),
        Some("serve") => serve(&args[1..]).await,
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => serve(&args).await,
    }
}

fn flag(args: &[String], name: &str) -> anyhow::Result<Option<String>> {
    match args.iter().position(|a| a == name) {
        Some(i) => match args.get(i + 1) {
            Some(value) => Ok(Some(value.clone())),
            None => bail!("{name} needs a value\n{USAGE}"),
        },
        None => Ok(None),
    }
}

async fn serve(args: &[String]) -> anyhow::Result<()> {
    let config_path = flag(args, "--config")?.map(PathBuf::from);
    let config = RouterConfig::load(config_path.as_deref())?;
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

fn plan(args: &[String]) -> anyhow::Result<()> {
    let supergraph_path = flag(args, "--supergraph")?.context(USAGE)?;
    let operation_path = flag(args, "--operation")?.context(USAGE)?;
    let operation_name = flag(args, "--operation-name")?;
    let sdl = std::fs::read_to_string(&supergraph_path)
        .with_context(|| format!("cannot read {supergraph_path}"))?;
    let supergraph = shopgraph_router::supergraph::Supergraph::parse(&sdl, &supergraph_path)
        .with_context(|| format!("invalid supergraph {supergraph_path}"))?;
    let query = std::fs::read_to_string(&operation_path)
        .with_context(|| format!("cannot read {operation_path}"))?;
    let text =
        shopgraph_router::pipeline::plan_text(&supergraph, &query, operation_name.as_deref())
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
