//! Creates `notifications` with the unique `(event_id, kind)` index that allows one notification per
//! event, an index for a user's listing (newest first by id) and one for the delivery loop's "due now"
//! query.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    EventId,
    Kind,
    Channel,
    Recipient,
    Subject,
    Body,
    BodyHtml,
    Status,
    Error,
    Attempts,
    NextAttemptAt,
    SentAt,
    ReadAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::UserId))
                    .col(uuid(Notifications::EventId))
                    .col(string_len(Notifications::Kind, 32))
                    .col(string_len(Notifications::Channel, 16))
                    .col(string_len_null(Notifications::Recipient, 254))
                    .col(text(Notifications::Subject))
                    .col(text(Notifications::Body))
                    .col(text_null(Notifications::BodyHtml))
                    .col(string_len(Notifications::Status, 16))
                    .col(text_null(Notifications::Error))
                    .col(integer(Notifications::Attempts))
                    .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Notifications::SentAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone(Notifications::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_event_kind_key")
                    .table(Notifications::Table)
                    .col(Notifications::EventId)
                    .col(Notifications::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_user_idx")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_due_idx")
                    .table(Notifications::Table)
                    .col(Notifications::Status)
                    .col(Notifications::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}
