//! The carts GraphQL schema (Federation v2): `User.cart` on the users' `User` entity, the `Cart` entity
//! with its `@requires`-priced `subtotal`, the `Product` reference, and the cart mutations.

mod loaded_carts;
mod loader;
mod mutation;
mod query;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, ID, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ErrorCode;
use shopgraph_kit::error::internal;
use uuid::Uuid;

use crate::catalogue::{self, Availability};
use crate::store::{MAX_LINE_QUANTITY, StoreError};

pub use loaded_carts::{LoadedCarts, PerRequestCarts};
pub use loader::{AvailabilityLoader, CartsById, CartsByUser};
pub use mutation::Mutation;
pub use query::Query;
pub use types::{Cart, CartItem, Product, User};

pub type CartsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema over `db`, with the DataLoaders its resolvers batch through.
pub fn schema_builder(db: DatabaseConnection) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .extension(PerRequestCarts)
        .data(DataLoader::new(CartsByUser::new(db.clone()), tokio::spawn))
        .data(DataLoader::new(CartsById::new(db.clone()), tokio::spawn))
        .data(DataLoader::new(
            AvailabilityLoader::new(db.clone()),
            tokio::spawn,
        ))
        .data(db)
}

/// A client-supplied product id, which must be a UUID.
fn parse_product_id(id: &ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        ErrorCode::BadUserInput.error(format!("productId `{}` is not a valid UUID", id.as_str()))
    })
}

/// A line quantity: at least 1 and at most `MAX_LINE_QUANTITY`.
fn check_quantity(quantity: i32) -> async_graphql::Result<()> {
    if quantity < 1 {
        return Err(ErrorCode::BadUserInput.error(format!(
            "quantity must be positive, got {quantity} (use removeFromCart to drop a line)"
        )));
    }
    if quantity > MAX_LINE_QUANTITY {
        return Err(ErrorCode::BadUserInput.error(format!(
            "quantity must be at most {MAX_LINE_QUANTITY}, got {quantity}"
        )));
    }
    Ok(())
}

/// The client-facing error for a failed cart operation.
fn store_error(err: StoreError) -> async_graphql::Error {
    match err {
        StoreError::LineNotFound { .. } => ErrorCode::NotFound.error(err.to_string()),
        StoreError::QuantityLimit => ErrorCode::BadUserInput.error(err.to_string()),
        StoreError::Database(_) | StoreError::CartVanished { .. } => {
            internal("cart operation failed", err)
        }
    }
}

/// `Ok` when `product_id` may be put into a cart, as the catalogue projection knows it: `NOT_FOUND` for a
/// product the catalogue never announced, `PRODUCT_UNAVAILABLE` for an archived one.
async fn require_available(db: &DatabaseConnection, product_id: Uuid) -> async_graphql::Result<()> {
    let found = catalogue::availability(db, &[product_id])
        .await
        .map_err(|err| internal("reading the catalogue projection", err))?;
    match found
        .get(&product_id)
        .copied()
        .unwrap_or(Availability::Unknown)
    {
        Availability::Available => Ok(()),
        Availability::Unknown => {
            Err(ErrorCode::NotFound.error(format!("product {product_id} does not exist")))
        }
        Availability::Archived => Err(ErrorCode::ProductUnavailable
            .error(format!("product {product_id} is no longer on sale"))),
    }
}
