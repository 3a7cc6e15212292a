//! The `users` table: one row per account, with its normalised (trimmed, lower-case) email, display name,
//! argon2id password hash and role (stored as its `Role::as_str` text).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Trimmed and lower-cased; unique (index `users_email_key`).
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// PHC string of an argon2id hash.
    pub password_hash: String,
    /// `CUSTOMER` or `ADMIN`.
    pub role: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
