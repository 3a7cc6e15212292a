//! The products consumer of order events (consumer group `products`): `OrderPlaced` reserves the
//! order's stock and answers `StockReserved` or `StockRejected` through the outbox; `OrderConfirmed`
//! sells the reservation (re-reserving one that expired, with a loud error when the stock is gone);
//! `OrderFailed` releases it; `OrderCancelled` releases or restocks it. Everything happens in the
//! consumer's transaction, next to the processed-event record.

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use shopgraph_events::{
    DomainEvent, EventHandler, EventPayload, HandlerError, Interest, OrderCancelled,
    OrderConfirmed, OrderFailed, OrderPlaced, ReceivedEvent, StockRejected, StockReserved, outbox,
};

use super::{Placement, ReservationError};
use crate::SERVICE;

/// Acts on the order events that move stock.
#[derive(Debug, Clone)]
pub struct ReservationHandler {
    ttl: Duration,
}

impl ReservationHandler {
    /// A handler whose reservations last `ttl`.
    pub fn new(ttl: Duration) -> ReservationHandler {
        ReservationHandler { ttl }
    }
}

fn handler_error(err: ReservationError) -> HandlerError {
    match err {
        ReservationError::Database(err) => HandlerError::Database(err),
        ReservationError::Invalid(message) => HandlerError::permanent(message),
    }
}

#[async_trait]
impl EventHandler for ReservationHandler {
    fn interest(&self) -> Interest {
        Interest::only([
            OrderPlaced::TYPE,
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
        let traceparent = received.envelope.traceparent.clone();
        match &received.event {
            DomainEvent::OrderPlaced(placed) => {
                let order_id = placed.order_id;
                match super::reserve(txn, order_id, &placed.lines, self.ttl)
                    .await
                    .map_err(handler_error)?
                {
                    Placement::Reserved { expires_at } => {
                        outbox::append(
                            txn,
                            SERVICE,
                            StockReserved {
                                order_id,
                                expires_at,
                            },
                            traceparent,
                        )
                        .await?;
                        tracing::info!(%order_id, %expires_at, "stock reserved");
                    }
                    Placement::Rejected { reason } => {
                        tracing::info!(%order_id, %reason, "stock rejected");
                        outbox::append(
                            txn,
                            SERVICE,
                            StockRejected { order_id, reason },
                            traceparent,
                        )
                        .await?;
                    }
                    Placement::AlreadyReserved => {
                        tracing::warn!(%order_id, "order placed again; its reservations stand");
                    }
                }
            }
            DomainEvent::OrderConfirmed(confirmed) => {
                let order_id = confirmed.order_id;
                let sale = super::sell(txn, order_id, &confirmed.lines)
                    .await
                    .map_err(handler_error)?;
                if sale.resold > 0 {
                    tracing::warn!(
                        %order_id,
                        lines = sale.resold,
                        "order confirmed after its reservation was released: stock taken again"
                    );
                }
                for (product_id, quantity, available) in &sale.unavailable {
                    tracing::error!(
                        %order_id,
                        %product_id,
                        quantity,
                        available = ?available,
                        "PAID ORDER CANNOT BE FULFILLED: its reservation expired before the payment \
                         was confirmed and the stock is gone; needs manual attention (refund or \
                         restock)"
                    );
                }
                if sale.restocked_before > 0 {
                    tracing::warn!(%order_id, "order confirmed after it was cancelled and restocked; left as is");
                }
                tracing::info!(%order_id, sold = sale.sold, "reservation sold");
            }
            DomainEvent::OrderFailed(failed) => {
                let order_id = failed.order_id;
                let released = super::release(txn, order_id).await?;
                if released.kept_sold > 0 {
                    tracing::warn!(%order_id, "failed order has sold lines; they are kept");
                }
                tracing::info!(%order_id, released = released.released, "reservation released");
            }
            DomainEvent::OrderCancelled(cancelled) => {
                let order_id = cancelled.order_id;
                let returned = super::cancel(txn, order_id).await?;
                tracing::info!(
                    %order_id,
                    released = returned.released,
                    restocked = returned.restocked,
                    "cancelled order's stock returned"
                );
            }
            other => {
                tracing::debug!(event_type = other.event_type(), "event not for products");
            }
        }
        Ok(())
    }
}
