//! The products subgraph: the catalogue (products with SKU, price, category and stock) as a Federation v2
//! subgraph whose `Product` entity other subgraphs reference by `id` or `sku`. Listing is paginated with
//! opaque keyset cursors; writes are for administrators. In the checkout saga it keeps the stock: it
//! consumes the order events, reserves, sells, releases and restocks units ([`reservations`]), answers
//! with `StockReserved`/`StockRejected` through its outbox, and expires reservations that are never
//! confirmed (`ReservationExpired`).

pub mod catalogue;
pub mod demo;
pub mod entity;
pub mod graphql;
pub mod migration;
pub mod reservations;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_events::transport::SharedTransport;
use shopgraph_events::{BackgroundTasks, Consumer, Relay, Shutdown};
use shopgraph_kit::{Config, JwtKeys, StartError, db, server};

use reservations::{ExpirySweeper, ReservationHandler, ReservationSettings};

/// The service's name: default database file, logs, configuration, consumer group, event producer.
pub const SERVICE: &str = "products";
/// The port the service listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4002;

/// Connects to the configured database and applies the migrations.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    db::connect_and_migrate::<migration::Migrator>(&config.database_url).await
}

/// The HTTP routes of the subgraph over an already migrated `db`.
pub fn router(db: DatabaseConnection, config: &Config) -> Router {
    let schema = graphql::schema_builder(db.clone());
    server::graphql_router(schema, JwtKeys::new(&config.jwt), db, config)
}

/// Starts the service's background work over `db` (already migrated) until `shutdown`, with the
/// reservation settings of the environment (`RESERVATION_TTL_SECONDS`; an invalid value is logged and
/// the default used — `main` checks it first). See [`spawn_background_with`].
pub fn spawn_background(
    db: DatabaseConnection,
    config: &Config,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let settings = ReservationSettings::from_env().unwrap_or_else(|err| {
        tracing::error!(error = %err, "using the default reservation settings");
        ReservationSettings::default()
    });
    spawn_background_with(db, config, &settings, transport, shutdown)
}

/// Starts the service's background work over `db` until `shutdown`: with a transport, the relay that
/// publishes the outbox and the consumer (group `products`) of the order events; always, the sweep that
/// releases expired reservations (its events wait in the outbox when there is no transport).
pub fn spawn_background_with(
    db: DatabaseConnection,
    config: &Config,
    settings: &ReservationSettings,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let mut tasks = BackgroundTasks::new();
    if let Some(transport) = transport {
        let relay = Relay::new(db.clone(), transport.clone(), &config.service);
        tasks.spawn(
            format!("{} relay", config.service),
            relay.run(shutdown.clone()),
        );
        let consumer = Consumer::new(
            db.clone(),
            transport,
            SERVICE,
            ReservationHandler::new(settings.ttl),
        );
        tasks.spawn(
            format!("{} consumer", config.service),
            consumer.run(shutdown.clone()),
        );
    }
    let sweeper = ExpirySweeper::new(db, settings.clone());
    tasks.spawn(
        format!("{} reservation expiry", config.service),
        sweeper.run(shutdown),
    );
    tasks
}

/// Connects, migrates and builds the routes (without background tasks).
pub async fn app(config: &Config) -> Result<Router, StartError> {
    let db = connect(config).await?;
    Ok(router(db, config))
}

/// Runs the products service process until Ctrl-C or SIGTERM (the body of its `main`).
pub async fn run(
    config: &Config,
    settings: &reservations::ReservationSettings,
) -> Result<(), shopgraph_events::service::ServiceError> {
    let db = connect(config).await?;
    shopgraph_events::service::run(
        config,
        "order events are not received and domain events stay in the outbox",
        |transport, shutdown| {
            (
                router(db.clone(), config),
                spawn_background_with(db, config, settings, transport, shutdown),
            )
        },
    )
    .await
}
