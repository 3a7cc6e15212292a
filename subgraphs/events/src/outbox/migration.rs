//! Creates the outbox tables: `event_outbox` (with an index for the relay's "unpublished, in order"
//! query) and `event_outbox_lease`. Portable between SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

/// Append `Box::new(shopgraph_events::outbox::Migration)` to the producing service's `Migrator`.
pub struct Migration;

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Position,
    EventId,
    EventType,
    Version,
    OccurredAt,
    Producer,
    Traceparent,
    Payload,
    PublishedAt,
}

#[derive(DeriveIden)]
enum EventOutboxLease {
    Table,
    Name,
    Holder,
    ExpiresAtMs,
}

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20250601_000001_create_event_outbox"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventOutbox::Table)
                    .col(big_pk_auto(EventOutbox::Position))
                    .col(uuid_uniq(EventOutbox::EventId))
                    .col(string_len(EventOutbox::EventType, 100))
                    .col(integer(EventOutbox::Version))
                    .col(timestamp_with_time_zone(EventOutbox::OccurredAt))
                    .col(string_len(EventOutbox::Producer, 100))
                    .col(string_len_null(EventOutbox::Traceparent, 55))
                    .col(text(EventOutbox::Payload))
                    .col(timestamp_with_time_zone_null(EventOutbox::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_outbox_unpublished_idx")
                    .table(EventOutbox::Table)
                    .col(EventOutbox::PublishedAt)
                    .col(EventOutbox::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventOutboxLease::Table)
                    .col(string_len(EventOutboxLease::Name, 100).primary_key())
                    .col(string_len(EventOutboxLease::Holder, 200))
                    .col(big_integer(EventOutboxLease::ExpiresAtMs))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventOutboxLease::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventOutbox::Table).to_owned())
            .await
    }
}
