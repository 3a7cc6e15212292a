//! Payments that do not go through: a declined card and a provider that does not answer in time. Each
//! order ends FAILED with the reason (in its history and on its payment), the reserved units go back so
//! the stock is what it was before, the customer gets an ORDER_FAILED notification naming the reason, and
//! the cart keeps its items (only a confirmed order empties it).

use serde_json::json;

use crate::support::{Backend, Customer, PAYMENT_TIMEOUT, Platform, text};

/// Checks `customer`'s cart out with `token` and follows the order to FAILED for `reason`.
async fn failed_payment(customer: &Customer, product: &str, token: &str, reason: &str) {
    let order = customer.checkout(token).await;
    let id = text(&order["id"]);
    let (status, history) = customer.wait_for_final(&id).await;
    assert_eq!(status, "FAILED", "{token}: {history:#?}");
    assert!(
        history
            .iter()
            .any(|line| line.starts_with("PAYMENT_PENDING")),
        "{token}: the stock was reserved and the payment tried: {history:#?}"
    );
    let last = history.last().expect("history");
    assert!(
        last.starts_with("FAILED") && last.contains(reason),
        "{token}: the order failed for {reason:?}: {history:#?}"
    );
    let payment = customer
        .client
        .data(
            "query($id: ID!) { order(id: $id) { payment { status reference failureReason } } }",
            json!({ "id": id }),
        )
        .await;
    let payment = &payment["order"]["payment"];
    assert_eq!(payment["status"], "FAILED", "{token}: {payment:#}");
    assert_eq!(payment["reference"], serde_json::Value::Null);
    assert!(
        payment["failureReason"]
            .as_str()
            .is_some_and(|r| r.contains(reason)),
        "{token}: {payment:#}"
    );

    let notifications = customer
        .wait_for_notifications(&["WELCOME", "ORDER_FAILED"])
        .await;
    assert_eq!(notifications.len(), 2, "{notifications:#?}");
    let (_, subject, body) = &notifications[0];
    assert_eq!(subject, "Your shopgraph order could not be completed");
    assert!(body.contains(&id) && body.contains(reason), "{body}");

    assert_eq!(
        customer.cart().await,
        [(
            product.to_owned(),
            if token == "tok_decline" { 3 } else { 2 }
        )],
        "{token}: a failed order leaves the cart as it was"
    );
}

async fn declined_and_timed_out(backend: Backend) {
    let platform = Platform::start(&backend).await;
    let kettle = platform.product("Kettle", 3900, 10).await;
    let before = platform.stock(&kettle).await;
    let grace = platform.customer("Grace Hopper").await;
    let alan = platform.customer("Alan Turing").await;
    grace.add_to_cart(&kettle, 3).await;
    alan.add_to_cart(&kettle, 2).await;

    let started = std::time::Instant::now();
    tokio::join!(
        failed_payment(&grace, &kettle, "tok_decline", "payment declined"),
        failed_payment(&alan, &kettle, "tok_timeout", "payment timed out"),
    );
    assert!(
        started.elapsed() >= PAYMENT_TIMEOUT,
        "the timed-out charge waited for the payment deadline"
    );

    // Both reservations are released: the stock is back where it was.
    platform
        .wait_for_stock(
            &kettle,
            before,
            "the failed orders' units to go back in stock",
        )
        .await;
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_declined_and_timed_out_payments_on_sqlite() {
    declined_and_timed_out(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_declined_and_timed_out_payments_on_postgres_and_redis() {
    if let Some(backend) = Backend::postgres_from_env("c_declined_and_timed_out_payments") {
        declined_and_timed_out(backend).await;
    }
}
