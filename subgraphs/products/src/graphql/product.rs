//! The `Product` GraphQL type, built from a `products` row.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use shopgraph_kit::Money;

use crate::entity::product;

/// A product in the catalogue.
#[derive(Debug, Clone, SimpleObject)]
pub struct Product {
    pub id: ID,
    /// Stock-keeping unit: the merchant's unique code for the product, for example `KIT-CHEF-KNIFE-8`.
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Price of one unit.
    pub price: Money,
    pub category: String,
    /// Units available to sell.
    pub stock: i32,
    /// Whether at least one unit is available.
    pub in_stock: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the product is off sale: it is left out of `products` and `categories`, cannot be put
    /// into a cart or ordered, and still resolves by id so that carts and orders can show it.
    pub archived: bool,
}

impl From<product::Model> for Product {
    fn from(row: product::Model) -> Product {
        Product {
            id: ID(row.id.to_string()),
            sku: row.sku,
            name: row.name,
            description: row.description,
            price: Money::new(row.price_amount, row.price_currency),
            category: row.category,
            stock: row.stock,
            in_stock: row.stock > 0,
            created_at: row.created_at,
            updated_at: row.updated_at,
            archived: row.archived_at.is_some(),
        }
    }
}
