//! The checkout-saga harness: the products service plus any number of instances of its background work
//! (relay, order-event consumer, expiry sweep), each over its own connection pool to the one database,
//! on the in-process bus or — when `TEST_REDIS_URL` is set — a Redis stream of its own (deleted
//! afterwards). Tests publish order events as the orders service would, then read what products
//! answered (its outbox, and what its relay put on the transport), its reservations and its stock.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use shopgraph_events::transport::{InProcessBus, RedisStreams, RedisStreamsOptions};
use shopgraph_events::{
    BackgroundTasks, DomainEvent, EventEnvelope, Money, OrderCancelled, OrderConfirmed,
    OrderFailed, OrderLine, OrderPlaced, SharedTransport, Shutdown, ShutdownTrigger, Subscription,
    outbox, processed,
};
use shopgraph_kit::Config;
use shopgraph_products::entity::reservation;
use shopgraph_products::reservations::ReservationSettings;
use uuid::Uuid;

use crate::support::{TestApp, product_input, spawn_app};

/// Where events travel in a test.
#[derive(Debug, Clone)]
pub enum Backend {
    InProcess,
    Redis(String),
}

/// Declares `<scenario>::in_process` and `<scenario>::redis` tests running `async fn <scenario>(Backend)`;
/// the Redis one returns early (saying so) when `TEST_REDIS_URL` is not set.
#[macro_export]
macro_rules! on_both_transports {
    ($($scenario:ident),+ $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn in_process() {
                    super::$scenario($crate::saga::Backend::InProcess).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn redis() {
                    match $crate::saga::redis_url() {
                        Some(url) => super::$scenario($crate::saga::Backend::Redis(url)).await,
                        None => eprintln!("TEST_REDIS_URL is not set: Redis variant skipped"),
                    }
                }
            }
        )+
    };
}

pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// The service, its background instances, and an observer of the transport.
pub struct Saga {
    pub app: TestApp,
    pub transport: SharedTransport,
    trigger: ShutdownTrigger,
    shutdown: Shutdown,
    background: BackgroundTasks,
    /// A consumer group of its own that sees every message on the transport.
    observer: Box<dyn Subscription>,
    _streams: Option<StreamCleanup>,
}

impl Saga {
    /// The service on `backend`, with no background instance yet.
    pub async fn new(backend: Backend) -> Saga {
        let app = spawn_app().await;
        let (transport, streams): (SharedTransport, _) = match backend {
            Backend::InProcess => (Arc::new(InProcessBus::new()), None),
            Backend::Redis(url) => {
                let stream = format!("shopgraph-test:products:{}", Uuid::new_v4().simple());
                let redis = RedisStreams::connect(&url, RedisStreamsOptions::with_stream(&stream))
                    .await
                    .unwrap();
                let cleanup = StreamCleanup {
                    url,
                    streams: vec![stream, redis.dead_letter_stream().to_owned()],
                };
                (Arc::new(redis), Some(cleanup))
            }
        };
        let observer = transport
            .subscribe("test-observer", "observer")
            .await
            .unwrap();
        let (trigger, shutdown) = Shutdown::channel();
        Saga {
            app,
            transport,
            trigger,
            shutdown,
            background: BackgroundTasks::new(),
            observer,
            _streams: streams,
        }
    }

    /// Starts `count` more instances of the background work with `settings`, each over a connection
    /// pool of its own, as separate processes would.
    pub async fn spawn_instances(&mut self, count: usize, settings: &ReservationSettings) {
        let mut config = Config::defaults(shopgraph_products::SERVICE, 0);
        config.database_url = self.app.database_url.clone();
        for _ in 0..count {
            let db = shopgraph_products::connect(&config).await.unwrap();
            self.background
                .extend(shopgraph_products::spawn_background_with(
                    db,
                    &config,
                    settings,
                    Some(Arc::clone(&self.transport)),
                    self.shutdown.clone(),
                ));
        }
    }

    /// Publishes `event` as the orders service would; returns its envelope.
    pub async fn publish(&self, event: impl Into<DomainEvent>) -> EventEnvelope {
        let envelope = EventEnvelope::new("orders", &event.into(), None).unwrap();
        self.publish_envelope(&envelope).await;
        envelope
    }

    pub async fn publish_envelope(&self, envelope: &EventEnvelope) {
        self.transport.publish(envelope).await.unwrap();
    }

    /// Waits until the products consumer group has processed `envelope`.
    pub async fn processed(&self, envelope: &EventEnvelope) {
        let db = &self.app.db;
        eventually("the event is processed", || async {
            processed::is_processed(db, shopgraph_products::SERVICE, envelope.id)
                .await
                .unwrap()
        })
        .await;
    }

    /// The saga events products wrote to its outbox, in order (the catalogue events of the products the
    /// test created are left out).
    pub async fn answers(&self) -> Vec<EventEnvelope> {
        outbox::entity::Entity::find()
            .order_by_asc(outbox::entity::Column::Position)
            .all(&self.app.db)
            .await
            .unwrap()
            .iter()
            .map(|row| row.envelope().unwrap())
            .filter(|envelope| !is_catalogue_event(envelope))
            .collect()
    }

    /// Waits until products has written at least `count` events, and returns them all.
    pub async fn wait_answers(&self, count: usize) -> Vec<DomainEvent> {
        eventually(&format!("products answered {count} events"), || async {
            self.answers().await.len() >= count
        })
        .await;
        self.answers()
            .await
            .iter()
            .map(|envelope| envelope.decode().unwrap())
            .collect()
    }

    /// The next `count` events products published on the transport (the relay's work), read by the
    /// observer group.
    pub async fn published(&mut self, count: usize) -> Vec<EventEnvelope> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while seen.len() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out: {} of {count} events published",
                seen.len()
            );
            if let Some(delivery) = self
                .observer
                .next(Duration::from_millis(200))
                .await
                .unwrap()
            {
                self.observer.ack(&delivery).await.unwrap();
                let envelope = delivery.envelope().unwrap();
                if envelope.producer == shopgraph_products::SERVICE
                    && !is_catalogue_event(&envelope)
                {
                    seen.push(envelope);
                }
            }
        }
        seen
    }

    /// `(product id, quantity, status)` of the reservations of `order_id`, by product id.
    pub async fn reservations(&self, order_id: Uuid) -> Vec<(Uuid, i32, String)> {
        let mut rows: Vec<(Uuid, i32, String)> = reservation::Entity::find()
            .filter(reservation::Column::OrderId.eq(order_id))
            .all(&self.app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.product_id, row.quantity, row.status))
            .collect();
        rows.sort();
        rows
    }

    /// Every reservation row.
    pub async fn all_reservations(&self) -> Vec<reservation::Model> {
        reservation::Entity::find()
            .order_by_asc(reservation::Column::Id)
            .all(&self.app.db)
            .await
            .unwrap()
    }

    /// The product's stock as the API reports it.
    pub async fn stock(&self, product_id: Uuid) -> i64 {
        let data = self
            .app
            .query(
                "query($id: ID) { product(id: $id) { stock } }",
                json!({ "id": product_id }),
            )
            .await;
        data["product"]["stock"].as_i64().unwrap()
    }

    /// Creates a product with `stock` units through the API; returns its id.
    pub async fn product(&self, sku: &str, stock: i32) -> Uuid {
        let mut input = product_input(sku);
        input["stock"] = json!(stock);
        let created = self.app.create_product(input).await;
        Uuid::parse_str(created["id"].as_str().unwrap()).unwrap()
    }

    /// Sets the product's stock through the API as an administrator.
    pub async fn set_stock(&self, product_id: Uuid, stock: i32) {
        self.app
            .admin(
                "mutation($id: ID!, $stock: Int!) { setStock(id: $id, stock: $stock) { stock } }",
                json!({ "id": product_id, "stock": stock }),
            )
            .await;
    }

    /// Stops the background instances and waits for them.
    pub async fn stop(self) {
        self.trigger.trigger();
        self.background.join().await;
    }
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

fn lines(lines: &[(Uuid, i32)]) -> Vec<OrderLine> {
    lines
        .iter()
        .map(|(product_id, quantity)| OrderLine {
            product_id: *product_id,
            name: String::from("Product"),
            quantity: *quantity,
            unit_price: Money::new(1999, "USD"),
        })
        .collect()
}

fn total(lines: &[(Uuid, i32)]) -> Money {
    Money::new(lines.iter().map(|(_, q)| 1999 * i64::from(*q)).sum(), "USD")
}

pub fn order_placed(order_id: Uuid, order: &[(Uuid, i32)]) -> OrderPlaced {
    OrderPlaced {
        order_id,
        user_id: Uuid::nil(),
        lines: lines(order),
        total: total(order),
    }
}

pub fn order_confirmed(order_id: Uuid, order: &[(Uuid, i32)]) -> OrderConfirmed {
    OrderConfirmed {
        order_id,
        user_id: Uuid::nil(),
        lines: lines(order),
        total: total(order),
        payment_reference: format!("pay-{order_id}"),
    }
}

pub fn order_failed(order_id: Uuid) -> OrderFailed {
    OrderFailed {
        order_id,
        user_id: Uuid::nil(),
        reason: String::from("payment declined"),
    }
}

pub fn order_cancelled(order_id: Uuid, order: &[(Uuid, i32)], refunded: bool) -> OrderCancelled {
    OrderCancelled {
        order_id,
        user_id: Uuid::nil(),
        reason: String::from("changed my mind"),
        lines: lines(order),
        refunded,
    }
}

/// Waits until `check` holds (polling), failing the test after twenty seconds.
/// Whether `envelope` is one of the catalogue events (`ProductCreated`, …) rather than a saga answer.
pub fn is_catalogue_event(envelope: &EventEnvelope) -> bool {
    envelope.event_type.starts_with("Product")
}

pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
