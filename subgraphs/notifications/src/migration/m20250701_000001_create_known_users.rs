//! Creates `known_users`, the local directory of users (id → email, name) the event consumer keeps.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KnownUsers {
    Table,
    UserId,
    Email,
    Name,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KnownUsers::Table)
                    .col(pk_uuid(KnownUsers::UserId))
                    .col(string_len(KnownUsers::Email, 254))
                    .col(string_len(KnownUsers::Name, 100))
                    .col(timestamp_with_time_zone(KnownUsers::ChangedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KnownUsers::Table).to_owned())
            .await
    }
}
