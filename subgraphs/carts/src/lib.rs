//! The carts subgraph: each signed-in user's shopping cart (`User.cart`, the `Cart` entity with a subtotal
//! priced through `@requires`, and the cart mutations), over its own database. In the checkout saga it
//! consumes `OrderConfirmed` and takes the ordered quantities out of the buyer's cart ([`checkout`]). It
//! keeps a projection of the catalogue from the products' events ([`catalogue`]) to refuse unknown and
//! archived products and to mark cart lines whose product is no longer on sale.

pub mod catalogue;
pub mod checkout;
pub mod entity;
pub mod graphql;
pub mod migration;
pub mod store;
pub mod subtotal;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_events::transport::SharedTransport;
use shopgraph_events::{BackgroundTasks, Consumer, Shutdown};
use shopgraph_kit::{Config, JwtKeys, StartError, db, server};

pub use graphql::{CartsSchema, schema_builder};

/// The service's name: configuration, default database file, logs, consumer group.
pub const SERVICE: &str = "carts";
/// Where the service listens unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4003;

/// Connects to the configured database and brings its schema up to date.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    db::connect_and_migrate::<migration::Migrator>(&config.database_url).await
}

/// The HTTP routes (`/graphql`, `/health`, `/ready`) of the subgraph over `db`.
pub fn router(db: DatabaseConnection, config: &Config) -> Router {
    server::graphql_router(
        schema_builder(db.clone()),
        JwtKeys::new(&config.jwt),
        db,
        config,
    )
}

/// Starts the service's background work over `db` (already migrated) until `shutdown`: with a transport,
/// the consumer (group `carts`) that removes confirmed orders' items from carts and the consumer (group
/// `carts-catalogue-…` of this database) that keeps the catalogue projection. Carts emits no events, so there is no relay;
/// without a transport nothing runs.
pub fn spawn_background(
    db: DatabaseConnection,
    config: &Config,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> BackgroundTasks {
    let mut tasks = BackgroundTasks::new();
    if let Some(transport) = transport {
        tasks.spawn(
            format!("{} catalogue consumer", config.service),
            run_catalogue_consumer(db.clone(), transport.clone(), shutdown.clone()),
        );
        let consumer = Consumer::new(db, transport, SERVICE, checkout::CheckoutHandler);
        tasks.spawn(
            format!("{} consumer", config.service),
            consumer.run(shutdown),
        );
    }
    tasks
}

/// Reads this database's catalogue consumer group (retrying while the database fails), then runs the
/// consumer that keeps the catalogue projection until `shutdown`.
async fn run_catalogue_consumer(
    db: DatabaseConnection,
    transport: SharedTransport,
    shutdown: Shutdown,
) {
    let group = loop {
        match catalogue::consumer_group(&db).await {
            Ok(group) => break group,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the catalogue consumer group; retrying");
                tokio::select! {
                    () = shutdown.wait() => return,
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            }
        }
    };
    Consumer::new(db, transport, &group, catalogue::CatalogueHandler)
        .run(shutdown)
        .await;
}

/// Connects, migrates and builds the routes: everything `main` needs before serving (without background
/// tasks).
pub async fn app(config: &Config) -> Result<Router, StartError> {
    Ok(router(connect(config).await?, config))
}

/// Runs the carts service process until Ctrl-C or SIGTERM (the body of its `main`).
pub async fn run(config: &Config) -> Result<(), shopgraph_events::service::ServiceError> {
    let db = connect(config).await?;
    shopgraph_events::service::run(
        config,
        "confirmed orders are not taken out of the carts",
        |transport, shutdown| {
            (
                router(db.clone(), config),
                spawn_background(db, config, transport, shutdown),
            )
        },
    )
    .await
}
