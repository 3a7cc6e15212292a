//! DataLoaders that fetch, for any number of orders, the orders themselves, their lines, or their status
//! histories in one query each.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::entity::{order, order_line, order_status_change};
use crate::store;

/// Loads orders by id.
pub struct OrdersById {
    db: DatabaseConnection,
}

impl OrdersById {
    pub fn new(db: DatabaseConnection) -> OrdersById {
        OrdersById { db }
    }
}

impl Loader<Uuid> for OrdersById {
    type Value = order::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, order::Model>, Arc<DbErr>> {
        let orders = store::find_many(&self.db, ids).await.map_err(Arc::new)?;
        Ok(orders.into_iter().map(|order| (order.id, order)).collect())
    }
}

/// Loads the lines of orders, by order id.
pub struct LinesByOrder {
    db: DatabaseConnection,
}

impl LinesByOrder {
    pub fn new(db: DatabaseConnection) -> LinesByOrder {
        LinesByOrder { db }
    }
}

impl Loader<Uuid> for LinesByOrder {
    type Value = Vec<order_line::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<order_line::Model>>, Arc<DbErr>> {
        store::lines_of(&self.db, ids).await.map_err(Arc::new)
    }
}

/// Loads the status histories of orders, by order id.
pub struct HistoryByOrder {
    db: DatabaseConnection,
}

impl HistoryByOrder {
    pub fn new(db: DatabaseConnection) -> HistoryByOrder {
        HistoryByOrder { db }
    }
}

impl Loader<Uuid> for HistoryByOrder {
    type Value = Vec<order_status_change::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<order_status_change::Model>>, Arc<DbErr>> {
        store::history_of(&self.db, ids).await.map_err(Arc::new)
    }
}
