//! The `Notification` type: one message sent (or to be sent) to the signed-in user, as stored.

use async_graphql::{ID, Object, Result};
use chrono::{DateTime, Utc};
use shopgraph_kit::error::internal;

use crate::entity::notification;
use crate::notification::{Channel, DeliveryStatus, NotificationKind};

/// A message to a user about something that happened to their account or orders.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What the notification is about.
    async fn kind(&self) -> Result<NotificationKind> {
        NotificationKind::parse(&self.0.kind).ok_or_else(|| corrupt("kind", &self.0.kind))
    }

    /// How it is delivered.
    async fn channel(&self) -> Result<Channel> {
        Channel::parse(&self.0.channel).ok_or_else(|| corrupt("channel", &self.0.channel))
    }

    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The message as plain text.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Where its delivery stands.
    async fn status(&self) -> Result<DeliveryStatus> {
        DeliveryStatus::parse(&self.0.status).ok_or_else(|| corrupt("status", &self.0.status))
    }

    /// When the user marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

fn corrupt(column: &str, value: &str) -> async_graphql::Error {
    internal(
        "reading a notification",
        format!("unknown {column} `{value}` in the notifications table"),
    )
}
