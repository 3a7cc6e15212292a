//! The saga's event handler: products' stock events applied to orders, each inside the consumer's
//! transaction (processed-event record, status change, history entry and any `OrderFailed` commit
//! together). Events about an order in a status they no longer apply to are acknowledged and ignored:
//! a late `StockReserved` for a cancelled order, a `ReservationExpired` for a paid one.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use shopgraph_events::{
    DomainEvent, EventHandler, EventPayload, HandlerError, Interest, OrderFailed, ReceivedEvent,
    ReservationExpired, StockRejected, StockReserved, outbox,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::entity::order;
use crate::status::OrderStatus;
use crate::store::{self, PaymentChange, StoreError};

/// The reason recorded when a reservation ran out before the payment.
pub const RESERVATION_EXPIRED: &str = "reservation expired";

/// Applies `StockReserved`, `StockRejected` and `ReservationExpired` to orders.
#[derive(Debug, Clone)]
pub struct SagaHandler {
    /// Tells the payment worker that an order awaits its charge.
    payments_due: Arc<Notify>,
}

impl SagaHandler {
    /// A handler that pokes `payments_due` when an order becomes PAYMENT_PENDING.
    pub fn new(payments_due: Arc<Notify>) -> SagaHandler {
        SagaHandler { payments_due }
    }
}

fn store_failure(err: StoreError) -> HandlerError {
    match err {
        StoreError::Database(err) => HandlerError::Database(err),
        // The order changed under us (an API call committed first): retry on its new status.
        StoreError::Stale { .. } => HandlerError::failed(err.to_string()),
        StoreError::Illegal(_) | StoreError::Corrupt { .. } => {
            HandlerError::permanent(err.to_string())
        }
    }
}

async fn order_for(
    txn: &DatabaseTransaction,
    order_id: Uuid,
    event_type: &str,
) -> Result<order::Model, HandlerError> {
    store::find(txn, order_id).await?.ok_or_else(|| {
        HandlerError::permanent(format!(
            "{event_type} for order {order_id}, which does not exist"
        ))
    })
}

impl SagaHandler {
    async fn stock_reserved(
        &self,
        txn: &DatabaseTransaction,
        event: &StockReserved,
    ) -> Result<(), HandlerError> {
        let order = order_for(txn, event.order_id, StockReserved::TYPE).await?;
        let status = store::status_of(&order).map_err(store_failure)?;
        if status != OrderStatus::Pending {
            tracing::info!(order_id = %order.id, %status, "StockReserved for an order that is not PENDING; ignored");
            return Ok(());
        }
        let reason = format!("stock reserved until {}", event.expires_at.to_rfc3339());
        store::transition(
            txn,
            &order,
            OrderStatus::PaymentPending,
            &reason,
            PaymentChange::Keep,
        )
        .await
        .map_err(store_failure)?;
        self.payments_due.notify_one();
        Ok(())
    }

    /// Fails the order for `reason` if it is in one of `from`; otherwise leaves it.
    async fn fail(
        &self,
        txn: &DatabaseTransaction,
        received: &ReceivedEvent,
        order_id: Uuid,
        from: &[OrderStatus],
        reason: &str,
    ) -> Result<(), HandlerError> {
        let order = order_for(txn, order_id, &received.envelope.event_type).await?;
        let status = store::status_of(&order).map_err(store_failure)?;
        if !from.contains(&status) {
            tracing::info!(order_id = %order.id, %status, event = %received.envelope.event_type, "event does not apply to the order's status; ignored");
            return Ok(());
        }
        store::transition(
            txn,
            &order,
            OrderStatus::Failed,
            reason,
            PaymentChange::Keep,
        )
        .await
        .map_err(store_failure)?;
        let event = OrderFailed {
            order_id: order.id,
            user_id: order.user_id,
            reason: reason.to_owned(),
        };
        outbox::append(
            txn,
            crate::SERVICE,
            event,
            received.envelope.traceparent.clone(),
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl EventHandler for SagaHandler {
    fn interest(&self) -> Interest {
        Interest::only([
            StockReserved::TYPE,
            StockRejected::TYPE,
            ReservationExpired::TYPE,
        ])
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        received: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        match &received.event {
            DomainEvent::StockReserved(event) => self.stock_reserved(txn, event).await,
            DomainEvent::StockRejected(event) => {
                let reason = format!("stock could not be reserved: {}", event.reason);
                self.fail(
                    txn,
                    received,
                    event.order_id,
                    &[OrderStatus::Pending],
                    &reason,
                )
                .await
            }
            DomainEvent::ReservationExpired(event) => {
                // Not yet charged: PENDING, or PAYMENT_PENDING with the charge still to be recorded (a
                // charge that succeeds after this is refunded by the payment worker).
                self.fail(
                    txn,
                    received,
                    event.order_id,
                    &[OrderStatus::Pending, OrderStatus::PaymentPending],
                    RESERVATION_EXPIRED,
                )
                .await
            }
            _ => Ok(()),
        }
    }
}
