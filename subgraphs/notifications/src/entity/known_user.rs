//! The `known_users` table: the local user directory built from `UserRegistered` and `UserEmailChanged`
//! (id → email and name), so that order emails can be addressed without asking the users service.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "known_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Normalised email, as the users service published it.
    pub email: String,
    pub name: String,
    /// When the event that set `email` and `name` occurred; an older event never overwrites a newer one.
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
