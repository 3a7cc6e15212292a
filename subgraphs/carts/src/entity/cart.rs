//! A user's cart: one row per user (unique `user_id`), with its own id so that the cart is an entity of its
//! own in the supergraph.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owner, a user of the users subgraph. Unique: one cart per user.
    #[sea_orm(unique)]
    pub user_id: Uuid,
    pub created_at: DateTimeUtc,
    /// When a line was last added, changed or removed.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::cart_item::Entity")]
    Items,
}

impl Related<super::cart_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Items.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
