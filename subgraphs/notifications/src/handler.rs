//! The event consumer's handler. Users' `UserRegistered` and `UserEmailChanged` keep the local
//! [directory](crate::directory) current (and a registration stores the welcome notification); the order
//! events `OrderConfirmed`, `OrderFailed` and `OrderCancelled` store one rendered notification for the
//! order's user. Everything happens in the consumer's transaction, so the processed-event record, the
//! directory change and the notification commit together; sending happens later, in the
//! [dispatcher](crate::dispatch).
//!
//! An order event for a user the directory does not know yet is retried (its `UserRegistered` may still
//! be on its way). On the consumer's last attempt it is stored anyway — FAILED with the error
//! `unknown recipient`, greeting "there" — instead of being dead-lettered, so the user still finds it in
//! their notifications; when the user's `UserRegistered` or `UserEmailChanged` arrives later, such
//! notifications get the address and are queued for delivery again.

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use shopgraph_events::{
    DomainEvent, EventHandler, EventPayload, HandlerError, Interest, OrderCancelled,
    OrderConfirmed, OrderFailed, ReceivedEvent, UserEmailChanged, UserRegistered,
};
use uuid::Uuid;

use crate::directory::{self, Contact};
use crate::inbox::{self, NewNotification};
use crate::notification::Channel;
use crate::templates;

/// Handles the events notifications consumes.
#[derive(Debug, Clone)]
pub struct NotificationHandler {
    /// The consumer's `max_attempts`: on this delivery an order event for an unknown user is stored
    /// without a recipient instead of failing again.
    max_attempts: u32,
}

impl NotificationHandler {
    /// A handler for a consumer that delivers each event at most `consumer_max_attempts` times.
    pub fn new(consumer_max_attempts: u32) -> NotificationHandler {
        NotificationHandler {
            max_attempts: consumer_max_attempts.max(1),
        }
    }

    /// The notification for `event` to `user_id`, addressed from the directory.
    async fn notify_order_user(
        &self,
        txn: &DatabaseTransaction,
        received: &ReceivedEvent,
        user_id: Uuid,
    ) -> Result<(), HandlerError> {
        let contact = directory::find(txn, user_id).await?;
        if contact.is_none() && received.attempt < self.max_attempts {
            return Err(HandlerError::failed(format!(
                "unknown recipient: user {user_id} is not in the directory yet (attempt {} of {})",
                received.attempt, self.max_attempts
            )));
        }
        if contact.is_none() {
            tracing::warn!(%user_id, event_id = %received.envelope.id, "storing a notification for an unknown user as FAILED");
        }
        store(txn, received, user_id, contact).await
    }
}

#[async_trait]
impl EventHandler for NotificationHandler {
    fn interest(&self) -> Interest {
        Interest::only([
            UserRegistered::TYPE,
            UserEmailChanged::TYPE,
            OrderConfirmed::TYPE,
            OrderFailed::TYPE,
            OrderCancelled::TYPE,
        ])
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        received: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let occurred_at = received.envelope.occurred_at;
        match &received.event {
            DomainEvent::UserRegistered(event) => {
                let contact =
                    directory::record(txn, event.user_id, &event.email, &event.name, occurred_at)
                        .await?;
                inbox::address_parked(txn, &contact).await?;
                store(txn, received, event.user_id, Some(contact)).await
            }
            DomainEvent::UserEmailChanged(event) => {
                let contact =
                    directory::record(txn, event.user_id, &event.email, &event.name, occurred_at)
                        .await?;
                inbox::address_parked(txn, &contact).await?;
                Ok(())
            }
            DomainEvent::OrderConfirmed(event) => {
                self.notify_order_user(txn, received, event.user_id).await
            }
            DomainEvent::OrderFailed(event) => {
                self.notify_order_user(txn, received, event.user_id).await
            }
            DomainEvent::OrderCancelled(event) => {
                self.notify_order_user(txn, received, event.user_id).await
            }
            _ => Ok(()),
        }
    }
}

/// Renders and stores the notification `received` causes for `user_id` (nothing when it causes none or
/// the event has one already).
async fn store(
    txn: &DatabaseTransaction,
    received: &ReceivedEvent,
    user_id: Uuid,
    recipient: Option<Contact>,
) -> Result<(), HandlerError> {
    let name = recipient.as_ref().map(|contact| contact.name.as_str());
    let Some(message) = templates::render(&received.event, name)
        .map_err(|err| HandlerError::permanent(format!("cannot render the notification: {err}")))?
    else {
        return Ok(());
    };
    let kind = message.kind;
    let new = NewNotification {
        user_id,
        event_id: received.envelope.id,
        channel: Channel::Email,
        recipient,
        message,
    };
    if !inbox::store(txn, new).await? {
        tracing::debug!(event_id = %received.envelope.id, kind = kind.as_str(), "the event has its notification already");
    }
    Ok(())
}
