//! The `Query` root: one product, the paginated listing, the category list, and the federation entity
//! resolvers (by `id` and by `sku`), all lookups going through the batching `ProductLoader`.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ErrorCode;
use shopgraph_kit::error::internal;
use uuid::Uuid;

use super::connection::{ProductConnection, ProductFilterInput, ProductOrder};
use super::loader::{ProductLoader, Sku};
use super::product::Product;
use super::{catalogue_error, parse_product_id};
use crate::catalogue::{self, Cursor, PageRequest};

/// The largest page `products(first:)` returns.
pub const MAX_PAGE_SIZE: i32 = 100;

pub struct Query;

async fn load_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Product>> {
    let loader = ctx.data::<DataLoader<ProductLoader>>()?;
    let row = loader
        .load_one(id)
        .await
        .map_err(|err| internal("loading a product by id failed", err))?;
    Ok(row.map(Product::from))
}

async fn load_by_sku(ctx: &Context<'_>, sku: String) -> async_graphql::Result<Option<Product>> {
    let loader = ctx.data::<DataLoader<ProductLoader>>()?;
    let row = loader
        .load_one(Sku(sku))
        .await
        .map_err(|err| internal("loading a product by sku failed", err))?;
    Ok(row.map(Product::from))
}

#[Object]
impl Query {
    /// The product with this `id` or this `sku` (give exactly one), or null when there is none.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        sku: Option<String>,
    ) -> async_graphql::Result<Option<Product>> {
        match (id, sku) {
            (Some(id), None) => load_by_id(ctx, parse_product_id(&id)?).await,
            (None, Some(sku)) => load_by_sku(ctx, sku).await,
            _ => Err(ErrorCode::BadUserInput.error("give exactly one of `id` and `sku`")),
        }
    }

    /// A page of the catalogue: the first `first` products (at most 100) after the cursor `after`,
    /// among those matching `filter`, in the order `orderBy`.
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        filter: Option<ProductFilterInput>,
        #[graphql(default)] order_by: ProductOrder,
    ) -> async_graphql::Result<ProductConnection> {
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(ErrorCode::BadUserInput
                .error(format!("first must be between 0 and {MAX_PAGE_SIZE}")));
        }
        let first = usize::try_from(first).unwrap_or_default();
        let order = order_by.into();
        let after = after
            .map(|text| Cursor::decode(&text, order))
            .transpose()
            .map_err(|err| ErrorCode::BadUserInput.error(err.to_string()))?;
        let filter = catalogue::ProductFilter::from(filter.unwrap_or_default())
            .validated()
            .map_err(catalogue_error)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let request = PageRequest {
            order,
            first,
            after,
        };
        let page = catalogue::page(db, &filter, &request)
            .await
            .map_err(|err| internal("listing products failed", err))?;
        Ok(ProductConnection::new(page, filter))
    }

    /// Every category that has products, sorted.
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let db = ctx.data::<DatabaseConnection>()?;
        catalogue::categories(db)
            .await
            .map_err(|err| internal("listing categories failed", err))
    }

    /// Entity resolver: a product by id; null for unknown (or malformed) ids.
    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Product>> {
        match Uuid::parse_str(id.as_str()) {
            Ok(id) => load_by_id(ctx, id).await,
            Err(_) => Ok(None),
        }
    }

    /// Entity resolver: a product by SKU; null for unknown SKUs.
    #[graphql(entity)]
    async fn find_product_by_sku(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> async_graphql::Result<Option<Product>> {
        load_by_sku(ctx, sku).await
    }
}
