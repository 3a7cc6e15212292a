//! Twenty customers check out one unit each of a product with five units, all at once: exactly five
//! orders are confirmed and fifteen fail for lack of stock, the stock ends at zero, and — sampled all the
//! while — it never goes below zero (nor above five: a rejected order reserves nothing).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::join_all;

use crate::support::{Backend, Platform, by_status, stock_of, text};

const CUSTOMERS: usize = 20;
const UNITS: i64 = 5;

async fn last_units(backend: Backend) {
    let platform = Platform::start(&backend).await;
    let lamp = platform.product("Last Lamp", 4900, UNITS).await;
    let names: Vec<String> = (0..CUSTOMERS).map(|i| format!("Buyer {i}")).collect();
    let customers = join_all(names.iter().map(|name| platform.customer(name))).await;
    join_all(customers.iter().map(|c| c.add_to_cart(&lamp, 1))).await;

    // Sample the stock through the router while the checkouts run.
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let client = platform.anonymous();
        let lamp = lamp.clone();
        let running = Arc::clone(&running);
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while running.load(Ordering::SeqCst) {
                samples.push(stock_of(&client, &lamp).await);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            samples
        })
    };

    let orders = join_all(customers.iter().map(|c| c.checkout("tok_visa"))).await;
    let outcomes: Vec<(String, String)> = join_all(customers.iter().zip(&orders).map(
        |(customer, order)| async move {
            let id = text(&order["id"]);
            let (status, history) = customer.wait_for_final(&id).await;
            if status == "FAILED" {
                assert!(
                    history
                        .last()
                        .is_some_and(|line| line.contains("stock could not be reserved")),
                    "order {id} failed for another reason: {history:#?}"
                );
            }
            (id, status)
        },
    ))
    .await;
    running.store(false, Ordering::SeqCst);
    let samples = sampler.await.expect("sampler");

    let statuses = by_status(&outcomes);
    let confirmed = statuses.get("CONFIRMED").map_or(0, Vec::len);
    let failed = statuses.get("FAILED").map_or(0, Vec::len);
    assert_eq!(
        (confirmed, failed),
        (5, 15),
        "expected 5 CONFIRMED and 15 FAILED: {outcomes:#?}"
    );
    assert_eq!(platform.stock(&lamp).await, 0);
    assert!(samples.len() > 3, "the stock was sampled: {samples:?}");
    assert!(
        samples.iter().all(|s| (0..=UNITS).contains(s)),
        "the stock left 0..=5 while checkouts ran: {samples:?}"
    );
    assert!(
        samples.windows(2).all(|w| w[1] <= w[0]),
        "the stock only goes down (no reservation is undone): {samples:?}"
    );

    // Every customer hears about their order: five confirmations, fifteen failures.
    let mut kinds = Vec::new();
    for (customer, (_, status)) in customers.iter().zip(&outcomes) {
        let kind = if status == "CONFIRMED" {
            "ORDER_CONFIRMED"
        } else {
            "ORDER_FAILED"
        };
        customer.wait_for_notifications(&["WELCOME", kind]).await;
        kinds.push(kind);
    }
    assert_eq!(kinds.iter().filter(|k| **k == "ORDER_CONFIRMED").count(), 5);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_twenty_checkouts_for_five_units_on_sqlite() {
    last_units(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_twenty_checkouts_for_five_units_on_postgres_and_redis() {
    if let Some(backend) = Backend::postgres_from_env("b_twenty_checkouts_for_five_units") {
        last_units(backend).await;
    }
}
