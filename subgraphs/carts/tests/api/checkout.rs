//! The carts side of the checkout saga: an `OrderConfirmed` on the event bus takes exactly the ordered
//! quantities out of the buyer's cart (what was added after checkout stays, other carts are untouched),
//! and an event delivered twice changes the cart once.

use std::time::Duration;

use shopgraph_events::{DomainEvent, EventEnvelope, Money, OrderConfirmed, OrderLine, processed};
use uuid::Uuid;

use super::{TestApp, add, cart_of, line, lines};

fn order_confirmed(user_id: Uuid, order: &[(Uuid, i32)]) -> OrderConfirmed {
    let lines: Vec<OrderLine> = order
        .iter()
        .map(|(product_id, quantity)| OrderLine {
            product_id: *product_id,
            name: String::from("Product"),
            quantity: *quantity,
            unit_price: Money::new(1000, "USD"),
        })
        .collect();
    let total = lines.iter().map(|l| 1000 * i64::from(l.quantity)).sum();
    OrderConfirmed {
        order_id: Uuid::now_v7(),
        user_id,
        lines,
        total: Money::new(total, "USD"),
        payment_reference: String::from("pay-1"),
    }
}

impl TestApp {
    /// Publishes `event` as the orders service would; returns its envelope.
    async fn publish(&self, event: impl Into<DomainEvent>) -> EventEnvelope {
        let envelope = EventEnvelope::new("orders", &event.into(), None).unwrap();
        self.transport.publish(&envelope).await.unwrap();
        envelope
    }

    /// Waits until the carts consumer group has processed `envelope`.
    async fn processed(&self, envelope: &EventEnvelope) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !processed::is_processed(&self.db, shopgraph_carts::SERVICE, envelope.id)
            .await
            .unwrap()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the carts consumer"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn a_confirmed_order_removes_exactly_the_ordered_quantities() {
    let app = TestApp::spawn().await;
    let (buyer, other) = (Uuid::new_v4(), Uuid::new_v4());
    let (buyer_token, other_token) = (app.token(buyer), app.token(other));
    let [mug, pot, pan, lid, cup] = [(); 5].map(|()| Uuid::new_v4());
    add(&app, &buyer_token, mug, 3).await;
    add(&app, &buyer_token, pot, 2).await;
    add(&app, &buyer_token, pan, 1).await;
    add(&app, &other_token, mug, 5).await;
    // Checked out: 2 mugs, both pots, and a lid that is not in the cart. Then, before the order is
    // confirmed, one more mug and a cup go into the cart.
    let order = order_confirmed(buyer, &[(mug, 2), (pot, 2), (lid, 1)]);
    add(&app, &buyer_token, mug, 1).await;
    add(&app, &buyer_token, cup, 4).await;

    let envelope = app.publish(order).await;
    app.processed(&envelope).await;
    let cart = cart_of(&app, &buyer_token, buyer).await;
    assert_eq!(
        lines(&cart),
        vec![line(mug, 2), line(pan, 1), line(cup, 4)],
        "3 + 1 - 2 mugs, no pots, the pan and the cup stay"
    );
    assert_eq!(cart["itemCount"], 7);
    assert_eq!(
        lines(&cart_of(&app, &other_token, other).await),
        vec![line(mug, 5)],
        "other carts are untouched"
    );

    // An order of a user without a cart, or of products no longer in the cart, changes nothing.
    let nobody = app
        .publish(order_confirmed(Uuid::new_v4(), &[(mug, 1)]))
        .await;
    app.processed(&nobody).await;
    let gone = app.publish(order_confirmed(buyer, &[(pot, 1)])).await;
    app.processed(&gone).await;
    assert_eq!(
        lines(&cart_of(&app, &buyer_token, buyer).await),
        vec![line(mug, 2), line(pan, 1), line(cup, 4)]
    );
}

#[tokio::test]
async fn an_order_confirmed_twice_is_applied_once() {
    let app = TestApp::spawn().await;
    let buyer = Uuid::new_v4();
    let token = app.token(buyer);
    let mug = Uuid::new_v4();
    add(&app, &token, mug, 5).await;

    let envelope =
        EventEnvelope::new("orders", &order_confirmed(buyer, &[(mug, 2)]).into(), None).unwrap();
    app.transport.publish(&envelope).await.unwrap();
    app.transport.publish(&envelope).await.unwrap();
    // The one consumer handles events in order: once this one is processed, both copies were.
    let marker = app
        .publish(order_confirmed(Uuid::new_v4(), &[(mug, 1)]))
        .await;
    app.processed(&marker).await;
    assert_eq!(
        lines(&cart_of(&app, &token, buyer).await),
        vec![line(mug, 3)],
        "5 - 2, once"
    );
}
