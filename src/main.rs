//! `cargo run` (or `cargo run --release`): the whole shopgraph platform on this machine — the router
//! and every subgraph on their own ports, each over its own SQLite file under `data/`, with demo data,
//! events on an in-process bus (or Redis Streams when `REDIS_URL` is set) — until Ctrl-C.
//! `shopgraph serve <service>` instead runs one service on its own, like that service's own binary.

mod serve;

use std::path::Path;

use anyhow::{Context, bail};
use shopgraph::{RedisEvents, Stack, StackOptions};

const USAGE: &str = "usage:
  shopgraph                    the whole platform with demo data (DATA_DIR, SHOPGRAPH_PORT, JWT_SECRET,
                               REDIS_URL, EVENTS_STREAM)
  shopgraph serve <service>    one service on its own, configured from the environment like its own
                               binary; <service> is users, products, carts, orders, notifications or router.
                               A subgraph needs JWT_SECRET (32 bytes or more) unless SHOPGRAPH_ENV=development";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => platform().await,
        ["serve", service] => serve::serve(service).await,
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unexpected arguments: {}\n{USAGE}", args.join(" ")),
    }
}

async fn platform() -> anyhow::Result<()> {
    shopgraph_kit::telemetry::init(shopgraph_kit::config::LogFormat::Text);
    let mut options = match std::env::var("DATA_DIR") {
        Ok(dir) => StackOptions::in_dir(Path::new(&dir)),
        Err(_) => StackOptions::default(),
    };
    if let Ok(port) = std::env::var("SHOPGRAPH_PORT") {
        options.base_port = port
            .parse()
            .context("SHOPGRAPH_PORT must be a port number")?;
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
