//! The schema migrations of the products database, applied in order at start-up: the products table,
//! the shared event outbox and processed-event tables, then the stock reservations, then archiving (with a `ProductCreated` event for every product that
//! existed before the catalogue events did).

use sea_orm_migration::prelude::*;

mod m20250601_000001_create_products;
mod m20250701_000001_create_reservations;
mod m20261206_000001_archive_products;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_create_products::Migration),
            Box::new(shopgraph_events::outbox::Migration),
            Box::new(shopgraph_events::processed::Migration),
            Box::new(m20250701_000001_create_reservations::Migration),
            Box::new(m20261206_000001_archive_products::Migration),
        ]
    }
}
