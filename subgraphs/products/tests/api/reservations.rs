//! Stock reservations in the checkout saga: `OrderPlaced` reserves every line or none and answers
//! `StockReserved`/`StockRejected`; `OrderConfirmed` sells; `OrderFailed` releases; `OrderCancelled`
//! releases or restocks; the expiry sweep releases lapsed reservations once, with one
//! `ReservationExpired` per order; concurrent orders never oversell; duplicates change nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait};
use shopgraph_events::{DomainEvent, EventEnvelope, Shutdown};
use shopgraph_kit::Config;
use shopgraph_products::entity::product;
use shopgraph_products::reservations::{ExpirySweeper, ReservationSettings, SweepReport};
use uuid::Uuid;

use crate::on_both_transports;
use crate::saga::{Backend, Saga, order_cancelled, order_confirmed, order_failed, order_placed};

const RESERVED: &str = "RESERVED";
const SOLD: &str = "SOLD";
const RELEASED: &str = "RELEASED";
const RESTOCKED: &str = "RESTOCKED";

/// A saga with one background instance and the default settings.
async fn saga_with_one_instance(backend: Backend) -> Saga {
    let mut saga = Saga::new(backend).await;
    saga.spawn_instances(1, &ReservationSettings::default())
        .await;
    saga
}

/// The answers about `order_id` among `answers`.
fn about(answers: &[DomainEvent], order_id: Uuid) -> Vec<DomainEvent> {
    answers
        .iter()
        .filter(|event| match event {
            DomainEvent::StockReserved(e) => e.order_id == order_id,
            DomainEvent::StockRejected(e) => e.order_id == order_id,
            DomainEvent::ReservationExpired(e) => e.order_id == order_id,
            _ => false,
        })
        .cloned()
        .collect()
}

on_both_transports!(
    an_order_with_enough_stock_is_reserved,
    twenty_concurrent_orders_for_five_units_reserve_exactly_five,
);

async fn an_order_with_enough_stock_is_reserved(backend: Backend) {
    let mut saga = saga_with_one_instance(backend).await;
    let mug = saga.product("MUG", 5).await;
    let pot = saga.product("POT", 3).await;
    let order = Uuid::now_v7();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let placed = EventEnvelope::new(
        "orders",
        &order_placed(order, &[(mug, 2), (pot, 3)]).into(),
        Some(traceparent.to_owned()),
    )
    .unwrap();
    let before = Utc::now();
    saga.publish_envelope(&placed).await;

    let answers = saga.wait_answers(1).await;
    let DomainEvent::StockReserved(reserved) = &answers[0] else {
        panic!("expected StockReserved: {answers:#?}");
    };
    assert_eq!(reserved.order_id, order);
    let ttl = chrono::Duration::seconds(900);
    assert!(
        reserved.expires_at >= before + ttl - chrono::Duration::seconds(1)
            && reserved.expires_at <= Utc::now() + ttl,
        "held for the default 15 minutes: {}",
        reserved.expires_at
    );
    assert_eq!(saga.stock(mug).await, 3);
    assert_eq!(saga.stock(pot).await, 0);
    let mut expected = vec![(mug, 2, RESERVED.to_owned()), (pot, 3, RESERVED.to_owned())];
    expected.sort();
    assert_eq!(saga.reservations(order).await, expected);

    let published = saga.published(1).await;
    assert_eq!(published[0].event_type, "StockReserved");
    assert_eq!(published[0].producer, "products");
    assert_eq!(
        published[0].traceparent.as_deref(),
        Some(traceparent),
        "the answer carries the trace of the order"
    );
    assert_eq!(published[0].decode().unwrap(), answers[0]);
    saga.stop().await;
}

#[tokio::test]
async fn one_line_short_of_stock_rejects_the_order_and_changes_no_stock() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mut ids = [saga.product("A", 5).await, saga.product("B", 5).await];
    ids.sort();
    // Lines are reserved in product id order: the line that fails comes after one that succeeded.
    let [plenty, scarce] = ids;
    saga.set_stock(scarce, 1).await;
    let order = Uuid::now_v7();
    saga.publish(order_placed(order, &[(plenty, 2), (scarce, 2)]))
        .await;

    let answers = saga.wait_answers(1).await;
    let DomainEvent::StockRejected(rejected) = &answers[0] else {
        panic!("expected StockRejected: {answers:#?}");
    };
    assert_eq!(rejected.order_id, order);
    assert!(
        rejected.reason.contains(&scarce.to_string())
            && rejected.reason.contains("2 requested, 1 available"),
        "{}",
        rejected.reason
    );
    assert_eq!(
        saga.stock(plenty).await,
        5,
        "the first line's units are back"
    );
    assert_eq!(saga.stock(scarce).await, 1);
    assert!(saga.reservations(order).await.is_empty());

    let unknown = Uuid::new_v4();
    let no_product = Uuid::now_v7();
    saga.publish(order_placed(no_product, &[(plenty, 1), (unknown, 1)]))
        .await;
    let no_lines = Uuid::now_v7();
    saga.publish(order_placed(no_lines, &[])).await;
    let answers = saga.wait_answers(3).await;
    match about(&answers, no_product).as_slice() {
        [DomainEvent::StockRejected(rejected)] => {
            assert_eq!(rejected.reason, format!("product {unknown} does not exist"))
        }
        other => panic!("{other:#?}"),
    }
    match about(&answers, no_lines).as_slice() {
        [DomainEvent::StockRejected(rejected)] => {
            assert_eq!(rejected.reason, "the order has no lines")
        }
        other => panic!("{other:#?}"),
    }
    assert_eq!(saga.stock(plenty).await, 5);
    assert!(saga.all_reservations().await.is_empty());
    saga.stop().await;
}

#[tokio::test]
async fn the_same_order_placed_twice_is_reserved_once() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 5).await;
    let order = Uuid::now_v7();
    let placed = saga.publish(order_placed(order, &[(mug, 2)])).await;
    // Delivered again (the same event), and announced again (a new event for the same order).
    saga.publish_envelope(&placed).await;
    saga.publish(order_placed(order, &[(mug, 2)])).await;
    // The one consumer handles events in order: once this one is answered, the others are done.
    let marker = Uuid::now_v7();
    saga.publish(order_placed(marker, &[(mug, 1)])).await;
    let answers = saga.wait_answers(2).await;
    assert_eq!(answers.len(), 2, "{answers:#?}");
    assert!(matches!(
        &about(&answers, order)[..],
        [DomainEvent::StockReserved(_)]
    ));
    assert!(matches!(
        &about(&answers, marker)[..],
        [DomainEvent::StockReserved(_)]
    ));
    assert_eq!(
        saga.reservations(order).await,
        vec![(mug, 2, RESERVED.to_owned())]
    );
    assert_eq!(saga.stock(mug).await, 2, "5 - 2 (once) - 1 (marker)");
    saga.stop().await;
}

async fn twenty_concurrent_orders_for_five_units_reserve_exactly_five(backend: Backend) {
    let mut saga = Saga::new(backend).await;
    let mug = saga.product("MUG", 5).await;
    let mut orders = Vec::new();
    for _ in 0..20 {
        let order = Uuid::now_v7();
        saga.publish(order_placed(order, &[(mug, 1)])).await;
        orders.push(order);
    }
    // Watch the stock while four instances (four consumers of the group) race for the units.
    let lowest = Arc::new(AtomicI32::new(i32::MAX));
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = tokio::spawn(watch_stock(
        saga.app.db.clone(),
        mug,
        Arc::clone(&lowest),
        Arc::clone(&watching),
    ));
    saga.spawn_instances(4, &ReservationSettings::default())
        .await;

    let answers = saga.wait_answers(20).await;
    watching.store(false, Ordering::SeqCst);
    watcher.await.unwrap();
    let reserved: HashSet<Uuid> = answers
        .iter()
        .filter_map(|event| match event {
            DomainEvent::StockReserved(e) => Some(e.order_id),
            _ => None,
        })
        .collect();
    let rejected: HashSet<Uuid> = answers
        .iter()
        .filter_map(|event| match event {
            DomainEvent::StockRejected(e) => Some(e.order_id),
            _ => None,
        })
        .collect();
    assert_eq!(answers.len(), 20, "one answer per order");
    assert_eq!(reserved.len(), 5, "exactly five orders get a unit");
    assert_eq!(rejected.len(), 15);
    assert!(reserved.is_disjoint(&rejected));
    assert_eq!(
        reserved.union(&rejected).copied().collect::<HashSet<_>>(),
        orders.iter().copied().collect::<HashSet<_>>()
    );
    assert_eq!(saga.stock(mug).await, 0);
    assert!(
        lowest.load(Ordering::SeqCst) >= 0,
        "stock went to {}",
        lowest.load(Ordering::SeqCst)
    );
    let rows = saga.all_reservations().await;
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|row| reserved.contains(&row.order_id)
        && row.quantity == 1
        && row.status == RESERVED));

    let published = saga.published(20).await;
    let ids: HashSet<Uuid> = published.iter().map(|envelope| envelope.id).collect();
    assert_eq!(ids.len(), 20, "every answer reached the transport");
    assert!(
        saga.transport.dead_letters(10).await.unwrap().is_empty(),
        "nothing was dead-lettered"
    );
    saga.stop().await;
}

/// Records the lowest stock of `product_id` seen until `watching` is cleared.
async fn watch_stock(
    db: DatabaseConnection,
    product_id: Uuid,
    lowest: Arc<AtomicI32>,
    watching: Arc<AtomicBool>,
) {
    while watching.load(Ordering::SeqCst) {
        if let Some(row) = product::Entity::find_by_id(product_id)
            .one(&db)
            .await
            .unwrap()
        {
            lowest.fetch_min(row.stock, Ordering::SeqCst);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn a_confirmed_order_is_sold_once() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 5).await;
    let order = Uuid::now_v7();
    saga.publish(order_placed(order, &[(mug, 2)])).await;
    saga.wait_answers(1).await;

    let confirmed = saga.publish(order_confirmed(order, &[(mug, 2)])).await;
    saga.processed(&confirmed).await;
    assert_eq!(
        saga.reservations(order).await,
        vec![(mug, 2, SOLD.to_owned())]
    );
    assert_eq!(
        saga.stock(mug).await,
        3,
        "a sale keeps the units out of stock"
    );

    let again = saga.publish(order_confirmed(order, &[(mug, 2)])).await;
    saga.processed(&again).await;
    assert_eq!(
        saga.reservations(order).await,
        vec![(mug, 2, SOLD.to_owned())]
    );
    assert_eq!(saga.stock(mug).await, 3);
    assert_eq!(saga.answers().await.len(), 1, "a sale answers nothing");
    saga.stop().await;
}

#[tokio::test]
async fn a_failed_order_releases_its_stock_once() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 5).await;
    let order = Uuid::now_v7();
    saga.publish(order_placed(order, &[(mug, 2)])).await;
    saga.wait_answers(1).await;
    assert_eq!(saga.stock(mug).await, 3);

    let failed = saga.publish(order_failed(order)).await;
    saga.processed(&failed).await;
    assert_eq!(
        saga.reservations(order).await,
        vec![(mug, 2, RELEASED.to_owned())]
    );
    assert_eq!(saga.stock(mug).await, 5);

    for event in [order_failed(order), order_failed(Uuid::now_v7())] {
        let envelope = saga.publish(event).await;
        saga.processed(&envelope).await;
    }
    assert_eq!(saga.stock(mug).await, 5, "released once");
    assert_eq!(saga.all_reservations().await.len(), 1);
    saga.stop().await;
}

#[tokio::test]
async fn a_cancelled_order_is_restocked_after_a_sale_and_released_before_one() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 5).await;
    let sold = Uuid::now_v7();
    saga.publish(order_placed(sold, &[(mug, 2)])).await;
    let unpaid = Uuid::now_v7();
    saga.publish(order_placed(unpaid, &[(mug, 1)])).await;
    saga.wait_answers(2).await;
    let confirmed = saga.publish(order_confirmed(sold, &[(mug, 2)])).await;
    saga.processed(&confirmed).await;
    assert_eq!(saga.stock(mug).await, 2);

    let cancelled = saga.publish(order_cancelled(sold, &[(mug, 2)], true)).await;
    saga.processed(&cancelled).await;
    assert_eq!(
        saga.reservations(sold).await,
        vec![(mug, 2, RESTOCKED.to_owned())]
    );
    assert_eq!(saga.stock(mug).await, 4);

    let cancelled = saga
        .publish(order_cancelled(unpaid, &[(mug, 1)], false))
        .await;
    saga.processed(&cancelled).await;
    assert_eq!(
        saga.reservations(unpaid).await,
        vec![(mug, 1, RELEASED.to_owned())]
    );
    assert_eq!(saga.stock(mug).await, 5);

    // Cancelling again, or failing a cancelled order, changes nothing.
    let again = saga.publish(order_cancelled(sold, &[(mug, 2)], true)).await;
    saga.processed(&again).await;
    let failed = saga.publish(order_failed(unpaid)).await;
    saga.processed(&failed).await;
    assert_eq!(saga.stock(mug).await, 5);
    assert_eq!(
        saga.reservations(sold).await,
        vec![(mug, 2, RESTOCKED.to_owned())]
    );
    saga.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_reservations_are_released_once_by_racing_sweepers() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 10).await;
    let pot = saga.product("POT", 10).await;
    let orders: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    for order in &orders {
        saga.publish(order_placed(*order, &[(mug, 1), (pot, 1)]))
            .await;
    }
    saga.wait_answers(6).await;
    assert_eq!((saga.stock(mug).await, saga.stock(pot).await), (4, 4));

    let settings = ReservationSettings::default();
    let sweeper = |db| ExpirySweeper::new(db, settings.clone());
    let first = sweeper(second_connection(&saga).await);
    let second = sweeper(second_connection(&saga).await);
    assert_eq!(
        first.sweep().await.unwrap(),
        SweepReport::default(),
        "nothing has expired yet"
    );

    let later = Utc::now() + chrono::Duration::seconds(901);
    let rounds = |sweeper: ExpirySweeper| {
        tokio::spawn(async move {
            let mut total = SweepReport::default();
            for _ in 0..3 {
                let report = sweeper.sweep_at(later).await.unwrap();
                total.orders += report.orders;
                total.reservations += report.reservations;
            }
            total
        })
    };
    let (a, b) = tokio::join!(rounds(first), rounds(second));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.reservations + b.reservations,
        12,
        "each reservation released once: {a:?} {b:?}"
    );
    assert_eq!(a.orders + b.orders, 6);
    assert_eq!((saga.stock(mug).await, saga.stock(pot).await), (10, 10));
    let answers = saga.wait_answers(12).await;
    let expired: Vec<Uuid> = answers
        .iter()
        .filter_map(|event| match event {
            DomainEvent::ReservationExpired(e) => Some(e.order_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        expired.len(),
        6,
        "one ReservationExpired per order: {expired:?}"
    );
    assert_eq!(
        expired.iter().copied().collect::<HashSet<_>>(),
        orders.iter().copied().collect::<HashSet<_>>()
    );
    assert!(
        saga.all_reservations()
            .await
            .iter()
            .all(|row| row.status == RELEASED)
    );
    saga.stop().await;
}

#[tokio::test]
async fn an_order_confirmed_after_its_reservation_expired_is_taken_again_if_stock_permits() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 5).await;
    let pot = saga.product("POT", 3).await;
    let lucky = Uuid::now_v7();
    saga.publish(order_placed(lucky, &[(mug, 2)])).await;
    let unlucky = Uuid::now_v7();
    saga.publish(order_placed(unlucky, &[(pot, 3)])).await;
    saga.wait_answers(2).await;
    let sweeper = ExpirySweeper::new(saga.app.db.clone(), ReservationSettings::default());
    let report = sweeper
        .sweep_at(Utc::now() + chrono::Duration::seconds(901))
        .await
        .unwrap();
    assert_eq!(report.orders, 2);
    assert_eq!((saga.stock(mug).await, saga.stock(pot).await), (5, 3));

    // The payment went through meanwhile: the mugs are still there and are sold.
    let confirmed = saga.publish(order_confirmed(lucky, &[(mug, 2)])).await;
    saga.processed(&confirmed).await;
    assert_eq!(
        saga.reservations(lucky).await,
        vec![(mug, 2, SOLD.to_owned())]
    );
    assert_eq!(saga.stock(mug).await, 3);

    // The pots went elsewhere: nothing is taken, the reservation stays released (and an error is logged).
    saga.set_stock(pot, 1).await;
    let confirmed = saga.publish(order_confirmed(unlucky, &[(pot, 3)])).await;
    saga.processed(&confirmed).await;
    assert_eq!(
        saga.reservations(unlucky).await,
        vec![(pot, 3, RELEASED.to_owned())]
    );
    assert_eq!(saga.stock(pot).await, 1);
    assert_eq!(
        saga.answers().await.len(),
        4,
        "two reserved, two expired, nothing more"
    );
    saga.stop().await;
}

#[tokio::test]
async fn set_stock_sets_the_available_units_beside_reservations() {
    let saga = saga_with_one_instance(Backend::InProcess).await;
    let mug = saga.product("MUG", 5).await;
    let order = Uuid::now_v7();
    saga.publish(order_placed(order, &[(mug, 2)])).await;
    saga.wait_answers(1).await;
    assert_eq!(saga.stock(mug).await, 3, "reserved units are not available");

    saga.set_stock(mug, 10).await;
    assert_eq!(saga.stock(mug).await, 10);
    let failed = saga.publish(order_failed(order)).await;
    saga.processed(&failed).await;
    assert_eq!(
        saga.stock(mug).await,
        12,
        "released units come back on top of the stock an administrator set"
    );
    saga.stop().await;
}

#[tokio::test]
async fn background_work_is_relay_consumer_and_sweep_or_only_the_sweep_without_transport() {
    let saga = Saga::new(Backend::InProcess).await;
    let mut config = Config::defaults(shopgraph_products::SERVICE, 0);
    config.database_url = saga.app.database_url.clone();
    let (trigger, shutdown) = Shutdown::channel();
    let with = shopgraph_products::spawn_background(
        saga.app.db.clone(),
        &config,
        Some(Arc::clone(&saga.transport)),
        shutdown.clone(),
    );
    assert_eq!(
        with.names(),
        [
            "products relay",
            "products consumer",
            "products reservation expiry"
        ]
    );
    let without =
        shopgraph_products::spawn_background(saga.app.db.clone(), &config, None, shutdown);
    assert_eq!(without.names(), ["products reservation expiry"]);
    trigger.trigger();
    tokio::time::timeout(Duration::from_secs(10), async {
        with.join().await;
        without.join().await;
    })
    .await
    .expect("background tasks stop on the shutdown signal");
    saga.stop().await;
}

/// Another connection pool to the saga's database, as another instance would open.
async fn second_connection(saga: &Saga) -> DatabaseConnection {
    shopgraph_kit::db::connect(&saga.app.database_url)
        .await
        .unwrap()
}
