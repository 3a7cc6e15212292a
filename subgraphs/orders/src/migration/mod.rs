//! The schema migrations of the orders database, applied in order at start-up: the orders with their
//! lines and status history, the simulated payment provider's charges, then the shared event outbox
//! (orders produces events) and the processed-event record (orders consumes them).

use sea_orm_migration::prelude::*;

mod m20250701_000001_create_orders;
mod m20250701_000002_create_simulated_payment_charges;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250701_000001_create_orders::Migration),
            Box::new(m20250701_000002_create_simulated_payment_charges::Migration),
            Box::new(shopgraph_events::outbox::Migration),
            Box::new(shopgraph_events::processed::Migration),
        ]
    }
}
