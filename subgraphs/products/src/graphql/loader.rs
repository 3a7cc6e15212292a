//! Batch loading of products by id and by SKU: every key requested while a query is being resolved
//! (for example the representations of one `_entities` call) is fetched with a single SQL query.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::catalogue;
use crate::entity::product;

/// A product's SKU as a loader key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(pub String);

/// A batch load failed; shared by every waiting resolver.
#[derive(Debug, Clone, thiserror::Error)]
#[error("loading products failed: {0}")]
pub struct LoadError(Arc<DbErr>);

/// Loads products by `Uuid` and by `Sku`; keys without a product are absent from the result.
pub struct ProductLoader {
    db: DatabaseConnection,
}

impl ProductLoader {
    pub fn new(db: DatabaseConnection) -> ProductLoader {
        ProductLoader { db }
    }
}

impl Loader<Uuid> for ProductLoader {
    type Value = product::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, product::Model>, LoadError> {
        let rows = catalogue::by_ids(&self.db, ids)
            .await
            .map_err(|err| LoadError(Arc::new(err)))?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

impl Loader<Sku> for ProductLoader {
    type Value = product::Model;
    type Error = LoadError;

    async fn load(&self, skus: &[Sku]) -> Result<HashMap<Sku, product::Model>, LoadError> {
        let skus: Vec<String> = skus.iter().map(|sku| sku.0.clone()).collect();
        let rows = catalogue::by_skus(&self.db, &skus)
            .await
            .map_err(|err| LoadError(Arc::new(err)))?;
        Ok(rows
            .into_iter()
            .map(|row| (Sku(row.sku.clone()), row))
            .collect())
    }
}
