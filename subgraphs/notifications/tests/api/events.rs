//! From events to emails: the consumer stores one notification per event (welcome, order confirmed,
//! failed, cancelled) addressed from the local directory, the dispatcher writes it as an `.eml` file and
//! marks it SENT; duplicates, unknown users, address changes and failing senders.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use shopgraph_events::{
    EventHandler, InProcessBus, Money, OrderCancelled, OrderConfirmed, OrderFailed, ReceivedEvent,
    RedisStreams, RedisStreamsOptions, SharedTransport, Shutdown, UserEmailChanged, UserRegistered,
};
use shopgraph_notifications::NotificationHandler;
use uuid::Uuid;

use crate::support::*;

fn bus() -> SharedTransport {
    Arc::new(InProcessBus::new())
}

async fn register(bus: &SharedTransport, user: Uuid, email: &str, name: &str) {
    publish(
        bus,
        "users",
        UserRegistered {
            user_id: user,
            email: email.to_owned(),
            name: name.to_owned(),
        },
    )
    .await;
}

#[tokio::test]
async fn a_registration_writes_a_welcome_email_and_stores_it_sent() {
    let app = spawn_app().await;
    let bus = bus();
    let _running = app.start_with_files(bus.clone());
    let user = Uuid::now_v7();
    let envelope = publish(
        &bus,
        "users",
        UserRegistered {
            user_id: user,
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
        },
    )
    .await;

    let rows = app.wait_for_notifications(user, 1, "SENT").await;
    let row = &rows[0];
    assert_eq!(row.kind, "WELCOME");
    assert_eq!(row.channel, "EMAIL");
    assert_eq!(row.event_id, envelope.id);
    assert_eq!(row.recipient.as_deref(), Some("ada@example.com"));
    assert_eq!(row.attempts, 1);
    assert_eq!(row.error, None);
    assert!(row.sent_at.is_some() && row.read_at.is_none());

    let files = app.mail_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].0, format!("{}.eml", row.id));
    let email = app.email_for(row.id);
    assert_eq!(
        email.header("From"),
        "\"shopgraph\" <no-reply@shopgraph.test>"
    );
    assert_eq!(email.header("To"), "\"Ada Lovelace\" <ada@example.com>");
    assert_eq!(
        email.header("Subject"),
        "Welcome to shopgraph, Ada Lovelace!"
    );
    assert_eq!(
        email.header("Message-ID"),
        format!("<{}@shopgraph.test>", row.id)
    );
    assert_eq!(email.header("MIME-Version"), "1.0");
    let date = DateTime::parse_from_rfc2822(email.header("Date")).unwrap();
    assert!((Utc::now() - date.with_timezone(&Utc)).num_seconds().abs() < 60);
    assert!(
        email
            .header("Content-Type")
            .starts_with("multipart/alternative; boundary=")
    );
    assert!(
        email
            .text
            .starts_with("Hi Ada Lovelace,\n\nwelcome to shopgraph!")
    );
    assert_eq!(email.text, row.body, "the stored body is what was sent");
    let html = email.html.as_deref().unwrap();
    assert!(html.contains("<p>Hi Ada Lovelace,</p>"), "{html}");
    assert!(
        email
            .raw
            .lines()
            .all(|line| line.len() <= 78 && line.is_ascii())
    );
}

#[tokio::test]
async fn order_events_render_their_own_subject_and_content() {
    let app = spawn_app().await;
    let bus = bus();
    let _running = app.start_with_files(bus.clone());
    let user = Uuid::now_v7();
    register(&bus, user, "grace@example.com", "Grace").await;
    let (confirmed, failed, refunded, unpaid) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let lines = vec![line("Mug", 2, 1250), line("Tea <Earl Grey>", 1, 499)];
    publish(
        &bus,
        "orders",
        OrderConfirmed {
            order_id: confirmed,
            user_id: user,
            lines: lines.clone(),
            total: Money::new(2999, "USD"),
            payment_reference: "pay_4242".into(),
        },
    )
    .await;
    publish(
        &bus,
        "orders",
        OrderFailed {
            order_id: failed,
            user_id: user,
            reason: "payment declined: insufficient funds".into(),
        },
    )
    .await;
    for (order_id, refunded) in [(refunded, true), (unpaid, false)] {
        publish(
            &bus,
            "orders",
            OrderCancelled {
                order_id,
                user_id: user,
                reason: "cancelled by the customer".into(),
                lines: lines.clone(),
                refunded,
            },
        )
        .await;
    }

    let rows = app.wait_for_notifications(user, 5, "SENT").await;
    let kinds: Vec<&str> = rows.iter().map(|row| row.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "WELCOME",
            "ORDER_CONFIRMED",
            "ORDER_FAILED",
            "ORDER_CANCELLED",
            "ORDER_CANCELLED"
        ]
    );
    assert_eq!(app.mail_files().len(), 5);

    let email = app.email_for(rows[1].id);
    assert_eq!(email.header("Subject"), "Your shopgraph order is confirmed");
    assert_eq!(email.header("To"), "\"Grace\" <grace@example.com>");
    for expected in [
        "Hi Grace,".to_owned(),
        format!("Order {confirmed}"),
        "  2 × Mug at $12.50 = $25.00".to_owned(),
        "  1 × Tea <Earl Grey> at $4.99 = $4.99".to_owned(),
        "Total: $29.99".to_owned(),
        "Payment reference: pay_4242".to_owned(),
    ] {
        assert!(
            email.text.contains(&expected),
            "{expected:?} in {}",
            email.text
        );
    }
    let html = email.html.unwrap();
    assert!(html.contains("<td>Tea &lt;Earl Grey&gt;</td>"), "{html}");
    assert!(html.contains("<strong>$29.99</strong>"), "{html}");

    let email = app.email_for(rows[2].id);
    assert_eq!(
        email.header("Subject"),
        "Your shopgraph order could not be completed"
    );
    assert!(
        email
            .text
            .contains(&format!("your order {failed} could not be completed"))
    );
    assert!(
        email
            .text
            .contains("Reason: payment declined: insufficient funds")
    );
    assert!(email.text.contains("still in your cart"));

    let email = app.email_for(rows[3].id);
    assert_eq!(
        email.header("Subject"),
        "Your shopgraph order was cancelled"
    );
    assert!(
        email
            .text
            .contains(&format!("your order {refunded} has been cancelled"))
    );
    assert!(email.text.contains("Reason: cancelled by the customer"));
    assert!(email.text.contains("  2 × Mug at $12.50 = $25.00"));
    assert!(
        email
            .text
            .contains("Your payment of $29.99 has been refunded")
    );

    let email = app.email_for(rows[4].id);
    assert!(
        email
            .text
            .contains(&format!("your order {unpaid} has been cancelled"))
    );
    assert!(email.text.contains("nothing to refund"));
    assert!(!email.text.contains("has been refunded"));
}

#[tokio::test]
async fn the_same_event_twice_makes_one_notification_and_one_email() {
    let app = spawn_app().await;
    let bus = bus();
    let _running = app.start_with_files(bus.clone());
    let user = Uuid::now_v7();
    register(&bus, user, "linus@example.com", "Linus").await;
    let envelope = publish(
        &bus,
        "orders",
        OrderFailed {
            order_id: Uuid::now_v7(),
            user_id: user,
            reason: "out of stock".into(),
        },
    )
    .await;
    bus.publish(&envelope).await.unwrap();
    // A later event for another user: once it is handled, so are both copies before it.
    let sentinel = Uuid::now_v7();
    register(&bus, sentinel, "sentinel@example.com", "Sentinel").await;
    app.wait_for_notifications(sentinel, 1, "SENT").await;

    let rows = app.wait_for_notifications(user, 2, "SENT").await;
    assert_eq!(
        rows.iter()
            .filter(|row| row.event_id == envelope.id)
            .count(),
        1
    );
    assert_eq!(app.mail_files().len(), 3, "welcome, order failed, sentinel");
}

#[tokio::test]
async fn an_event_handled_again_without_its_processed_record_still_stores_one_notification() {
    let app = spawn_app().await;
    let user = Uuid::now_v7();
    let handler = NotificationHandler::new(3);
    let event = shopgraph_events::DomainEvent::from(UserRegistered {
        user_id: user,
        email: "once@example.com".into(),
        name: "Once".into(),
    });
    let envelope = shopgraph_events::EventEnvelope::new("users", &event, None).unwrap();
    let received = ReceivedEvent {
        envelope,
        event,
        attempt: 1,
    };
    for _ in 0..2 {
        let txn = app.db.begin().await.unwrap();
        handler.handle(&txn, &received).await.unwrap();
        txn.commit().await.unwrap();
    }
    let rows = app.notifications_of(user).await;
    assert_eq!(rows.len(), 1, "the (event, kind) key keeps it to one");
    assert_eq!(
        rows[0].status, "PENDING",
        "nothing sends without a dispatcher"
    );
}

#[tokio::test]
async fn an_order_event_before_the_registration_is_retried_until_the_user_is_known() {
    let app = spawn_app().await;
    let bus = bus();
    // Deliveries enough to outlast the wait below (backoff at most 100 ms).
    let _running = app.start(
        Some(bus.clone()),
        Arc::new(app.file_sender()),
        quick_consumer(100),
        quick_dispatch(3),
    );
    let user = Uuid::now_v7();
    publish(
        &bus,
        "orders",
        OrderFailed {
            order_id: Uuid::now_v7(),
            user_id: user,
            reason: "payment declined".into(),
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        app.notifications_of(user).await.is_empty(),
        "nothing is stored while the user is unknown and deliveries remain"
    );
    register(&bus, user, "late@example.com", "Late Larry").await;

    let rows = app.wait_for_notifications(user, 2, "SENT").await;
    let order = rows.iter().find(|row| row.kind == "ORDER_FAILED").unwrap();
    assert_eq!(order.recipient.as_deref(), Some("late@example.com"));
    let email = app.email_for(order.id);
    assert_eq!(email.header("To"), "\"Late Larry\" <late@example.com>");
    assert!(email.text.starts_with("Hi Late Larry,"));
    assert!(bus.dead_letters(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_order_event_for_a_user_still_unknown_after_the_last_attempt_is_stored_failed_then_sent_when_they_appear()
 {
    let app = spawn_app().await;
    let bus = bus();
    let _running = app.start_with_files(bus.clone());
    let user = Uuid::now_v7();
    let order_id = Uuid::now_v7();
    publish(
        &bus,
        "orders",
        OrderCancelled {
            order_id,
            user_id: user,
            reason: "cancelled by support".into(),
            lines: vec![line("Lamp", 1, 3000)],
            refunded: false,
        },
    )
    .await;

    let rows = app.wait_for_notifications(user, 1, "FAILED").await;
    let parked = &rows[0];
    assert_eq!(parked.recipient, None);
    assert!(
        parked
            .error
            .as_deref()
            .unwrap()
            .starts_with("unknown recipient"),
        "{parked:?}"
    );
    assert_eq!(parked.attempts, 0, "no send was attempted");
    assert!(parked.body.starts_with("Hi there,"));
    assert!(app.mail_files().is_empty());
    assert!(
        bus.dead_letters(10).await.unwrap().is_empty(),
        "stored, not dead-lettered"
    );

    register(&bus, user, "found@example.com", "Found").await;
    let rows = app.wait_for_notifications(user, 2, "SENT").await;
    let order = rows.iter().find(|row| row.id == parked.id).unwrap();
    assert_eq!(order.recipient.as_deref(), Some("found@example.com"));
    assert_eq!(order.error, None);
    assert_eq!(order.attempts, 1);
    let email = app.email_for(order.id);
    assert_eq!(email.header("To"), "\"Found\" <found@example.com>");
    assert!(
        email
            .text
            .contains(&format!("your order {order_id} has been cancelled"))
    );
}

#[tokio::test]
async fn order_emails_go_to_the_latest_address_and_a_late_old_event_does_not_undo_it() {
    let app = spawn_app().await;
    let bus = bus();
    let _running = app.start_with_files(bus.clone());
    let user = Uuid::now_v7();
    let registered = publish(
        &bus,
        "users",
        UserRegistered {
            user_id: user,
            email: "old@example.com".into(),
            name: "Margaret".into(),
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    publish(
        &bus,
        "users",
        UserEmailChanged {
            user_id: user,
            email: "new@example.com".into(),
            name: "Margaret Hamilton".into(),
        },
    )
    .await;
    // An earlier address change that arrives late (for example redelivered after a crash).
    let mut stale = shopgraph_events::EventEnvelope::new(
        "users",
        &UserEmailChanged {
            user_id: user,
            email: "stale@example.com".into(),
            name: "Stale".into(),
        }
        .into(),
        None,
    )
    .unwrap();
    stale.occurred_at = registered.occurred_at;
    bus.publish(&stale).await.unwrap();
    publish(
        &bus,
        "orders",
        OrderFailed {
            order_id: Uuid::now_v7(),
            user_id: user,
            reason: "reservation expired".into(),
        },
    )
    .await;

    let rows = app.wait_for_notifications(user, 2, "SENT").await;
    assert_eq!(rows[0].recipient.as_deref(), Some("old@example.com"));
    assert_eq!(rows[1].recipient.as_deref(), Some("new@example.com"));
    let email = app.email_for(rows[1].id);
    assert_eq!(
        email.header("To"),
        "\"Margaret Hamilton\" <new@example.com>"
    );
    assert!(email.text.starts_with("Hi Margaret Hamilton,"));
}

#[tokio::test]
async fn a_failing_sender_is_retried_with_backoff_and_the_notification_ends_failed() {
    let app = spawn_app().await;
    let bus = bus();
    let sender = FailingSender::new(usize::MAX, false, app.file_sender());
    let _running = app.start(
        Some(bus.clone()),
        sender.clone(),
        quick_consumer(3),
        quick_dispatch(3),
    );
    let user = Uuid::now_v7();
    register(&bus, user, "unlucky@example.com", "Unlucky").await;

    let rows = app.wait_for_notifications(user, 1, "FAILED").await;
    assert_eq!(rows[0].attempts, 3);
    assert_eq!(
        rows[0].error.as_deref(),
        Some("mail relay unavailable (call 3)")
    );
    assert_eq!(rows[0].sent_at, None);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sender.calls(), 3, "no attempt after the last one");
    assert!(app.mail_files().is_empty());
}

#[tokio::test]
async fn a_send_that_fails_once_succeeds_on_the_retry_and_a_permanent_failure_is_not_retried() {
    let app = spawn_app().await;
    let bus = bus();
    let sender = FailingSender::new(1, false, app.file_sender());
    let running = app.start(
        Some(bus.clone()),
        sender.clone(),
        quick_consumer(3),
        quick_dispatch(3),
    );
    let user = Uuid::now_v7();
    register(&bus, user, "second@example.com", "Second Chance").await;
    let rows = app.wait_for_notifications(user, 1, "SENT").await;
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].error, None);
    assert_eq!(sender.calls(), 2);
    assert_eq!(app.mail_files().len(), 1);
    running.stop().await;

    let permanent = FailingSender::new(usize::MAX, true, app.file_sender());
    let _running = app.start(
        Some(bus.clone()),
        permanent.clone(),
        quick_consumer(3),
        quick_dispatch(5),
    );
    let other = Uuid::now_v7();
    register(&bus, other, "bounce@example.com", "Bounce").await;
    let rows = app.wait_for_notifications(other, 1, "FAILED").await;
    assert_eq!(rows[0].attempts, 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(permanent.calls(), 1);
}

#[tokio::test]
async fn background_work_is_the_consumer_and_the_dispatcher_and_stops_on_shutdown() {
    let app = spawn_app().await;
    let (trigger, shutdown) = Shutdown::channel();
    let tasks =
        shopgraph_notifications::spawn_background(app.db.clone(), &app.config, None, shutdown);
    assert_eq!(tasks.names(), ["notifications dispatcher"]);
    trigger.trigger();
    tokio::time::timeout(Duration::from_secs(5), tasks.join())
        .await
        .unwrap();

    let (trigger, shutdown) = Shutdown::channel();
    let tasks = shopgraph_notifications::spawn_background(
        app.db.clone(),
        &app.config,
        Some(bus()),
        shutdown,
    );
    assert_eq!(
        tasks.names(),
        ["notifications consumer", "notifications dispatcher"]
    );
    trigger.trigger();
    tokio::time::timeout(Duration::from_secs(5), tasks.join())
        .await
        .unwrap();
}

/// Deletes a test's Redis streams when it ends, whether it passed or not.
struct StreamCleanup {
    url: String,
    streams: Vec<String>,
}

impl Drop for StreamCleanup {
    fn drop(&mut self) {
        if let Ok(client) = redis::Client::open(self.url.as_str())
            && let Ok(mut conn) = client.get_connection()
        {
            let _: Result<(), _> = redis::cmd("DEL").arg(&self.streams).query(&mut conn);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arriving_over_redis_streams_become_emails() {
    let Some(url) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("TEST_REDIS_URL is not set: Redis variant skipped");
        return;
    };
    let stream = format!("shopgraph-test:notifications:{}", Uuid::new_v4().simple());
    let redis = RedisStreams::connect(
        &url,
        RedisStreamsOptions {
            claim_idle: Duration::from_secs(2),
            claim_interval: Duration::from_millis(200),
            ..RedisStreamsOptions::with_stream(stream.clone())
        },
    )
    .await
    .unwrap();
    let _cleanup = StreamCleanup {
        url: url.clone(),
        streams: vec![stream, redis.dead_letter_stream().to_owned()],
    };
    let transport: SharedTransport = Arc::new(redis);
    let app = spawn_app().await;
    let _running = app.start_with_files(transport.clone());
    let user = Uuid::now_v7();
    register(&transport, user, "streams@example.com", "Stream Reader").await;
    let order_id = Uuid::now_v7();
    let confirmed = publish(
        &transport,
        "orders",
        OrderConfirmed {
            order_id,
            user_id: user,
            lines: vec![line("Kettle", 1, 4500)],
            total: Money::new(4500, "USD"),
            payment_reference: "pay_redis".into(),
        },
    )
    .await;
    transport.publish(&confirmed).await.unwrap();

    let rows = app.wait_for_notifications(user, 2, "SENT").await;
    assert_eq!(rows[1].kind, "ORDER_CONFIRMED");
    let email = app.email_for(rows[1].id);
    assert!(email.text.contains("  1 × Kettle at $45.00 = $45.00"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.notifications_of(user).await.len(),
        2,
        "the duplicate made none"
    );
    assert_eq!(app.mail_files().len(), 2);
}
