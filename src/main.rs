//! `cargo run --release`: the whole shopgraph platform on this machine — the router and every subgraph
//! on their own ports, each over its own SQLite file under `data/`, with demo data — until Ctrl-C.

use anyhow::Context;
use shopgraph::{Stack, StackOptions};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shopgraph_kit::telemetry::init(shopgraph_kit::config::LogFormat::Text);
    let mut options = StackOptions::default();
    if let Ok(dir) = std::env::var("DATA_DIR") {
        options.database_urls = StackOptions::sqlite_in(std::path::Path::new(&dir));
    }
    if let Ok(port) = std::env::var("SHOPGRAPH_PORT") {
        options.base_port = port
            .parse()
            .context("SHOPGRAPH_PORT must be a port number")?;
    }
    options.jwt_secret = std::env::var("JWT_SECRET").ok();
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
    println!("  GraphiQL:  {}", stack.router_url);
    for (service, url) in &stack.subgraph_urls {
        println!("  {service:<9}  {url}");
    }
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
        "  {{ products(first: 5) {{ totalCount nodes {{ name price {{ amount currency }} stock }} }} }}"
    );
    println!("and, with the header Authorization: Bearer <token>:");
    println!(
        "  {{ me {{ name cart {{ items {{ quantity product {{ name }} }} subtotal {{ amount currency }} }} }} }}"
    );
    println!();
    println!("Ctrl-C stops everything.");
}
