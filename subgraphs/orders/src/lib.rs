//! The orders subgraph: checkout (the caller's cart, priced by products, becomes a PENDING order
//! idempotently), the `Order` entity and `User.orders`, cancelling with refunds, and orders' part in the
//! checkout saga — consuming products' stock events, charging through the [`payment::PaymentProvider`]
//! and announcing `OrderPlaced`, `OrderConfirmed`, `OrderFailed` and `OrderCancelled` through its
//! outbox. Every status change goes through the one state machine in [`status`].

pub mod address;
pub mod checkout;
pub mod config;
pub mod entity;
pub mod graphql;
pub mod lifecycle;
pub mod migration;
pub mod payment;
pub mod saga;
pub mod snapshot;
pub mod status;
pub mod store;

use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_events::transport::SharedTransport;
use shopgraph_events::{BackgroundTasks, Consumer, Relay, Shutdown};
use shopgraph_kit::{Config, JwtKeys, StartError};
use tokio::sync::Notify;

pub use config::{OrdersConfig, OrdersConfigError, PaymentConfig, PaymentProviderKind};
pub use graphql::{OrdersSchema, schema_builder};
pub use migration::Migrator;
pub use payment::{PaymentProvider, SharedPaymentProvider, SimulatedProvider};

/// Service name: default database file, logs, consumer group, event producer.
pub const SERVICE: &str = "orders";
/// Port the service listens on by default.
pub const DEFAULT_PORT: u16 = 4004;

/// Connects to the configured database and applies the migrations.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    shopgraph_kit::db::connect_and_migrate::<Migrator>(&config.database_url).await
}

/// The payment provider `config` names, keeping its records in `db` (already migrated). Its state lives
/// in the database, so instances over one database agree; share one between [`router_with_payments`]
/// and [`spawn_background_with_payments`] all the same.
pub fn payment_provider(db: DatabaseConnection, config: &OrdersConfig) -> SharedPaymentProvider {
    payment::provider_from_config(db, &config.payment)
}

/// The HTTP routes of the subgraph over `db` (already migrated), with the configured payment provider:
/// checkout asks `config.carts_url` and `config.products_url`; cancellations refund.
pub fn router(db: DatabaseConnection, config: &OrdersConfig) -> Router {
    let payments = payment_provider(db.clone(), config);
    router_with_payments(db, config, payments)
}

/// [`router`], refunding through `payments`.
pub fn router_with_payments(
    db: DatabaseConnection,
    config: &OrdersConfig,
    payments: SharedPaymentProvider,
) -> Router {
    let keys = JwtKeys::new(&config.service.jwt);
    let upstream = snapshot::Upstream::new(
        &config.carts_url,
        &config.products_url,
        config.upstream_timeout,
        config.service.router_secret.as_deref(),
    );
    shopgraph_kit::server::graphql_router(
        schema_builder(db.clone(), upstream, payments),
        keys,
        db,
        &config.service,
    )
}

/// Starts the service's background work over `db` (already migrated) until `shutdown`, with the
/// configured payment provider: always the payment worker (it charges PAYMENT_PENDING orders); with a
/// transport also the relay that publishes the outbox and the saga consumer (group `orders`:
/// `StockReserved`, `StockRejected`, `ReservationExpired`). Without a transport, events wait in the
/// outbox and no saga events arrive.
pub fn spawn_background(
    db: DatabaseConnection,
    config: &OrdersConfig,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let payments = payment_provider(db.clone(), config);
    spawn_background_with_payments(db, config, payments, transport, shutdown)
}

/// [`spawn_background`], charging through `payments`.
pub fn spawn_background_with_payments(
    db: DatabaseConnection,
    config: &OrdersConfig,
    payments: SharedPaymentProvider,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let mut tasks = BackgroundTasks::new();
    let payments_due = Arc::new(Notify::new());
    let settlement = saga::PaymentSettlement::new(
        db.clone(),
        payments,
        saga::SettlementOptions::new(config.payment.timeout),
        Arc::clone(&payments_due),
    );
    tasks.spawn(
        format!("{SERVICE} payments"),
        settlement.run(shutdown.clone()),
    );
    if let Some(transport) = transport {
        let relay = Relay::new(db.clone(), Arc::clone(&transport), SERVICE);
        tasks.spawn(format!("{SERVICE} relay"), relay.run(shutdown.clone()));
        let consumer = Consumer::new(db, transport, SERVICE, saga::SagaHandler::new(payments_due));
        tasks.spawn(format!("{SERVICE} consumer"), consumer.run(shutdown));
    }
    tasks
}

/// Connects, migrates and returns the routes (without background tasks), with the configured payment
/// provider.
pub async fn app(config: &OrdersConfig) -> Result<Router, StartError> {
    let db = connect(&config.service).await?;
    Ok(router(db, config))
}

/// Runs the orders service process until Ctrl-C or SIGTERM (the body of its `main`).
pub async fn run(config: &OrdersConfig) -> Result<(), shopgraph_events::service::ServiceError> {
    let db = connect(&config.service).await?;
    let payments = payment_provider(db.clone(), config);
    tracing::info!(carts = %config.carts_url, products = %config.products_url, "checkout asks");
    shopgraph_events::service::run(
        &config.service,
        "domain events stay in the outbox and no saga events arrive",
        |transport, shutdown| {
            (
                router_with_payments(db.clone(), config, payments.clone()),
                spawn_background_with_payments(db, config, payments, transport, shutdown),
            )
        },
    )
    .await
}
