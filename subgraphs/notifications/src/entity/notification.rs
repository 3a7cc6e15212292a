//! The `notifications` table: one row per (event, kind) — the unique index `notifications_event_kind_key`
//! makes a redelivered event unable to store a second one — holding the rendered message and its delivery
//! state. Kind, channel and status are stored as the `as_str` text of their enums.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// UUIDv7, so ids sort by creation time (the listing's order and cursor).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// The domain event the notification was made for.
    pub event_id: Uuid,
    /// `NotificationKind::as_str`.
    pub kind: String,
    /// `Channel::as_str`.
    pub channel: String,
    /// The address the message goes to; `None` while the user is unknown to the directory.
    pub recipient: Option<String>,
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// HTML alternative of the body.
    pub body_html: Option<String>,
    /// `DeliveryStatus::as_str`: `PENDING`, `SENT` or `FAILED`.
    pub status: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Delivery attempts started so far.
    pub attempts: i32,
    /// When a `PENDING` notification is due for its next attempt (also the claim of a running attempt).
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
