//! What the event tests share: a fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set)
//! with the outbox, the processed table and an `effects` table a test handler writes to; a transport per
//! backend (the in-process bus, or Redis Streams on a stream of its own that is deleted afterwards when
//! `TEST_REDIS_URL` is set); and a handler that records what it did.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait, QueryOrder, Set};
use sea_orm_migration::prelude::*;
use shopgraph_events::transport::{InProcessBus, RedisStreams, RedisStreamsOptions};
use shopgraph_events::{
    ConsumerOptions, EventHandler, HandlerError, Interest, ReceivedEvent, SharedTransport,
    StockReserved, outbox,
};
use shopgraph_kit::test_database::TestDatabase;
use uuid::Uuid;

/// How long a pending message must sit untouched before another consumer takes it, in these tests.
pub const CLAIM_IDLE: Duration = Duration::from_millis(400);

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
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn in_process() {
                    super::$scenario($crate::support::Backend::InProcess).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn redis() {
                    match $crate::support::redis_url() {
                        Some(url) => super::$scenario($crate::support::Backend::Redis(url)).await,
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

/// The `effects` table: one row per handler run that committed.
pub mod effect {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "effects")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub consumer_group: String,
        pub event_id: Uuid,
        pub event_type: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

struct CreateEffects;

#[derive(DeriveIden)]
enum Effects {
    Table,
    Id,
    ConsumerGroup,
    EventId,
    EventType,
}

impl MigrationName for CreateEffects {
    fn name(&self) -> &str {
        "m20250601_000100_create_test_effects"
    }
}

#[async_trait]
impl MigrationTrait for CreateEffects {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use sea_orm_migration::schema::*;
        manager
            .create_table(
                Table::create()
                    .table(Effects::Table)
                    .col(big_pk_auto(Effects::Id))
                    .col(string(Effects::ConsumerGroup))
                    .col(uuid(Effects::EventId))
                    .col(string(Effects::EventType))
                    .to_owned(),
            )
            .await
    }
}

struct TestMigrator;

#[async_trait]
impl MigratorTrait for TestMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(outbox::Migration),
            Box::new(shopgraph_events::processed::Migration),
            Box::new(CreateEffects),
        ]
    }
}

/// A migrated database and a transport, cleaned up on drop.
pub struct Fixture {
    pub db: DatabaseConnection,
    pub transport: SharedTransport,
    pub backend: Backend,
    _database: TestDatabase,
    _streams: Option<StreamCleanup>,
}

impl Fixture {
    pub async fn new(backend: Backend) -> Fixture {
        let database = TestDatabase::from_env("events").await.unwrap();
        let db = shopgraph_kit::db::connect_and_migrate::<TestMigrator>(&database.url)
            .await
            .unwrap();
        let (transport, streams) = transport(&backend).await;
        Fixture {
            db,
            transport,
            backend,
            _database: database,
            _streams: streams,
        }
    }

    /// Another transport over the same stream or bus (another process, as far as Redis can tell).
    pub async fn second_transport(&self) -> SharedTransport {
        match &self.backend {
            Backend::InProcess => Arc::clone(&self.transport),
            Backend::Redis(url) => {
                let stream = self
                    ._streams
                    .as_ref()
                    .map(|s| s.stream.clone())
                    .unwrap_or_default();
                Arc::new(
                    RedisStreams::connect(url, redis_options(&stream))
                        .await
                        .unwrap(),
                )
            }
        }
    }

    /// The effects, in the order they were committed.
    pub async fn effects(&self) -> Vec<effect::Model> {
        effect::Entity::find()
            .order_by_asc(effect::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
    }

    pub async fn outbox_rows(&self) -> Vec<outbox::entity::Model> {
        outbox::entity::Entity::find()
            .order_by_asc(outbox::entity::Column::Position)
            .all(&self.db)
            .await
            .unwrap()
    }
}

fn redis_options(stream: &str) -> RedisStreamsOptions {
    RedisStreamsOptions {
        claim_idle: CLAIM_IDLE,
        claim_interval: Duration::from_millis(100),
        ..RedisStreamsOptions::with_stream(stream)
    }
}

async fn transport(backend: &Backend) -> (SharedTransport, Option<StreamCleanup>) {
    match backend {
        Backend::InProcess => (Arc::new(InProcessBus::with_claim_idle(CLAIM_IDLE)), None),
        Backend::Redis(url) => {
            let stream = format!("shopgraph-test:{}", Uuid::new_v4().simple());
            let redis = RedisStreams::connect(url, redis_options(&stream))
                .await
                .unwrap();
            let cleanup = StreamCleanup {
                url: url.clone(),
                stream: stream.clone(),
                dead_stream: redis.dead_letter_stream().to_owned(),
            };
            (Arc::new(redis), Some(cleanup))
        }
    }
}

/// Deletes a test's streams when the test ends, whether it passed or not.
struct StreamCleanup {
    url: String,
    stream: String,
    dead_stream: String,
}

impl Drop for StreamCleanup {
    fn drop(&mut self) {
        if let Ok(client) = redis::Client::open(self.url.as_str())
            && let Ok(mut conn) = client.get_connection()
        {
            let _: Result<(), _> = redis::cmd("DEL")
                .arg(&self.stream)
                .arg(&self.dead_stream)
                .query(&mut conn);
        }
    }
}

/// Consumer options for tests: quick retries.
pub fn quick_options(max_attempts: u32) -> ConsumerOptions {
    ConsumerOptions {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        read_wait: Duration::from_millis(200),
        error_pause: Duration::from_millis(100),
        ..ConsumerOptions::default()
    }
}

/// How a [`RecordingHandler`] ends each call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Succeed,
    /// Fails (retryably) every time.
    AlwaysFail,
    /// Fails so that retrying cannot help.
    FailPermanently,
}

/// Writes an `effects` row (and, with `follow_up`, appends a `StockReserved` event to the outbox) for
/// every event, then ends as its behaviour says; counts its calls.
#[derive(Clone)]
pub struct RecordingHandler {
    pub group: String,
    pub interest: Interest,
    pub behaviour: Behaviour,
    pub follow_up: bool,
    pub calls: Arc<AtomicU32>,
    /// `ReceivedEvent::attempt` of every call.
    pub attempts: Arc<Mutex<Vec<u32>>>,
}

impl RecordingHandler {
    pub fn new(group: &str, interest: Interest, behaviour: Behaviour) -> RecordingHandler {
        RecordingHandler {
            group: group.to_owned(),
            interest,
            behaviour,
            follow_up: false,
            calls: Arc::new(AtomicU32::new(0)),
            attempts: Arc::default(),
        }
    }

    pub fn with_follow_up(mut self) -> RecordingHandler {
        self.follow_up = true;
        self
    }

    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn attempts(&self) -> Vec<u32> {
        self.attempts.lock().unwrap().clone()
    }
}

pub const HANDLER_ERROR: &str = "payment provider unavailable";

#[async_trait]
impl EventHandler for RecordingHandler {
    fn interest(&self) -> Interest {
        self.interest.clone()
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.attempts.lock().unwrap().push(event.attempt);
        effect::Entity::insert(effect::ActiveModel {
            consumer_group: Set(self.group.clone()),
            event_id: Set(event.envelope.id),
            event_type: Set(event.envelope.event_type.clone()),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
        if self.follow_up {
            let follow_up = StockReserved {
                order_id: event.envelope.id,
                expires_at: chrono::Utc::now(),
            };
            outbox::append(txn, "test", follow_up, event.envelope.traceparent.clone()).await?;
        }
        match self.behaviour {
            Behaviour::Succeed => Ok(()),
            Behaviour::AlwaysFail => Err(HandlerError::failed(HANDLER_ERROR)),
            Behaviour::FailPermanently => Err(HandlerError::permanent("order references no user")),
        }
    }
}

/// Waits until `check` holds (polling), failing the test after ten seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
