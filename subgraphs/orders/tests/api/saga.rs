//! Orders' part in the checkout saga, driven by publishing products' stock events into the bus the
//! service's consumer reads: payment outcomes for every test token, at-most-once charging under
//! redelivery, stock rejection, reservation expiry, cancellation with refunds (also when a charge lands
//! after the cancel), the state machine's refusals, and one full run over Redis Streams.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use shopgraph_events::{
    DomainEvent, Money as EventMoney, OrderCancelled, OrderConfirmed, OrderFailed, RedisStreams,
    RedisStreamsOptions, ReservationExpired, StockRejected, StockReserved,
};
use shopgraph_kit::Money;
use shopgraph_orders::payment::{Charge, PaymentError, PaymentProvider, Refund};
use shopgraph_orders::{SharedPaymentProvider, SimulatedProvider};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use super::support::{
    Options, PAYMENT_TIMEOUT, Saga, TestApp, assert_no_errors, error_code, history, spawn_app,
    spawn_app_with, uuid_of,
};

fn reserved(order_id: Uuid) -> StockReserved {
    StockReserved {
        order_id,
        expires_at: Utc::now() + chrono::Duration::minutes(15),
    }
}

/// Checks out a one-product cart with `payment_token`; returns the order id.
async fn place(app: &TestApp, payment_token: &str) -> (String, String) {
    let (token, _) = app.shopper();
    let order = app
        .checkout_ok(&token, payment_token, &Uuid::now_v7().to_string())
        .await;
    (order["id"].as_str().unwrap().to_owned(), token)
}

async fn confirm(app: &TestApp, saga: &Saga) -> (String, String) {
    let (id, token) = place(app, "tok_visa").await;
    saga.publish("products", reserved(id.parse().unwrap()))
        .await;
    app.wait_for_status(&id, "CONFIRMED").await;
    (id, token)
}

#[tokio::test]
async fn stock_reserved_and_a_good_card_confirm_the_order_and_announce_it() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    let (token, user) = app.customer();
    let knife = app.product("Chef's knife", 4999, "EUR");
    app.set_cart(user, &[(knife, 2)]);
    let placed = app.checkout_ok(&token, "tok_visa", "k").await;
    let id = placed["id"].as_str().unwrap().to_owned();

    saga.publish("products", reserved(uuid_of(&placed))).await;
    let order = app.wait_for_status(&id, "CONFIRMED").await;
    assert_eq!(
        history(&order),
        vec!["PENDING", "PAYMENT_PENDING", "CONFIRMED"]
    );
    let reference = order["payment"]["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("sim_ch_"), "{reference}");
    assert_eq!(order["payment"]["status"], "PAID");
    assert_eq!(
        order["statusHistory"][2]["reason"],
        format!("payment {reference} received")
    );
    assert_eq!(app.payments.charges(), 1);

    let confirmed = app.events_about("OrderConfirmed", &id).await;
    assert_eq!(
        confirmed,
        vec![DomainEvent::OrderConfirmed(OrderConfirmed {
            order_id: uuid_of(&placed),
            user_id: user,
            lines: vec![shopgraph_events::OrderLine {
                product_id: knife,
                name: "Chef's knife".into(),
                quantity: 2,
                unit_price: EventMoney::new(4999, "EUR"),
            }],
            total: EventMoney::new(9998, "EUR"),
            payment_reference: reference,
        })]
    );

    // The relay published OrderPlaced and OrderConfirmed for the other services.
    let mut subscription = saga.transport.subscribe("test", "t1").await.unwrap();
    let mut published = Vec::new();
    while published.len() < 2 {
        let delivery = subscription
            .next(Duration::from_secs(10))
            .await
            .unwrap()
            .expect("published events");
        let envelope = delivery.envelope().unwrap();
        if envelope.producer == "orders" {
            published.push(envelope.event_type);
        }
    }
    assert_eq!(published, vec!["OrderPlaced", "OrderConfirmed"]);
    saga.stop().await;
}

#[tokio::test]
async fn refused_payments_fail_the_order_with_their_reason() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    for (payment_token, reason) in [
        ("tok_decline", "payment declined"),
        ("tok_insufficient_funds", "insufficient funds"),
        ("tok_timeout", "payment timed out"),
        ("tok_unknown", "payment token is not valid"),
    ] {
        let (id, _) = place(&app, payment_token).await;
        let started = tokio::time::Instant::now();
        saga.publish("products", reserved(id.parse().unwrap()))
            .await;
        let order = app.wait_for_status(&id, "FAILED").await;
        if payment_token == "tok_timeout" {
            assert!(
                started.elapsed() >= PAYMENT_TIMEOUT,
                "failed only after the deadline"
            );
        }
        assert_eq!(
            history(&order),
            vec!["PENDING", "PAYMENT_PENDING", "FAILED"]
        );
        assert_eq!(order["statusHistory"][2]["reason"], reason);
        assert_eq!(order["payment"]["status"], "FAILED");
        assert_eq!(order["payment"]["failureReason"], reason);
        assert_eq!(order["payment"]["reference"], serde_json::Value::Null);
        assert_eq!(
            app.events_about("OrderFailed", &id).await,
            vec![DomainEvent::OrderFailed(OrderFailed {
                order_id: id.parse().unwrap(),
                user_id: order["user"]["id"].as_str().unwrap().parse().unwrap(),
                reason: reason.into(),
            })],
            "{payment_token}"
        );
        assert!(app.events_about("OrderConfirmed", &id).await.is_empty());
    }
    assert_eq!(app.payments.charges(), 0, "nothing was charged");
    saga.stop().await;
}

#[tokio::test]
async fn a_redelivered_or_repeated_stock_reserved_charges_once() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    let (id, _) = place(&app, "tok_visa").await;
    let envelope = saga
        .publish("products", reserved(id.parse().unwrap()))
        .await;
    saga.publish_envelope(&envelope).await;
    app.wait_for_status(&id, "CONFIRMED").await;
    // The same event once more, and a second StockReserved (another event id) for the same order.
    saga.publish_envelope(&envelope).await;
    saga.publish("products", reserved(id.parse().unwrap()))
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;

    let order = app.wait_for_status(&id, "CONFIRMED").await;
    assert_eq!(
        history(&order),
        vec!["PENDING", "PAYMENT_PENDING", "CONFIRMED"]
    );
    assert_eq!(app.payments.charges(), 1, "charged exactly once");
    assert_eq!(app.events_about("OrderConfirmed", &id).await.len(), 1);
    saga.stop().await;
}

#[tokio::test]
async fn the_simulated_provider_is_idempotent_by_order_id_across_restarts() {
    let app = spawn_app().await;
    let provider = &app.payments;
    let order_id = Uuid::now_v7();
    let amount = Money::new(1000, "EUR");
    let first = provider
        .charge(order_id, &amount, "tok_visa")
        .await
        .unwrap();
    let again = provider
        .charge(order_id, &amount, "tok_decline")
        .await
        .unwrap();
    assert_eq!(again, first, "the recorded outcome, not the new token's");
    assert_eq!(provider.charges(), 1);

    // A new instance over the same database (a restart) remembers both.
    let restarted = SimulatedProvider::new(app.db.clone(), Duration::from_secs(1));
    assert_eq!(
        restarted
            .charge(order_id, &amount, "tok_visa")
            .await
            .unwrap(),
        first
    );
    assert_eq!(restarted.charges(), 0, "nothing charged again");

    let declined = Uuid::now_v7();
    assert_eq!(
        provider.charge(declined, &amount, "tok_decline").await,
        Err(PaymentError::Declined)
    );
    assert_eq!(
        restarted.charge(declined, &amount, "tok_visa").await,
        Err(PaymentError::Declined),
        "a refusal is replayed as well"
    );

    let refund = provider.refund(order_id, &first.reference).await.unwrap();
    assert_eq!(
        restarted.refund(order_id, &first.reference).await.unwrap(),
        refund
    );
    assert_eq!(provider.refunds() + restarted.refunds(), 1, "refunded once");
    assert!(matches!(
        provider.refund(declined, "sim_ch_nothing").await,
        Err(PaymentError::UnknownCharge { .. })
    ));

    // Concurrent charges of one order: one charge, one reference.
    let racing = Uuid::now_v7();
    let outcomes =
        futures::future::join_all((0..5).map(|_| provider.charge(racing, &amount, "tok_visa")))
            .await;
    let references: std::collections::HashSet<String> = outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap().reference)
        .collect();
    assert_eq!(references.len(), 1);
    assert_eq!(provider.charges(), 2);
}

#[tokio::test]
async fn stock_rejected_fails_a_pending_order() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    let (id, _) = place(&app, "tok_visa").await;
    saga.publish(
        "products",
        StockRejected {
            order_id: id.parse().unwrap(),
            reason: "Chef's knife: 0 left".into(),
        },
    )
    .await;
    let order = app.wait_for_status(&id, "FAILED").await;
    assert_eq!(history(&order), vec!["PENDING", "FAILED"]);
    assert_eq!(
        order["statusHistory"][1]["reason"],
        "stock could not be reserved: Chef's knife: 0 left"
    );
    assert_eq!(order["payment"]["status"], "UNPAID");
    let failed = app.events_about("OrderFailed", &id).await;
    assert!(
        matches!(&failed[..], [DomainEvent::OrderFailed(e)] if e.reason.contains("0 left")),
        "{failed:?}"
    );
    // A StockReserved arriving after the failure changes nothing and charges nothing.
    saga.publish("products", reserved(id.parse().unwrap()))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.wait_for_status(&id, "FAILED").await["statusHistory"],
        order["statusHistory"]
    );
    assert_eq!(app.payments.charges(), 0);
    saga.stop().await;
}

#[tokio::test]
async fn reservation_expiry_fails_an_unpaid_order_and_leaves_a_confirmed_one() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    let (pending, _) = place(&app, "tok_visa").await;
    saga.publish(
        "products",
        ReservationExpired {
            order_id: pending.parse().unwrap(),
        },
    )
    .await;
    let order = app.wait_for_status(&pending, "FAILED").await;
    assert_eq!(order["statusHistory"][1]["reason"], "reservation expired");
    assert_eq!(app.events_about("OrderFailed", &pending).await.len(), 1);

    let (confirmed, _) = confirm(&app, &saga).await;
    saga.publish(
        "products",
        ReservationExpired {
            order_id: confirmed.parse().unwrap(),
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let order = app.wait_for_status(&confirmed, "CONFIRMED").await;
    assert_eq!(
        history(&order),
        vec!["PENDING", "PAYMENT_PENDING", "CONFIRMED"]
    );
    assert!(app.events_about("OrderFailed", &confirmed).await.is_empty());
    saga.stop().await;
}

#[tokio::test]
async fn cancelling_refunds_a_paid_order_and_announces_it() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    let (id, token) = confirm(&app, &saga).await;
    let cancelled = app.change("cancelOrder", &id, &token).await;
    assert_no_errors(&cancelled);
    let order = &cancelled["data"]["cancelOrder"];
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(
        history(order),
        vec!["PENDING", "PAYMENT_PENDING", "CONFIRMED", "CANCELLED"]
    );
    assert_eq!(
        order["statusHistory"][3]["reason"],
        "cancelled by the customer"
    );
    assert_eq!(order["payment"]["status"], "REFUNDED");
    assert_eq!(app.payments.refunds(), 1);
    let events = app.events_about("OrderCancelled", &id).await;
    let [DomainEvent::OrderCancelled(event)] = &events[..] else {
        panic!("one OrderCancelled expected: {events:?}")
    };
    assert!(event.refunded);
    assert_eq!(event.lines.len(), 1);
    assert_eq!(event.reason, "cancelled by the customer");

    let again = app.change("cancelOrder", &id, &token).await;
    assert_eq!(error_code(&again), "CONFLICT");
    assert_eq!(app.payments.refunds(), 1, "refunded once");
    assert_eq!(app.events_about("OrderCancelled", &id).await.len(), 1);

    // A pending order is cancelled without a refund; a late StockReserved is then ignored.
    let (pending, token) = place(&app, "tok_visa").await;
    let cancelled = app.change("cancelOrder", &pending, &token).await;
    assert_no_errors(&cancelled);
    assert_eq!(
        cancelled["data"]["cancelOrder"]["payment"]["status"],
        "UNPAID"
    );
    let line = &cancelled["data"]["cancelOrder"]["lines"][0];
    assert_eq!(
        app.events_about("OrderCancelled", &pending).await,
        vec![DomainEvent::OrderCancelled(OrderCancelled {
            order_id: pending.parse().unwrap(),
            user_id: cancelled["data"]["cancelOrder"]["user"]["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            reason: "cancelled by the customer".into(),
            lines: vec![shopgraph_events::OrderLine {
                product_id: line["product"]["id"].as_str().unwrap().parse().unwrap(),
                name: "Chef's knife".into(),
                quantity: 1,
                unit_price: EventMoney::new(4999, "EUR"),
            }],
            refunded: false,
        })]
    );
    saga.publish("products", reserved(pending.parse().unwrap()))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.wait_for_status(&pending, "CANCELLED").await["payment"]["status"],
        "UNPAID"
    );
    assert_eq!(
        app.payments.charges(),
        1,
        "only the first order was charged"
    );

    // An administrator may cancel anyone's order.
    let (other, _) = confirm(&app, &saga).await;
    let by_admin = app.change("cancelOrder", &other, &app.admin()).await;
    assert_no_errors(&by_admin);
    assert_eq!(
        by_admin["data"]["cancelOrder"]["statusHistory"][3]["reason"],
        "cancelled by an administrator"
    );
    saga.stop().await;
}

/// A provider whose charges wait until the test lets them through.
#[derive(Debug)]
struct GatedProvider {
    inner: SimulatedProvider,
    gate: Arc<Semaphore>,
    entered: Arc<Notify>,
}

#[async_trait]
impl PaymentProvider for GatedProvider {
    async fn charge(
        &self,
        order_id: Uuid,
        amount: &Money,
        token: &str,
    ) -> Result<Charge, PaymentError> {
        self.entered.notify_one();
        // Each permit the test adds lets exactly one charge through.
        self.gate.acquire().await.unwrap().forget();
        self.inner.charge(order_id, amount, token).await
    }

    async fn refund(&self, order_id: Uuid, reference: &str) -> Result<Refund, PaymentError> {
        self.inner.refund(order_id, reference).await
    }

    fn name(&self) -> &'static str {
        "gated"
    }
}

/// A service whose charges wait at a gate, with a deadline long enough to hold them there.
async fn gated_app() -> (TestApp, Arc<Semaphore>, Arc<Notify>) {
    let gate = Arc::new(Semaphore::new(0));
    let entered = Arc::new(Notify::new());
    let (gate_for_app, entered_for_app) = (Arc::clone(&gate), Arc::clone(&entered));
    let app = spawn_app_with(Options {
        configure: Box::new(|config| config.payment.timeout = Duration::from_secs(30)),
        wrap_payments: Some(Box::new(move |inner| {
            Arc::new(GatedProvider {
                inner,
                gate: gate_for_app,
                entered: entered_for_app,
            }) as SharedPaymentProvider
        })),
    })
    .await;
    (app, gate, entered)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_that_lands_after_the_order_left_payment_is_refunded() {
    let (app, gate, entered) = gated_app().await;
    let saga = app.start_saga();

    // Cancelled while the charge is in flight.
    let (cancelled, token) = place(&app, "tok_visa").await;
    saga.publish("products", reserved(cancelled.parse().unwrap()))
        .await;
    entered.notified().await;
    app.wait_for_status(&cancelled, "PAYMENT_PENDING").await;
    let response = app.change("cancelOrder", &cancelled, &token).await;
    assert_no_errors(&response);
    assert_eq!(
        response["data"]["cancelOrder"]["payment"]["status"],
        "UNPAID"
    );
    gate.add_permits(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let order = loop {
        let order = app.wait_for_status(&cancelled, "CANCELLED").await;
        if order["payment"]["status"] == "REFUNDED" || tokio::time::Instant::now() > deadline {
            break order;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(order["payment"]["status"], "REFUNDED", "{order:#}");
    assert!(
        order["payment"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("sim_ch_")
    );
    assert_eq!(app.payments.charges(), 1);
    assert_eq!(app.payments.refunds(), 1);
    assert!(
        app.events_about("OrderConfirmed", &cancelled)
            .await
            .is_empty()
    );

    // Its reservation expired while the charge was in flight.
    let (expired, _) = place(&app, "tok_visa").await;
    saga.publish("products", reserved(expired.parse().unwrap()))
        .await;
    entered.notified().await;
    app.wait_for_status(&expired, "PAYMENT_PENDING").await;
    saga.publish(
        "products",
        ReservationExpired {
            order_id: expired.parse().unwrap(),
        },
    )
    .await;
    app.wait_for_status(&expired, "FAILED").await;
    gate.add_permits(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let order = app.wait_for_status(&expired, "FAILED").await;
        if order["payment"]["status"] == "REFUNDED" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not refunded: {order:#}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(app.payments.refunds(), 2);
    saga.stop().await;
}

#[tokio::test]
async fn illegal_transitions_are_errors_and_change_nothing() {
    let app = spawn_app().await;
    let saga = app.start_saga();
    let admin = app.admin();
    let (pending, owner) = place(&app, "tok_visa").await;
    for mutation in ["markShipped", "markDelivered"] {
        let response = app.change(mutation, &pending, &admin).await;
        assert_eq!(
            error_code(&response),
            "CONFLICT",
            "{mutation}: {response:#}"
        );
        assert!(
            response["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("an order cannot go from PENDING to"),
            "{response:#}"
        );
    }
    let customer = app.change("markShipped", &pending, &owner).await;
    assert_eq!(error_code(&customer), "FORBIDDEN");

    let (id, owner) = confirm(&app, &saga).await;
    assert_eq!(
        error_code(&app.change("markDelivered", &id, &admin).await),
        "CONFLICT"
    );
    let shipped = app.change("markShipped", &id, &admin).await;
    assert_no_errors(&shipped);
    assert_eq!(shipped["data"]["markShipped"]["status"], "SHIPPED");
    let cancel = app.change("cancelOrder", &id, &owner).await;
    assert_eq!(error_code(&cancel), "CONFLICT");
    assert_eq!(
        cancel["errors"][0]["message"],
        "an order cannot go from SHIPPED to CANCELLED"
    );
    let delivered = app.change("markDelivered", &id, &admin).await;
    assert_no_errors(&delivered);
    let order = &delivered["data"]["markDelivered"];
    assert_eq!(
        history(order),
        vec![
            "PENDING",
            "PAYMENT_PENDING",
            "CONFIRMED",
            "SHIPPED",
            "DELIVERED"
        ]
    );
    for mutation in ["markShipped", "markDelivered", "cancelOrder"] {
        assert_eq!(
            error_code(&app.change(mutation, &id, &admin).await),
            "CONFLICT",
            "{mutation}"
        );
    }
    assert_eq!(
        history(&app.wait_for_status(&id, "DELIVERED").await).len(),
        5
    );
    assert_eq!(
        app.payments.refunds(),
        0,
        "a refused cancel refunds nothing"
    );
    let unknown = app
        .change("markShipped", &Uuid::now_v7().to_string(), &admin)
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    saga.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_saga_runs_over_redis_streams() {
    let Some(url) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("TEST_REDIS_URL is not set: Redis variant skipped");
        return;
    };
    let stream = format!("shopgraph-test:orders:{}", Uuid::new_v4().simple());
    let redis = RedisStreams::connect(&url, RedisStreamsOptions::with_stream(stream.clone()))
        .await
        .unwrap();
    let dead_stream = redis.dead_letter_stream().to_owned();
    let app = spawn_app().await;
    let saga = app.start_saga_on(Arc::new(redis));
    let outcome = async {
        let (id, _) = place(&app, "tok_visa").await;
        saga.publish("products", reserved(id.parse().unwrap()))
            .await;
        let order = app.wait_for_status(&id, "CONFIRMED").await;
        assert_eq!(order["payment"]["status"], "PAID");
        let mut subscription = saga.transport.subscribe("test", "t1").await.unwrap();
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let delivery = subscription
                .next(Duration::from_secs(10))
                .await
                .unwrap()
                .expect("events on the stream");
            seen.push(delivery.envelope().unwrap().event_type);
        }
        // The test publishes StockReserved while the relay publishes OrderPlaced: their order varies.
        seen.sort();
        assert_eq!(seen, vec!["OrderConfirmed", "OrderPlaced", "StockReserved"]);
        assert_eq!(app.payments.charges(), 1);
    };
    outcome.await;
    saga.stop().await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&stream)
        .arg(&dead_stream)
        .query_async(&mut connection)
        .await
        .unwrap();
}
