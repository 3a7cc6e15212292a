//! The `Mutation` root: catalogue writes, for administrators only (`UNAUTHENTICATED` without a valid
//! token, `FORBIDDEN` for customers).

use async_graphql::{Context, ID, InputObject, Object};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ViewerExt;

use super::product::Product;
use super::{catalogue_error, parse_product_id};
use crate::catalogue::{self, NewProduct, Price, ProductChanges};

/// An amount of money: `amount` in minor units of `currency` (ISO 4217, three uppercase letters).
#[derive(Debug, Clone, InputObject)]
pub struct MoneyInput {
    pub amount: i64,
    pub currency: String,
}

impl From<MoneyInput> for Price {
    fn from(input: MoneyInput) -> Price {
        Price {
            amount: input.amount,
            currency: input.currency,
        }
    }
}

/// A new product. Text is trimmed; `sku`, `name` and `category` must not be empty, `price.amount` and
/// `stock` must not be negative.
#[derive(Debug, Clone, InputObject)]
pub struct CreateProductInput {
    /// Unique among all products.
    pub sku: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub price: MoneyInput,
    pub category: String,
    #[graphql(default)]
    pub stock: i32,
}

/// Changes to a product; fields left out keep their value.
#[derive(Debug, Clone, Default, InputObject)]
pub struct UpdateProductInput {
    /// Unique among all products.
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<MoneyInput>,
    pub category: Option<String>,
    pub stock: Option<i32>,
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds a product. `CONFLICT` when the SKU is taken.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<Product> {
        ctx.viewer().require_admin()?;
        let db = ctx.data::<DatabaseConnection>()?;
        let new = NewProduct {
            sku: input.sku,
            name: input.name,
            description: input.description,
            price: input.price.into(),
            category: input.category,
            stock: input.stock,
        };
        let row = catalogue::create(db, new).await.map_err(catalogue_error)?;
        Ok(row.into())
    }

    /// Changes the given fields of a product. `NOT_FOUND` for an unknown id, `CONFLICT` when the new SKU
    /// is taken.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        ctx.viewer().require_admin()?;
        let id = parse_product_id(&id)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let changes = ProductChanges {
            sku: input.sku,
            name: input.name,
            description: input.description,
            price: input.price.map(Price::from),
            category: input.category,
            stock: input.stock,
        };
        let row = catalogue::update(db, id, changes)
            .await
            .map_err(catalogue_error)?;
        Ok(row.into())
    }

    /// Sets how many units are available. `NOT_FOUND` for an unknown id.
    async fn set_stock(
        &self,
        ctx: &Context<'_>,
        id: ID,
        stock: i32,
    ) -> async_graphql::Result<Product> {
        ctx.viewer().require_admin()?;
        let id = parse_product_id(&id)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let row = catalogue::set_stock(db, id, stock)
            .await
            .map_err(catalogue_error)?;
        Ok(row.into())
    }

    /// Takes a product off sale: it leaves the listing, search and categories, cannot be put into a cart
    /// or ordered, and still resolves by id with `archived: true`. Archiving an archived product changes
    /// nothing. `NOT_FOUND` for an unknown id.
    async fn archive_product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Product> {
        ctx.viewer().require_admin()?;
        let id = parse_product_id(&id)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let row = catalogue::archive(db, id).await.map_err(catalogue_error)?;
        Ok(row.into())
    }

    /// Puts an archived product on sale again; restoring a product on sale changes nothing. `NOT_FOUND`
    /// for an unknown id.
    async fn restore_product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Product> {
        ctx.viewer().require_admin()?;
        let id = parse_product_id(&id)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let row = catalogue::restore(db, id).await.map_err(catalogue_error)?;
        Ok(row.into())
    }
}
