//! The `products` table: one row per catalogue item, its price as integer minor units plus an ISO 4217
//! currency code.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Price in minor units of `price_currency` (cents for USD).
    pub price_amount: i64,
    /// ISO 4217 code, three uppercase letters.
    pub price_currency: String,
    pub category: String,
    pub stock: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the product was taken off sale; `None` while it is on sale.
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
