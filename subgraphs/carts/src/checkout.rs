//! The carts consumer of order events (consumer group `carts`): when an order is confirmed, the ordered
//! quantities leave the buyer's cart — each line loses the quantity ordered and disappears when nothing
//! is left — while whatever was added after checkout stays. It runs in the consumer's transaction,
//! next to the processed-event record, so a redelivered event changes the cart once.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use shopgraph_events::{
    DomainEvent, EventHandler, EventPayload, HandlerError, Interest, OrderConfirmed, OrderLine,
    ReceivedEvent,
};
use uuid::Uuid;

use crate::store;

/// Removes confirmed orders' items from carts.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckoutHandler;

/// The ordered quantity per product (lines of one product added up); lines with a quantity that is not
/// positive are left out.
pub fn ordered_quantities(lines: &[OrderLine]) -> Vec<(Uuid, i32)> {
    let mut merged: BTreeMap<Uuid, i32> = BTreeMap::new();
    for line in lines.iter().filter(|line| line.quantity > 0) {
        let quantity = merged.entry(line.product_id).or_default();
        *quantity = quantity.saturating_add(line.quantity);
    }
    merged.into_iter().collect()
}

#[async_trait]
impl EventHandler for CheckoutHandler {
    fn interest(&self) -> Interest {
        Interest::only([OrderConfirmed::TYPE])
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        received: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let DomainEvent::OrderConfirmed(confirmed) = &received.event else {
            return Ok(());
        };
        let ordered = ordered_quantities(&confirmed.lines);
        let changed = store::remove_ordered(txn, confirmed.user_id, &ordered).await?;
        tracing::info!(
            order_id = %confirmed.order_id,
            user_id = %confirmed.user_id,
            lines_changed = changed,
            "ordered items removed from the cart"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use shopgraph_events::Money;

    use super::*;

    #[test]
    fn quantities_add_up_per_product_and_non_positive_lines_are_ignored() {
        let line = |product_id, quantity| OrderLine {
            product_id,
            name: String::from("Mug"),
            quantity,
            unit_price: Money::new(100, "USD"),
        };
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut expected = vec![(a, 5), (b, 1)];
        expected.sort();
        assert_eq!(
            ordered_quantities(&[line(a, 2), line(b, 1), line(a, 3), line(b, 0), line(a, -4)]),
            expected
        );
    }
}
