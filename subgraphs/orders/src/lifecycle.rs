//! The status changes people ask for through the API: cancelling an order (while PENDING,
//! PAYMENT_PENDING or CONFIRMED), with compensation — a paid order is refunded through the payment
//! provider first, then the order becomes CANCELLED with an `OrderCancelled` event, in one transaction —
//! and an administrator marking an order shipped or delivered. Every change goes through the state
//! machine; one that lost a race with another change is retried on the order as it is now.

use sea_orm::{DatabaseConnection, TransactionTrait};
use shopgraph_events::{OrderCancelled, outbox};
use uuid::Uuid;

use crate::entity::order;
use crate::payment::{PaymentError, PaymentProvider};
use crate::status::{IllegalTransition, OrderStatus, PaymentStatus};
use crate::store::{self, PaymentChange, StoreError};

/// How often a change is tried against an order whose status keeps changing under it.
const ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("order {0} does not exist")]
    NotFound(Uuid),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("the refund failed: {0}")]
    Refund(PaymentError),
    #[error("order {0} kept changing; try again")]
    Contended(Uuid),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for LifecycleError {
    fn from(err: StoreError) -> LifecycleError {
        match err {
            StoreError::Illegal(illegal) => LifecycleError::Illegal(illegal),
            other => LifecycleError::Store(other),
        }
    }
}

impl From<sea_orm::DbErr> for LifecycleError {
    fn from(err: sea_orm::DbErr) -> LifecycleError {
        LifecycleError::Store(StoreError::Database(err))
    }
}

/// Cancels order `id` for `reason`: refunds its payment if it was paid (idempotently, so a retry after a
/// failure refunds once), then moves it to CANCELLED and writes `OrderCancelled { refunded }`.
pub async fn cancel(
    db: &DatabaseConnection,
    payments: &dyn PaymentProvider,
    id: Uuid,
    reason: &str,
) -> Result<order::Model, LifecycleError> {
    for _ in 0..ATTEMPTS {
        let order = store::find(db, id)
            .await?
            .ok_or(LifecycleError::NotFound(id))?;
        store::status_of(&order)?.transition(OrderStatus::Cancelled)?;
        let refunded = match (store::payment_status_of(&order)?, &order.payment_reference) {
            (PaymentStatus::Paid, Some(reference)) => {
                let refund = payments
                    .refund(order.id, reference)
                    .await
                    .map_err(LifecycleError::Refund)?;
                tracing::info!(order_id = %order.id, refund = %refund.reference, "refunded for cancellation");
                true
            }
            _ => false,
        };
        let lines = store::lines_of(db, &[order.id])
            .await?
            .remove(&order.id)
            .unwrap_or_default();
        let payment = if refunded {
            PaymentChange::Refunded
        } else {
            PaymentChange::Keep
        };
        let txn = db.begin().await?;
        match store::transition(&txn, &order, OrderStatus::Cancelled, reason, payment).await {
            Ok(cancelled) => {
                let event = OrderCancelled {
                    order_id: order.id,
                    user_id: order.user_id,
                    reason: reason.to_owned(),
                    lines: store::event_lines(&lines),
                    refunded,
                };
                outbox::append(&txn, crate::SERVICE, event, None).await?;
                txn.commit().await?;
                outbox::wake_relays();
                return Ok(cancelled);
            }
            Err(StoreError::Stale { .. }) => {
                txn.rollback().await?;
            }
            Err(err) => {
                txn.rollback().await?;
                return Err(err.into());
            }
        }
    }
    Err(LifecycleError::Contended(id))
}

/// Moves order `id` to `to` (SHIPPED or DELIVERED, an administrator's doing) with `reason`.
pub async fn advance(
    db: &DatabaseConnection,
    id: Uuid,
    to: OrderStatus,
    reason: &str,
) -> Result<order::Model, LifecycleError> {
    for _ in 0..ATTEMPTS {
        let order = store::find(db, id)
            .await?
            .ok_or(LifecycleError::NotFound(id))?;
        store::status_of(&order)?.transition(to)?;
        let txn = db.begin().await?;
        match store::transition(&txn, &order, to, reason, PaymentChange::Keep).await {
            Ok(updated) => {
                txn.commit().await?;
                return Ok(updated);
            }
            Err(StoreError::Stale { .. }) => {
                txn.rollback().await?;
            }
            Err(err) => {
                txn.rollback().await?;
                return Err(err.into());
            }
        }
    }
    Err(LifecycleError::Contended(id))
}
