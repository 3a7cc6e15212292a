//! Creates the `event_processed` table (primary key `(consumer_group, event_id)`) and an index on
//! `processed_at` for purging old entries. Portable between SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

/// Append `Box::new(shopgraph_events::processed::Migration)` to the consuming service's `Migrator`.
pub struct Migration;

#[derive(DeriveIden)]
enum EventProcessed {
    Table,
    ConsumerGroup,
    EventId,
    ProcessedAt,
}

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20250601_000002_create_event_processed"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventProcessed::Table)
                    .col(string_len(EventProcessed::ConsumerGroup, 100))
                    .col(uuid(EventProcessed::EventId))
                    .col(timestamp_with_time_zone(EventProcessed::ProcessedAt))
                    .primary_key(
                        Index::create()
                            .col(EventProcessed::ConsumerGroup)
                            .col(EventProcessed::EventId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_processed_at_idx")
                    .table(EventProcessed::Table)
                    .col(EventProcessed::ProcessedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventProcessed::Table).to_owned())
            .await
    }
}
