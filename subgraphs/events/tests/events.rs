//! End-to-end tests of the events infrastructure: outbox → relay → transport → consumer runner → handler,
//! over a real database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set) and each transport (the
//! in-process bus always, Redis Streams when `TEST_REDIS_URL` is set).

#[path = "events/support.rs"]
mod support;

use std::collections::HashSet;
use std::time::Duration;

use sea_orm::{EntityTrait, TransactionTrait};
use shopgraph_events::processed;
use shopgraph_events::{
    Consumer, DomainEvent, EventEnvelope, Interest, Money, OrderLine, OrderPlaced, Outcome, Relay,
    RelayOptions, Shutdown, UserRegistered, outbox,
};
use support::{
    Backend, Behaviour, Fixture, HANDLER_ERROR, RecordingHandler, eventually, quick_options,
};
use uuid::Uuid;

fn order_placed() -> DomainEvent {
    OrderPlaced {
        order_id: Uuid::now_v7(),
        user_id: Uuid::now_v7(),
        lines: vec![OrderLine {
            product_id: Uuid::now_v7(),
            name: "Espresso cup".into(),
            quantity: 3,
            unit_price: Money::new(899, "USD"),
        }],
        total: Money::new(2697, "USD"),
    }
    .into()
}

fn user_registered(n: usize) -> DomainEvent {
    UserRegistered {
        user_id: Uuid::now_v7(),
        email: format!("user{n}@example.com"),
        name: format!("User {n}"),
    }
    .into()
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

on_both_transports!(
    a_committed_event_reaches_every_group_once,
    the_same_event_delivered_twice_takes_effect_once,
    a_handler_that_always_fails_is_dead_lettered_after_max_attempts,
    a_permanent_failure_is_dead_lettered_at_once,
    a_delivery_its_consumer_never_acked_goes_to_another_consumer,
    the_relay_publishes_committed_events_only_in_order,
    unknown_types_and_unsupported_versions_are_dead_lettered,
    the_relay_task_publishes_after_a_commit_and_stops_on_shutdown,
);

async fn a_committed_event_reaches_every_group_once(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let txn = fixture.db.begin().await.unwrap();
    let event_id = outbox::append(&txn, "users", user_registered(1), Some(TRACEPARENT.into()))
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let relay = Relay::new(fixture.db.clone(), fixture.transport.clone(), "users");
    assert_eq!(relay.publish_pending().await.unwrap(), 1);
    assert!(fixture.outbox_rows().await[0].published_at.is_some());

    let (trigger, shutdown) = Shutdown::channel();
    let mut tasks = Vec::new();
    for group in ["orders", "notifications"] {
        let handler = RecordingHandler::new(group, Interest::All, Behaviour::Succeed);
        let consumer = Consumer::new(
            fixture.db.clone(),
            fixture.transport.clone(),
            group,
            handler,
        )
        .with_options(quick_options(5));
        tasks.push(tokio::spawn(consumer.run(shutdown.clone())));
    }
    eventually("both groups handled the event", || async {
        fixture.effects().await.len() == 2
    })
    .await;
    trigger.trigger();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("consumer stops on shutdown")
            .unwrap();
    }

    let effects = fixture.effects().await;
    let groups: HashSet<&str> = effects.iter().map(|e| e.consumer_group.as_str()).collect();
    assert_eq!(groups, HashSet::from(["orders", "notifications"]));
    assert!(
        effects
            .iter()
            .all(|e| e.event_id == event_id && e.event_type == "UserRegistered")
    );
    for group in ["orders", "notifications"] {
        assert!(
            processed::is_processed(&fixture.db, group, event_id)
                .await
                .unwrap()
        );
    }
}

async fn the_same_event_delivered_twice_takes_effect_once(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let envelope = EventEnvelope::new("orders", &order_placed(), Some(TRACEPARENT.into())).unwrap();
    fixture.transport.publish(&envelope).await.unwrap();
    fixture.transport.publish(&envelope).await.unwrap();

    let handler =
        RecordingHandler::new("products", Interest::All, Behaviour::Succeed).with_follow_up();
    let consumer = Consumer::new(
        fixture.db.clone(),
        fixture.transport.clone(),
        "products",
        handler.clone(),
    );
    let mut subscription = fixture.transport.subscribe("products", "c1").await.unwrap();
    let first = subscription
        .next(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    let second = subscription
        .next(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(first.message_id, second.message_id);
    assert_eq!(first.envelope().unwrap(), envelope);
    assert_eq!(second.envelope().unwrap(), envelope);
    assert_eq!(
        consumer
            .process(subscription.as_mut(), &first)
            .await
            .unwrap(),
        Outcome::Handled
    );
    assert_eq!(
        consumer
            .process(subscription.as_mut(), &second)
            .await
            .unwrap(),
        Outcome::Duplicate
    );
    assert_eq!(handler.calls(), 1);
    let effects = fixture.effects().await;
    assert_eq!(effects.len(), 1);
    assert_eq!(effects[0].event_id, envelope.id);
    // The follow-up event the handler appended committed with its effect, once, carrying the trace.
    let follow_ups = fixture.outbox_rows().await;
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(follow_ups[0].event_type, "StockReserved");
    assert_eq!(follow_ups[0].traceparent.as_deref(), Some(TRACEPARENT));
    // Both were acknowledged: nothing comes back, even after the claim idle time.
    let again = subscription.next(support::CLAIM_IDLE * 2).await.unwrap();
    assert_eq!(again, None);
}

async fn a_handler_that_always_fails_is_dead_lettered_after_max_attempts(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let envelope = EventEnvelope::new("orders", &order_placed(), Some(TRACEPARENT.into())).unwrap();
    fixture.transport.publish(&envelope).await.unwrap();

    let handler =
        RecordingHandler::new("payments", Interest::All, Behaviour::AlwaysFail).with_follow_up();
    let consumer = Consumer::new(
        fixture.db.clone(),
        fixture.transport.clone(),
        "payments",
        handler.clone(),
    )
    .with_options(quick_options(3));
    let (trigger, shutdown) = Shutdown::channel();
    let task = tokio::spawn(consumer.run(shutdown));
    eventually("the event is dead-lettered", || async {
        !fixture.transport.dead_letters(10).await.unwrap().is_empty()
    })
    .await;
    // No further attempt follows the dead-lettering.
    tokio::time::sleep(Duration::from_millis(300)).await;
    trigger.trigger();
    task.await.unwrap();

    let dead = fixture.transport.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let dead = &dead[0];
    assert_eq!(dead.group, "payments");
    assert_eq!(dead.attempts, 3);
    assert!(dead.error.contains(HANDLER_ERROR), "{}", dead.error);
    assert!(!dead.original_id.is_empty());
    assert!(dead.dead_at.is_some());
    assert_eq!(dead.envelope().unwrap(), envelope);
    assert_eq!(handler.calls(), 3);
    assert_eq!(handler.attempts(), vec![1, 2, 3]);
    // Every attempt rolled back: no effect, no follow-up event, not recorded as processed.
    assert!(fixture.effects().await.is_empty());
    assert!(fixture.outbox_rows().await.is_empty());
    assert!(
        !processed::is_processed(&fixture.db, "payments", envelope.id)
            .await
            .unwrap()
    );
}

async fn a_permanent_failure_is_dead_lettered_at_once(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let envelope = EventEnvelope::new("orders", &order_placed(), None).unwrap();
    fixture.transport.publish(&envelope).await.unwrap();
    let handler = RecordingHandler::new("payments", Interest::All, Behaviour::FailPermanently);
    let consumer = Consumer::new(
        fixture.db.clone(),
        fixture.transport.clone(),
        "payments",
        handler.clone(),
    );
    let mut subscription = fixture.transport.subscribe("payments", "c1").await.unwrap();
    let delivery = subscription
        .next(Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    let outcome = consumer
        .process(subscription.as_mut(), &delivery)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::DeadLettered {
            error: "order references no user".into()
        }
    );
    let dead = fixture.transport.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(handler.calls(), 1);
    assert!(fixture.effects().await.is_empty());
}

async fn a_delivery_its_consumer_never_acked_goes_to_another_consumer(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let envelope = EventEnvelope::new("orders", &order_placed(), None).unwrap();
    fixture.transport.publish(&envelope).await.unwrap();

    // A consumer reads the event and dies before acknowledging it.
    let doomed_transport = fixture.second_transport().await;
    let (received, got) = tokio::sync::oneshot::channel();
    let doomed = tokio::spawn(async move {
        let mut subscription = doomed_transport
            .subscribe("notifications", "doomed")
            .await
            .unwrap();
        let delivery = subscription.next(Duration::from_secs(5)).await.unwrap();
        let _ = received.send(delivery);
        std::future::pending::<()>().await;
    });
    let delivery = got
        .await
        .unwrap()
        .expect("the doomed consumer got the event");
    assert_eq!(delivery.attempt, 1);
    assert_eq!(delivery.envelope().unwrap().id, envelope.id);
    doomed.abort();
    assert!(doomed.await.unwrap_err().is_cancelled());

    // Another consumer of the group gets it (after the claim idle time, on Redis) as a second delivery.
    let handler = RecordingHandler::new("notifications", Interest::All, Behaviour::Succeed);
    let consumer = Consumer::new(
        fixture.db.clone(),
        fixture.transport.clone(),
        "notifications",
        handler.clone(),
    )
    .with_options(quick_options(5));
    let (trigger, shutdown) = Shutdown::channel();
    let task = tokio::spawn(consumer.run(shutdown));
    eventually("another consumer handled the event", || async {
        fixture.effects().await.len() == 1
    })
    .await;
    trigger.trigger();
    task.await.unwrap();
    assert_eq!(fixture.effects().await[0].event_id, envelope.id);
    assert_eq!(handler.attempts(), vec![2]);
}

async fn the_relay_publishes_committed_events_only_in_order(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let mut committed = Vec::new();
    let mut rolled_back = Vec::new();
    for n in 0..12 {
        let txn = fixture.db.begin().await.unwrap();
        let event = if n % 2 == 0 {
            user_registered(n)
        } else {
            order_placed()
        };
        let id = outbox::append(&txn, "test", event, None).await.unwrap();
        if n % 4 == 1 {
            txn.rollback().await.unwrap();
            rolled_back.push(id);
        } else {
            txn.commit().await.unwrap();
            committed.push(id);
        }
    }
    // Several events in one transaction keep their order too.
    let txn = fixture.db.begin().await.unwrap();
    for n in 100..103 {
        committed.push(
            outbox::append(&txn, "test", user_registered(n), None)
                .await
                .unwrap(),
        );
    }
    txn.commit().await.unwrap();

    let options = RelayOptions {
        batch_size: 4,
        ..RelayOptions::default()
    };
    let relay =
        Relay::new(fixture.db.clone(), fixture.transport.clone(), "test").with_options(options);
    assert_eq!(relay.publish_pending().await.unwrap(), committed.len());
    assert_eq!(
        relay.publish_pending().await.unwrap(),
        0,
        "nothing is published twice"
    );
    let rows = fixture.outbox_rows().await;
    assert_eq!(
        rows.iter().map(|r| r.event_id).collect::<Vec<_>>(),
        committed
    );
    assert!(rows.iter().all(|r| r.published_at.is_some()));

    let handler = RecordingHandler::new("audit", Interest::All, Behaviour::Succeed);
    let consumer = Consumer::new(
        fixture.db.clone(),
        fixture.transport.clone(),
        "audit",
        handler,
    )
    .with_options(quick_options(5));
    let (trigger, shutdown) = Shutdown::channel();
    let task = tokio::spawn(consumer.run(shutdown));
    eventually("every committed event was handled", || async {
        fixture.effects().await.len() == committed.len()
    })
    .await;
    // Give a stray rolled-back event the chance to show up before looking.
    tokio::time::sleep(Duration::from_millis(200)).await;
    trigger.trigger();
    task.await.unwrap();
    let handled: Vec<Uuid> = fixture.effects().await.iter().map(|e| e.event_id).collect();
    assert_eq!(handled, committed);
    assert!(rolled_back.iter().all(|id| !handled.contains(id)));
}

async fn unknown_types_and_unsupported_versions_are_dead_lettered(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let mut future_version = EventEnvelope::new("orders", &order_placed(), None).unwrap();
    future_version.version = 99;
    let mut unknown_type = EventEnvelope::new("orders", &order_placed(), None).unwrap();
    unknown_type.event_type = "OrderTeleported".into();
    let good = EventEnvelope::new("orders", &order_placed(), None).unwrap();
    for envelope in [&future_version, &unknown_type, &good] {
        fixture.transport.publish(envelope).await.unwrap();
    }

    let everything = RecordingHandler::new("everything", Interest::All, Behaviour::Succeed);
    let orders_only = RecordingHandler::new(
        "orders-only",
        Interest::only([<OrderPlaced as shopgraph_events::EventPayload>::TYPE]),
        Behaviour::Succeed,
    );
    let (trigger, shutdown) = Shutdown::channel();
    let mut tasks = Vec::new();
    for handler in [everything.clone(), orders_only.clone()] {
        let group = handler.group.clone();
        let consumer = Consumer::new(
            fixture.db.clone(),
            fixture.transport.clone(),
            &group,
            handler,
        )
        .with_options(quick_options(5));
        tasks.push(tokio::spawn(consumer.run(shutdown.clone())));
    }
    eventually(
        "both groups handled the good event and dead-lettered the bad ones",
        || async {
            fixture.effects().await.len() == 2
                && fixture.transport.dead_letters(10).await.unwrap().len() == 3
        },
    )
    .await;
    trigger.trigger();
    for task in tasks {
        task.await.unwrap();
    }

    assert_eq!(everything.calls(), 1);
    assert_eq!(orders_only.calls(), 1);
    assert!(
        fixture
            .effects()
            .await
            .iter()
            .all(|e| e.event_id == good.id)
    );
    let dead = fixture.transport.dead_letters(10).await.unwrap();
    let mut seen: Vec<(String, Uuid, String)> = dead
        .iter()
        .map(|d| (d.group.clone(), d.envelope().unwrap().id, d.error.clone()))
        .collect();
    seen.sort();
    let version_error =
        "unsupported version 99 of event type `OrderPlaced` (this build reads version 1)";
    let mut expected = vec![
        (
            "everything".to_owned(),
            future_version.id,
            version_error.to_owned(),
        ),
        (
            "everything".to_owned(),
            unknown_type.id,
            "unknown event type `OrderTeleported`".to_owned(),
        ),
        (
            "orders-only".to_owned(),
            future_version.id,
            version_error.to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    assert!(dead.iter().all(|d| d.attempts == 1));
}

async fn the_relay_task_publishes_after_a_commit_and_stops_on_shutdown(backend: Backend) {
    let fixture = Fixture::new(backend).await;
    let (trigger, shutdown) = Shutdown::channel();
    let options = RelayOptions {
        // Slow polling: the prompt publication below comes from the commit wake-up.
        poll_interval: Duration::from_secs(30),
        ..RelayOptions::default()
    };
    let relay = tokio::spawn(
        Relay::new(fixture.db.clone(), fixture.transport.clone(), "test")
            .with_options(options)
            .run(shutdown.clone()),
    );
    let handler = RecordingHandler::new("mailer", Interest::All, Behaviour::Succeed);
    let consumer = tokio::spawn(
        Consumer::new(
            fixture.db.clone(),
            fixture.transport.clone(),
            "mailer",
            handler,
        )
        .with_options(quick_options(5))
        .run(shutdown.clone()),
    );
    // Let the relay reach its wait before the commit.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let txn = fixture.db.begin().await.unwrap();
    let id = outbox::append(&txn, "users", user_registered(7), None)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    outbox::wake_relays();
    eventually("the event was published and handled", || async {
        fixture.effects().await.len() == 1
    })
    .await;
    assert_eq!(fixture.effects().await[0].event_id, id);
    trigger.trigger();
    for task in [relay, consumer] {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("task stops on shutdown")
            .unwrap();
    }
    // The stopped relay gave its lease up: another relay can publish at once.
    let txn = fixture.db.begin().await.unwrap();
    outbox::append(&txn, "users", user_registered(8), None)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let next = Relay::new(fixture.db.clone(), fixture.transport.clone(), "test");
    assert_eq!(next.publish_pending().await.unwrap(), 1);
}

#[tokio::test]
async fn only_the_relay_holding_the_lease_publishes() {
    let fixture = Fixture::new(Backend::InProcess).await;
    let append = |n| {
        let db = fixture.db.clone();
        async move {
            let txn = db.begin().await.unwrap();
            outbox::append(&txn, "test", user_registered(n), None)
                .await
                .unwrap();
            txn.commit().await.unwrap();
        }
    };
    let short_lease = RelayOptions {
        lease_ttl: Duration::from_millis(300),
        ..RelayOptions::default()
    };
    let first = Relay::new(fixture.db.clone(), fixture.transport.clone(), "a")
        .with_options(short_lease.clone());
    let second =
        Relay::new(fixture.db.clone(), fixture.transport.clone(), "b").with_options(short_lease);

    append(1).await;
    assert_eq!(first.publish_pending().await.unwrap(), 1);
    append(2).await;
    assert_eq!(
        second.publish_pending().await.unwrap(),
        0,
        "the lease is taken"
    );
    assert_eq!(
        first.publish_pending().await.unwrap(),
        1,
        "its holder renews it"
    );
    append(3).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        second.publish_pending().await.unwrap(),
        1,
        "a lapsed lease is taken over"
    );
    assert_eq!(first.publish_pending().await.unwrap(), 0);

    let rows = fixture.outbox_rows().await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.published_at.is_some()));
    let lease = outbox::lease::Entity::find()
        .all(&fixture.db)
        .await
        .unwrap();
    assert_eq!(lease.len(), 1);
    assert!(
        lease[0].holder.starts_with("b-relay-"),
        "{}",
        lease[0].holder
    );
}

#[tokio::test]
async fn published_rows_can_be_purged_and_processed_records_forgotten() {
    let fixture = Fixture::new(Backend::InProcess).await;
    let txn = fixture.db.begin().await.unwrap();
    let id = outbox::append(&txn, "test", user_registered(1), None)
        .await
        .unwrap();
    outbox::append(&txn, "test", user_registered(2), None)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let rows = fixture.outbox_rows().await;
    outbox::mark_published(&fixture.db, &[rows[0].position], chrono::Utc::now())
        .await
        .unwrap();
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(
        outbox::purge_published(&fixture.db, later).await.unwrap(),
        1
    );
    let left = fixture.outbox_rows().await;
    assert_eq!(left.len(), 1, "the unpublished row stays");
    assert!(left[0].published_at.is_none());

    assert_eq!(
        processed::record(&fixture.db, "g", id).await.unwrap(),
        processed::Recorded::New
    );
    assert_eq!(
        processed::record(&fixture.db, "g", id).await.unwrap(),
        processed::Recorded::AlreadyProcessed
    );
    assert_eq!(
        processed::record(&fixture.db, "other", id).await.unwrap(),
        processed::Recorded::New
    );
    assert_eq!(
        processed::purge_before(&fixture.db, later).await.unwrap(),
        2
    );
    assert!(!processed::is_processed(&fixture.db, "g", id).await.unwrap());
}
