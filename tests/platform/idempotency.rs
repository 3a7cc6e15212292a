//! A client that sends the same checkout twice at once (a retry racing the original) with one
//! idempotency key gets one order: both answers name it, the customer has one order, products reserves
//! once, the payment provider charges once, and asking again later still returns that order.

use futures::future::join;
use serde_json::json;
use uuid::Uuid;

use crate::support::{Backend, Platform, count, text};

async fn one_order_per_key(backend: Backend) {
    let platform = Platform::start(&backend).await;
    let lamp = platform.product("Desk Lamp", 2999, 10).await;
    let ada = platform.customer("Ada Lovelace").await;
    ada.add_to_cart(&lamp, 1).await;

    let key = Uuid::new_v4().to_string();
    let (first, second) = join(
        ada.try_checkout("tok_visa", &key),
        ada.try_checkout("tok_visa", &key),
    )
    .await;
    for response in [&first, &second] {
        assert!(response.get("errors").is_none(), "{response:#}");
    }
    let id = text(&first["data"]["checkout"]["id"]);
    assert_eq!(
        second["data"]["checkout"]["id"], id,
        "the same key gave two orders: {first:#} {second:#}"
    );

    let (status, history) = ada.wait_for_final(&id).await;
    assert_eq!(status, "CONFIRMED", "{history:#?}");
    let orders = ada
        .client
        .data("{ me { orders { totalCount nodes { id } } } }", json!({}))
        .await;
    assert_eq!(
        orders["me"]["orders"],
        json!({ "totalCount": 1, "nodes": [{ "id": id }] })
    );

    // Once more, after the fact: still that order, now confirmed.
    let again = ada.try_checkout("tok_visa", &key).await;
    assert_eq!(again["data"]["checkout"]["id"], id, "{again:#}");
    assert_eq!(again["data"]["checkout"]["status"], "CONFIRMED");

    // One reservation of one unit, one charge.
    assert_eq!(platform.stock(&lamp).await, 9);
    let orders_db = platform.database("orders").await;
    assert_eq!(
        count(&orders_db, "SELECT COUNT(*) FROM orders", vec![]).await,
        1
    );
    assert_eq!(
        count(
            &orders_db,
            "SELECT COUNT(*) FROM simulated_payment_charges",
            vec![]
        )
        .await,
        1,
        "one charge"
    );
    let products_db = platform.database("products").await;
    assert_eq!(
        count(&products_db, "SELECT COUNT(*) FROM reservations", vec![]).await,
        1,
        "one reservation"
    );
    let events = platform.events().await;
    let placed = events
        .iter()
        .filter(|e| e.event_type == "OrderPlaced")
        .count();
    assert_eq!(placed, 1, "one OrderPlaced");
    ada.wait_for_notifications(&["WELCOME", "ORDER_CONFIRMED"])
        .await;
    assert_eq!(ada.notifications().await.len(), 2);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_one_order_per_idempotency_key_on_sqlite() {
    one_order_per_key(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_one_order_per_idempotency_key_on_postgres_and_redis() {
    if let Some(backend) = Backend::postgres_from_env("d_one_order_per_idempotency_key") {
        one_order_per_key(backend).await;
    }
}
