//! The GraphQL face of the products subgraph: the schema (Federation v2, `Product` an entity keyed by
//! `id` and by `sku`), and how catalogue failures become GraphQL errors with `extensions.code`.

mod connection;
mod loader;
mod mutation;
mod product;
mod query;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, ID, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ErrorCode;
use shopgraph_kit::error::internal;
use uuid::Uuid;

use crate::catalogue::CatalogueError;

pub use connection::{PageInfo, ProductConnection, ProductEdge, ProductFilterInput, ProductOrder};
pub use loader::{LoadError, ProductLoader, Sku};
pub use mutation::{CreateProductInput, MoneyInput, Mutation, UpdateProductInput};
pub use product::Product;
pub use query::Query;

pub type ProductsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The subgraph's schema over `db`. Its `DataLoader` keeps no cache, so it is shared by all requests.
pub fn schema_builder(db: DatabaseConnection) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .data(DataLoader::new(
            ProductLoader::new(db.clone()),
            tokio::spawn,
        ))
        .data(db)
}

/// The GraphQL error for a failed catalogue operation.
fn catalogue_error(err: CatalogueError) -> async_graphql::Error {
    match err {
        CatalogueError::Invalid(message) => ErrorCode::BadUserInput.error(message),
        CatalogueError::SkuTaken(_) => ErrorCode::Conflict.error(err.to_string()),
        CatalogueError::NotFound(_) => ErrorCode::NotFound.error(err.to_string()),
        CatalogueError::Database(err) => internal("products database operation failed", err),
    }
}

/// A product id from the API, or `BAD_USER_INPUT` when it is not a UUID.
fn parse_product_id(id: &ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        ErrorCode::BadUserInput.error(format!("`{}` is not a valid product id", id.as_str()))
    })
}
