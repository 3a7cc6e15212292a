//! The carts' projection of the catalogue: one row per product the catalogue events told carts about,
//! with its current price and whether it is archived. Owned by the products subgraph; carts only mirrors
//! it (see [`crate::catalogue`]).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalogue_product")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_id: Uuid,
    /// Price of one unit in minor units of `price_currency`; `None` until an event carried a price.
    pub price_amount: Option<i64>,
    pub price_currency: Option<String>,
    pub archived: bool,
    /// The product's change time of the newest event applied; older events are ignored.
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
