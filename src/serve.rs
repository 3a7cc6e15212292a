//! `shopgraph serve <service>`: one service of the platform on its own, exactly as that service's own
//! binary runs it — configuration from `CONFIG_FILE` and the environment (`LISTEN_ADDR`,
//! `DATABASE_URL`, `JWT_SECRET`, `REDIS_URL`, and each service's own settings), events over Redis Streams
//! when `REDIS_URL` is set — until Ctrl-C or SIGTERM. The end-to-end tests use it to run the services
//! as separate processes from the one binary cargo builds for this package.

use anyhow::{Context, bail};
use shopgraph_kit::config::LogFormat;
use shopgraph_kit::{Config, server, telemetry};
use shopgraph_notifications::MailConfig;
use shopgraph_orders::OrdersConfig;
use shopgraph_products::reservations::ReservationSettings;
use shopgraph_router::RouterConfig;

/// What `serve` can run.
pub const SERVICES: [&str; 6] = [
    shopgraph_users::SERVICE,
    shopgraph_products::SERVICE,
    shopgraph_carts::SERVICE,
    shopgraph_orders::SERVICE,
    shopgraph_notifications::SERVICE,
    "router",
];

/// Runs `service` until the shutdown signal.
pub async fn serve(service: &str) -> anyhow::Result<()> {
    match service {
        shopgraph_users::SERVICE => users().await,
        shopgraph_products::SERVICE => products().await,
        shopgraph_carts::SERVICE => carts().await,
        shopgraph_orders::SERVICE => orders().await,
        shopgraph_notifications::SERVICE => notifications().await,
        "router" => router().await,
        other => bail!(
            "`{other}` is not a service of shopgraph (one of: {})",
            SERVICES.join(", ")
        ),
    }
}

/// The kit configuration of `service`, with logging set up and the insecure-secret warning given.
fn service_config(service: &str, default_port: u16) -> anyhow::Result<Config> {
    let config = Config::load(service, default_port)?;
    telemetry::init(config.log_format);
    config.warn_if_insecure();
    Ok(config)
}

async fn users() -> anyhow::Result<()> {
    let config = service_config(shopgraph_users::SERVICE, shopgraph_users::DEFAULT_PORT)?;
    shopgraph_users::run(&config).await?;
    Ok(())
}

async fn products() -> anyhow::Result<()> {
    let config = service_config(
        shopgraph_products::SERVICE,
        shopgraph_products::DEFAULT_PORT,
    )?;
    let settings = ReservationSettings::from_env()?;
    shopgraph_products::run(&config, &settings).await?;
    Ok(())
}

async fn carts() -> anyhow::Result<()> {
    let config = service_config(shopgraph_carts::SERVICE, shopgraph_carts::DEFAULT_PORT)?;
    shopgraph_carts::run(&config).await?;
    Ok(())
}

async fn orders() -> anyhow::Result<()> {
    let config = OrdersConfig::load(shopgraph_orders::SERVICE, shopgraph_orders::DEFAULT_PORT)?;
    telemetry::init(config.service.log_format);
    config.service.warn_if_insecure();
    shopgraph_orders::run(&config).await?;
    Ok(())
}

async fn notifications() -> anyhow::Result<()> {
    let config = service_config(
        shopgraph_notifications::SERVICE,
        shopgraph_notifications::DEFAULT_PORT,
    )?;
    let mail = MailConfig::from_env()?;
    shopgraph_notifications::run(&config, &mail).await?;
    Ok(())
}

/// The router, configured like its own binary without `--config`: `LISTEN_ADDR`, `SUPERGRAPH_PATH`,
/// `SUBGRAPH_<NAME>_URL`, `LOG_FORMAT`.
async fn router() -> anyhow::Result<()> {
    let config = RouterConfig::load(None)?;
    telemetry::init(if config.log_format == "json" {
        LogFormat::Json
    } else {
        LogFormat::Text
    });
    let app = shopgraph_router::app(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        "router listening on http://{}/graphql",
        listener.local_addr()?
    );
    shopgraph_router::server::serve(listener, app, &config.traffic, server::shutdown_signal())
        .await?;
    Ok(())
}
