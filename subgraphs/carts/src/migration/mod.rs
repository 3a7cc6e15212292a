//! The carts database schema, as sea-orm migrations run at start-up: the carts and their lines, then the
//! shared processed-event table of the event consumers (carts emits no events, so no outbox), then the
//! projection of the catalogue and the name of the consumer group that fills it.

use sea_orm_migration::prelude::*;

mod m20250101_000001_create_carts;
mod m20261206_000001_create_catalogue_products;
mod m20261206_000002_name_catalogue_group;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_carts::Migration),
            Box::new(shopgraph_events::processed::Migration),
            Box::new(m20261206_000001_create_catalogue_products::Migration),
            Box::new(m20261206_000002_name_catalogue_group::Migration),
        ]
    }
}
