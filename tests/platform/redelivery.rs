//! The transport delivers at least once, so every consumer must act once per event: after an order is
//! confirmed, its `OrderPlaced` and `OrderConfirmed` envelopes are published again, unchanged (same event
//! ids). A later order (another customer) runs through the saga behind the duplicates, so once it is done
//! every consumer group has read past them. The duplicates changed nothing: the stock moved once for the
//! first order, products answered its `OrderPlaced` once, notifications stored one confirmation, carts
//! did not take the ordered quantity out of the cart a second time, and nothing was dead-lettered.

use crate::support::{Backend, Platform, count, events_of, eventually, text};

async fn duplicates_change_nothing(backend: Backend) {
    let platform = Platform::start(&backend).await;
    let mug = platform.product("Redelivered Mug", 1500, 10).await;
    let ada = platform.customer("Ada Lovelace").await;
    let bob = platform.customer("Bob Marker").await;

    ada.add_to_cart(&mug, 2).await;
    let first = text(&ada.checkout("tok_visa").await["id"]);
    assert_eq!(ada.wait_for_final(&first).await.0, "CONFIRMED");
    ada.wait_for_notifications(&["WELCOME", "ORDER_CONFIRMED"])
        .await;
    eventually("the first order to leave the cart", || async {
        let cart = ada.cart().await;
        if cart.is_empty() {
            Ok(())
        } else {
            Err(format!("the cart holds {cart:?}"))
        }
    })
    .await;
    assert_eq!(platform.stock(&mug).await, 8);
    // Three more mugs in the cart: a second `OrderConfirmed` for the first order would take two out.
    ada.add_to_cart(&mug, 3).await;

    // Publish the first order's OrderPlaced and OrderConfirmed again, as they were.
    let events = platform.events().await;
    let placed = events_of(&events, "OrderPlaced", &first);
    let confirmed = events_of(&events, "OrderConfirmed", &first);
    assert_eq!((placed.len(), confirmed.len()), (1, 1), "{events:#?}");
    for envelope in [placed[0], confirmed[0]] {
        platform
            .stack
            .events()
            .publish(envelope)
            .await
            .expect("publish the duplicate");
    }

    // Bob's order comes after the duplicates on the stream.
    bob.add_to_cart(&mug, 1).await;
    let second = text(&bob.checkout("tok_visa").await["id"]);
    assert_eq!(bob.wait_for_final(&second).await.0, "CONFIRMED");
    bob.wait_for_notifications(&["WELCOME", "ORDER_CONFIRMED"])
        .await;
    eventually("Bob's order to leave his cart", || async {
        let cart = bob.cart().await;
        if cart.is_empty() {
            Ok(())
        } else {
            Err(format!("Bob's cart holds {cart:?}"))
        }
    })
    .await;

    // products: one change of stock per order, one answer per order, one reservation per order.
    assert_eq!(platform.stock(&mug).await, 7);
    let events = platform.events().await;
    assert_eq!(events_of(&events, "OrderPlaced", &first).len(), 2);
    assert_eq!(events_of(&events, "StockReserved", &first).len(), 1);
    assert_eq!(events_of(&events, "StockReserved", &second).len(), 1);
    let products_db = platform.database("products").await;
    assert_eq!(
        count(&products_db, "SELECT COUNT(*) FROM reservations", vec![]).await,
        2
    );
    // notifications: one confirmation for Ada (and her welcome).
    let notifications = ada.notifications().await;
    assert_eq!(
        notifications
            .iter()
            .map(|(kind, _, _)| kind.as_str())
            .collect::<Vec<_>>(),
        ["ORDER_CONFIRMED", "WELCOME"],
        "{notifications:#?}"
    );
    // carts: Ada's three mugs are all still there.
    assert_eq!(ada.cart().await, [(mug.clone(), 3)]);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_duplicate_events_change_nothing_on_sqlite() {
    duplicates_change_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_duplicate_events_change_nothing_on_postgres_and_redis() {
    if let Some(backend) = Backend::postgres_from_env("e_duplicate_events_change_nothing") {
        duplicates_change_nothing(backend).await;
    }
}
