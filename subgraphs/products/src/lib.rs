//! The products subgraph: the catalogue (products with SKU, price, category and stock) as a Federation v2
//! subgraph whose `Product` entity other subgraphs reference by `id` or `sku`. Listing is paginated with
//! opaque keyset cursors; writes are for administrators.

pub mod catalogue;
pub mod demo;
pub mod entity;
pub mod graphql;
pub mod migration;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_kit::{Config, JwtKeys, StartError, db, server};

/// The service's name: default database file, logs, configuration.
pub const SERVICE: &str = "products";
/// The port the service listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4002;

/// Connects to the configured database and applies the migrations.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartError> {
    db::connect_and_migrate::<migration::Migrator>(&config.database_url).await
}

/// The HTTP routes of the subgraph over an already migrated `db`.
pub fn router(db: DatabaseConnection, config: &Config) -> Router {
    let schema = graphql::schema(db.clone());
    server::graphql_router(schema, JwtKeys::new(&config.jwt), db)
}

/// Connects, migrates and builds the routes.
pub async fn app(config: &Config) -> Result<Router, StartError> {
    let db = connect(config).await?;
    Ok(router(db, config))
}
