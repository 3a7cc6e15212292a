//! The `shopgraph` command line. `cargo run` (or `cargo run --release`) with no arguments: the whole
//! shopgraph platform on this machine — the router and every subgraph on their own ports, each over
//! its own SQLite file under `data/`, with demo data, events on an in-process bus (or Redis Streams
//! when `REDIS_URL` is set) — until Ctrl-C. `shopgraph serve <service>` instead runs one service on
//! its own, like that service's own binary (the container image runs every service this way), and
//! `shopgraph healthcheck` is the image's health probe.

mod healthcheck;
mod serve;

use std::path::PathBuf;

use anyhow::Context;
use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use shopgraph::{RedisEvents, Stack, StackOptions};

/// The router runs in this binary under `shopgraph serve router`: glibc's allocator spent a third
/// of the router's CPU time under load (perf); mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PLATFORM_ENVIRONMENT: &str = "\
Environment of the whole platform (without a command), besides the options' variables:
  JWT_SECRET     the secret every subgraph signs and checks tokens with (default: a public
                 development secret)
  REDIS_URL      carry the events over this Redis's streams instead of the in-process bus
  EVENTS_STREAM  the Redis stream of the events (default: shopgraph-events)
  RUST_LOG       log filter (default: info)";

const SERVE_ENVIRONMENT: &str = "\
Environment (each service reads its own settings as its own binary does):
  CONFIG_FILE      a TOML file of the service's settings (the router's: deploy/router.toml)
  LISTEN_ADDR      host:port to listen on (default: 127.0.0.1 and the service's port)
  DATABASE_URL     sqlite://… (default, a file per service) or postgres://…
  JWT_SECRET       32 bytes or more, unless SHOPGRAPH_ENV=development
  ROUTER_SECRET    the secret a subgraph requires from the router (the router's SUBGRAPH_SECRET)
  REDIS_URL        the Redis whose stream carries the events (without it, events wait in the outbox)
  LOG_FORMAT       `text` or `json` log lines
  CARTS_URL, PRODUCTS_URL      orders: where it reads carts and prices
  MAIL_DIR or SMTP_URL         notifications: where the emails go
  SUPERGRAPH_PATH, SUBGRAPH_<NAME>_URL, SUBGRAPH_SECRET   the router (`router --help`)";

/// shopgraph: the e-commerce platform — the federation router and its subgraphs.
#[derive(Parser)]
#[command(
    name = "shopgraph",
    version,
    args_conflicts_with_subcommands = true,
    after_help = PLATFORM_ENVIRONMENT
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Directory of the platform's SQLite files and mail (default: data).
    #[arg(long, env = "DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Port of the router; the subgraphs take the ports after it (default: 4000).
    #[arg(long, env = "SHOPGRAPH_PORT", value_name = "PORT")]
    port: Option<u16>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one service on its own, configured from the environment like its own binary.
    #[command(after_help = SERVE_ENVIRONMENT)]
    Serve {
        /// The service to run.
        #[arg(value_parser = PossibleValuesParser::new(serve::SERVICES))]
        service: String,
    },
    /// Exits with 0 when the service answers its readiness endpoint (the container HEALTHCHECK).
    Healthcheck {
        /// URL to probe (default: http://127.0.0.1:<port of LISTEN_ADDR>/ready).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// The address the service listens on, whose port is probed.
        #[arg(long, env = "LISTEN_ADDR", value_name = "ADDR")]
        listen: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => platform(cli.data_dir, cli.port).await,
        Some(Command::Serve { service }) => serve::serve(&service).await,
        Some(Command::Healthcheck { url, listen }) => {
            healthcheck::probe(url.as_deref(), listen.as_deref()).await
        }
    }
}

async fn platform(data_dir: Option<PathBuf>, port: Option<u16>) -> anyhow::Result<()> {
    shopgraph_kit::telemetry::init(shopgraph_kit::config::LogFormat::Text);
    let mut options = match data_dir {
        Some(dir) => StackOptions::in_dir(&dir),
        None => StackOptions::default(),
    };
    if let Some(port) = port {
        options.base_port = port;
    }
    options.jwt_secret = std::env::var("JWT_SECRET").ok();
    if let Some(url) = std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        let options_from_env =
            shopgraph_events::transport::redis_options_from_env(|name| std::env::var(name).ok())?;
        options.redis = Some(RedisEvents {
            url,
            options: options_from_env,
        });
    }
    let base = options.base_port;
    let mut stack = shopgraph::start(options).await.with_context(|| {
        format!(
            "cannot start the stack (it needs ports {base} to {}; set SHOPGRAPH_PORT to move them)",
            base.saturating_add(shopgraph::SUBGRAPHS.len() as u16)
        )
    })?;
    print_welcome(&stack);
    tokio::select! {
        () = shopgraph_kit::server::shutdown_signal() => {
            println!("\nstopping…");
        }
        message = stack.stopped() => {
            eprintln!("{message}; stopping the rest");
        }
    }
    stack.stop().await;
    Ok(())
}

fn print_welcome(stack: &Stack) {
    println!();
    println!("shopgraph is running.");
    println!();
    println!("  GraphiQL:       {}", stack.router_url);
    for (service, url) in &stack.subgraph_urls {
        println!("  {service:<14}  {url}");
    }
    println!("  events:         {}", stack.events().describe());
    println!("  emails (.eml):  {}", stack.mail_dir.display());
    println!();
    println!(
        "  demo customer: {} / {}    admin: {} / {}",
        shopgraph_users::demo::CUSTOMER_EMAIL,
        shopgraph_users::demo::CUSTOMER_PASSWORD,
        shopgraph_users::demo::ADMIN_EMAIL,
        shopgraph_users::demo::ADMIN_PASSWORD
    );
    println!();
    println!("Try, in GraphiQL:");
    println!(
        "  mutation {{ login(email: \"{}\", password: \"{}\") {{ token }} }}",
        shopgraph_users::demo::CUSTOMER_EMAIL,
        shopgraph_users::demo::CUSTOMER_PASSWORD
    );
    println!(
        "  {{ products(first: 5) {{ totalCount nodes {{ id name price {{ amount currency }} stock }} }} }}"
    );
    println!("and, with the header Authorization: Bearer <token>:");
    println!(
        "  mutation {{ addToCart(productId: \"<a product id>\", quantity: 2) {{ itemCount }} }}"
    );
    println!(
        "  {{ me {{ name cart {{ items {{ quantity product {{ name }} }} subtotal {{ amount currency }} }} }} }}"
    );
    println!(
        "  mutation {{ checkout(idempotencyKey: \"order-1\", input: {{ paymentToken: \"tok_visa\",\n      \
         shippingAddress: {{ name: \"Demo Customer\", line1: \"1 Main St\", city: \"Berlin\", postalCode: \"10115\", country: \"DE\" }} }})\n      \
         {{ id status total {{ amount currency }} }} }}"
    );
    println!(
        "  {{ order(id: \"<the order id>\") {{ status statusHistory {{ status reason }} payment {{ status reference }} }} }}"
    );
    println!(
        "  {{ me {{ orders {{ nodes {{ id status }} }} notifications {{ nodes {{ kind subject status }} }} }} }}"
    );
    println!(
        "The order goes PENDING → PAYMENT_PENDING → CONFIRMED within a moment; other payment tokens:\n\
         tok_decline, tok_insufficient_funds, tok_timeout (the order FAILS with the reason, the stock\n\
         comes back). Every notification is also written as an .eml file to {}.",
        stack.mail_dir.display()
    );
    println!();
    println!("Ctrl-C stops everything.");
}
