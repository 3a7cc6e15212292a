//! DataLoaders that batch cart look-ups: every `User.cart` (by user id) and every `Cart` entity (by cart
//! id) resolved in one tick becomes one query for the carts and one for their lines; every line's
//! availability in the catalogue projection, one query.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::catalogue::{self, Availability};
use crate::store::{self, CartRecord, StoreError};

/// Carts by owner; a user without a cart gets an empty one (carts are created lazily).
pub struct CartsByUser {
    db: DatabaseConnection,
}

impl CartsByUser {
    pub fn new(db: DatabaseConnection) -> CartsByUser {
        CartsByUser { db }
    }
}

impl Loader<Uuid> for CartsByUser {
    type Value = CartRecord;
    type Error = Arc<StoreError>;

    async fn load(&self, user_ids: &[Uuid]) -> Result<HashMap<Uuid, CartRecord>, Self::Error> {
        store::carts_of_users(&self.db, user_ids)
            .await
            .map_err(Arc::new)
    }
}

/// Carts by their own id; unknown ids are absent from the result.
pub struct CartsById {
    db: DatabaseConnection,
}

impl CartsById {
    pub fn new(db: DatabaseConnection) -> CartsById {
        CartsById { db }
    }
}

impl Loader<Uuid> for CartsById {
    type Value = CartRecord;
    type Error = Arc<StoreError>;

    async fn load(&self, cart_ids: &[Uuid]) -> Result<HashMap<Uuid, CartRecord>, Self::Error> {
        store::carts_by_id(&self.db, cart_ids)
            .await
            .map_err(Arc::new)
    }
}

/// The availability of products in the catalogue projection; every key gets a value.
pub struct AvailabilityLoader {
    db: DatabaseConnection,
}

impl AvailabilityLoader {
    pub fn new(db: DatabaseConnection) -> AvailabilityLoader {
        AvailabilityLoader { db }
    }
}

impl Loader<Uuid> for AvailabilityLoader {
    type Value = Availability;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Availability>, Self::Error> {
        catalogue::availability(&self.db, ids)
            .await
            .map_err(Arc::new)
    }
}
