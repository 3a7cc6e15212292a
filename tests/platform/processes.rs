//! The platform as separate processes, the way it is deployed: users, products, carts, orders,
//! notifications and the router each run as `shopgraph serve <service>` on a free port, every subgraph
//! over a fresh PostgreSQL database of its own, all on one (unique) Redis stream. Then a service is
//! killed with SIGKILL at the worst moment and started again:
//!
//! - products, after `OrderPlaced` events reached the stream but before products handled them (its link
//!   to Redis is cut first, so what Redis hands its consumer never arrives and stays pending for the dead
//!   consumer until the restarted one claims it);
//! - orders, right after checkouts committed their orders and `OrderPlaced` events, before its relay
//!   published them (its link to Redis is cut first, so the outbox rows stay unpublished).
//!
//! Afterwards every order reaches its final status, and every event had its effect exactly once: one
//! reservation per order and the stock moved by exactly the confirmed quantities, one charge per order,
//! one notification per order event, the carts emptied once; no outbox row is left unpublished, no
//! message is left pending in any consumer group, and nothing was dead-lettered.
//!
//! Runs when `TEST_DATABASE_URL` and `TEST_REDIS_URL` are set (CI sets them), otherwise says why not.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use futures::future::join_all;
use sea_orm::{Database, DatabaseConnection};
use shopgraph_events::{RedisStreams, RedisStreamsOptions};
use shopgraph_kit::Config;
use shopgraph_kit::test_database::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use uuid::Uuid;

use crate::support::{
    Client, Customer, count, create_product, delete_stream, events_of, eventually, read_all_events,
    register, sign_in_admin, text,
};

/// The subgraphs, in start order.
const SUBGRAPHS: [&str; 5] = ["users", "products", "carts", "orders", "notifications"];
/// How long a message may sit with a consumer that stopped before another consumer takes it over.
const CLAIM_IDLE_MS: &str = "1500";

/// One service running as its own process; killed when dropped.
struct ServiceProcess {
    child: Child,
}

impl ServiceProcess {
    /// SIGKILL: no shutdown, no cleanup.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP relay to Redis that can be cut, keeping every connection open, so that the service behind it
/// sees a Redis that has gone silent: from the cut on, nothing is forwarded in either direction (it is
/// read and dropped). [`RedisLink::cut_after_next_read`] lets one more `XREADGROUP` through first: that
/// read is still blocked in Redis, so events published in the next moment are handed to it — pending
/// with a consumer that never sees them.
struct RedisLink {
    url: String,
    mode: Arc<AtomicU8>,
}

const OPEN: u8 = 0;
const CUT_AFTER_NEXT_READ: u8 = 1;
const CUT: u8 = 2;

impl RedisLink {
    async fn to(redis_url: &str) -> RedisLink {
        let mut url = reqwest::Url::parse(redis_url).expect("TEST_REDIS_URL is a URL");
        let upstream = format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(6379)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        url.set_host(Some("127.0.0.1")).expect("host");
        url.set_port(Some(port)).expect("port");
        let mode = Arc::new(AtomicU8::new(OPEN));
        let link_mode = Arc::clone(&mode);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream.clone(), Arc::clone(&link_mode)));
            }
        });
        RedisLink {
            url: url.to_string(),
            mode,
        }
    }

    fn cut(&self) {
        self.mode.store(CUT, Ordering::SeqCst);
    }

    /// Cuts the link right after the next `XREADGROUP` went through (or after `wait`, if none comes).
    async fn cut_after_next_read(&self, wait: Duration) {
        self.mode.store(CUT_AFTER_NEXT_READ, Ordering::SeqCst);
        let deadline = Instant::now() + wait;
        while self.mode.load(Ordering::SeqCst) != CUT && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.cut();
    }
}

async fn relay(client: TcpStream, upstream: String, mode: Arc<AtomicU8>) {
    let (mut client_read, client_write) = client.into_split();
    if mode.load(Ordering::SeqCst) == CUT {
        let mut buffer = [0u8; 4096];
        while matches!(client_read.read(&mut buffer).await, Ok(n) if n > 0) {}
        return;
    }
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        () = pump(client_read, server_write, Arc::clone(&mode), true) => {}
        () = pump(server_read, client_write, mode, false) => {}
    }
}

/// Copies `from` to `to` until either closes, dropping everything once the link is cut. On the way to
/// Redis (`commands`), an `XREADGROUP` passing while the link is to be cut after the next read cuts it.
async fn pump(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    mode: Arc<AtomicU8>,
    commands: bool,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let chunk = &buffer[..n];
        let cut_after = commands
            && mode.load(Ordering::SeqCst) == CUT_AFTER_NEXT_READ
            && chunk
                .windows(10)
                .any(|w| w.eq_ignore_ascii_case(b"XREADGROUP"));
        if mode.load(Ordering::SeqCst) == CUT {
            continue;
        }
        if to.write_all(chunk).await.is_err() {
            return;
        }
        if cut_after {
            mode.store(CUT, Ordering::SeqCst);
        }
    }
}

/// A free port on 127.0.0.1 (free when asked; the service binds it right after).
async fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The platform as processes.
struct Deployment {
    dir: PathBuf,
    redis_url: String,
    stream: String,
    jwt_secret: String,
    ports: HashMap<&'static str, u16>,
    databases: HashMap<&'static str, TestDatabase>,
    processes: HashMap<&'static str, ServiceProcess>,
    http: reqwest::Client,
}

impl Deployment {
    /// Fresh databases (users and products with the demo data), then every service and the router,
    /// `victim` reaching Redis through `link`.
    async fn start(database: &str, redis_url: &str, victim: &str, link: &RedisLink) -> Deployment {
        let dir = std::env::temp_dir().join(format!("shopgraph-processes-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let mut deployment = Deployment {
            dir,
            redis_url: redis_url.to_owned(),
            stream: format!("shopgraph-processes:{}", Uuid::new_v4().simple()),
            jwt_secret: format!("processes-{}", Uuid::new_v4()),
            ports: HashMap::new(),
            databases: HashMap::new(),
            processes: HashMap::new(),
            http: reqwest::Client::new(),
        };
        for service in SUBGRAPHS {
            let db = TestDatabase::postgres(database, &format!("processes_{service}"))
                .await
                .expect("PostgreSQL database");
            deployment.databases.insert(service, db);
            deployment.ports.insert(service, free_port().await);
        }
        deployment.ports.insert("router", free_port().await);
        // The demo accounts (an administrator) and catalogue, as the dev stack loads them.
        let users = shopgraph_users::connect(&deployment.config("users"))
            .await
            .expect("users database");
        shopgraph_users::demo::seed(&users)
            .await
            .expect("demo users");
        let products = shopgraph_products::connect(&deployment.config("products"))
            .await
            .expect("products database");
        shopgraph_products::demo::seed(&products)
            .await
            .expect("demo products");
        for service in SUBGRAPHS.into_iter().chain(["router"]) {
            let redis = (service == victim).then(|| link.url.clone());
            deployment.start_service(service, redis).await;
        }
        deployment
    }

    fn config(&self, service: &str) -> Config {
        let mut config = Config::defaults(service, 0);
        config.database_url = self.databases[service].url.clone();
        config
    }

    fn url(&self, service: &str) -> String {
        format!("http://127.0.0.1:{}/graphql", self.ports[service])
    }

    /// Starts `service` as `shopgraph serve <service>`, reaching Redis at `redis` (default: directly),
    /// and waits until it is ready.
    async fn start_service(&mut self, service: &'static str, redis: Option<String>) {
        let port = self.ports[service];
        let mut env: Vec<(String, String)> = vec![
            ("LISTEN_ADDR".into(), format!("127.0.0.1:{port}")),
            ("JWT_SECRET".into(), self.jwt_secret.clone()),
            ("RUST_LOG".into(), "info,sqlx=warn,sea_orm=warn".into()),
            ("RUST_BACKTRACE".into(), "1".into()),
            ("NO_COLOR".into(), "1".into()),
        ];
        // Every subgraph answers only requests carrying the router secret; the router and orders send it.
        let secret = format!("{}-router-secret", self.jwt_secret);
        if service == "router" {
            env.push(("SUBGRAPH_SECRET".into(), secret));
            let supergraph =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/supergraph.graphql");
            env.push(("SUPERGRAPH_PATH".into(), supergraph.display().to_string()));
            for subgraph in SUBGRAPHS {
                env.push((
                    format!("SUBGRAPH_{}_URL", subgraph.to_uppercase()),
                    self.url(subgraph),
                ));
            }
        } else {
            env.extend([
                ("ROUTER_SECRET".into(), secret),
                ("DATABASE_URL".into(), self.databases[service].url.clone()),
                (
                    "REDIS_URL".into(),
                    redis.unwrap_or_else(|| self.redis_url.clone()),
                ),
                ("EVENTS_STREAM".into(), self.stream.clone()),
                ("EVENTS_CLAIM_IDLE_MS".into(), CLAIM_IDLE_MS.into()),
            ]);
        }
        match service {
            "orders" => env.extend([
                ("CARTS_URL".into(), self.url("carts")),
                ("PRODUCTS_URL".into(), self.url("products")),
            ]),
            "notifications" => env.push((
                "MAIL_DIR".into(),
                self.dir.join("mail").display().to_string(),
            )),
            _ => {}
        }
        let log = self.log_path(service);
        let stdout = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let stderr = stdout.try_clone().expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_shopgraph"))
            .args(["serve", service])
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("shopgraph serve starts");
        let mut process = ServiceProcess { child };
        let ready = format!("http://127.0.0.1:{port}/ready");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.http.get(&ready).send().await
                && response.status().is_success()
            {
                break;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "{service} exited with {status} before it was ready:\n{}",
                    tail(&log)
                );
            }
            assert!(
                Instant::now() < deadline,
                "{service} was not ready at {ready} within 30 s:\n{}",
                tail(&log)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.processes.insert(service, process);
    }

    fn log_path(&self, service: &str) -> PathBuf {
        self.dir.join(format!("{service}.log"))
    }

    /// SIGKILL to `service`.
    fn kill(&mut self, service: &str) {
        self.processes
            .get_mut(service)
            .expect("a running service")
            .kill();
    }

    fn anonymous(&self) -> Client {
        Client {
            http: self.http.clone(),
            url: self.url("router"),
            token: None,
        }
    }

    async fn database(&self, service: &str) -> DatabaseConnection {
        Database::connect(&self.databases[service].url)
            .await
            .expect("database connects")
    }

    async fn events(&self) -> Vec<shopgraph_events::EventEnvelope> {
        let redis = RedisStreams::connect(
            &self.redis_url,
            RedisStreamsOptions::with_stream(self.stream.clone()),
        )
        .await
        .expect("Redis");
        read_all_events(&redis).await
    }

    async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.redis_url.as_str())
            .expect("Redis URL")
            .get_multiplexed_async_connection()
            .await
            .expect("Redis")
    }

    /// The logs of every service, for a failure message.
    fn logs(&self) -> String {
        SUBGRAPHS
            .iter()
            .chain(&["router"])
            .map(|service| format!("--- {service}\n{}", tail(&self.log_path(service))))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        self.processes.clear();
        if std::thread::panicking() {
            eprintln!("service logs (in {}):\n{}", self.dir.display(), self.logs());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        let (url, stream) = (self.redis_url.clone(), self.stream.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(delete_stream(&url, &stream));
            }
        })
        .join();
    }
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A customer's order in these runs.
struct Purchase {
    customer: Customer,
    token: &'static str,
    quantity: i64,
    order: String,
}

/// A new customer with `quantity` units of `product` in the cart, ready to check out with `token`.
struct Shopper {
    customer: Customer,
    token: &'static str,
    quantity: i64,
}

async fn shopper(anonymous: &Client, product: &str, token: &'static str, quantity: i64) -> Shopper {
    let customer = register(anonymous, "Process Buyer").await;
    customer.add_to_cart(product, quantity).await;
    Shopper {
        customer,
        token,
        quantity,
    }
}

impl Shopper {
    async fn checkout(self) -> Purchase {
        let order = self.customer.checkout(self.token).await;
        assert_eq!(order["status"], "PENDING", "{order:#}");
        Purchase {
            customer: self.customer,
            token: self.token,
            quantity: self.quantity,
            order: text(&order["id"]),
        }
    }
}

/// Kills `victim` at its worst moment (see the module comment), restarts it and checks the outcome.
async fn crash_and_recover(victim: &'static str) {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (Some(database), Some(redis_url)) = (env("TEST_DATABASE_URL"), env("TEST_REDIS_URL"))
    else {
        eprintln!(
            "the multi-process run (killing {victim}) needs PostgreSQL and Redis: set TEST_DATABASE_URL \
             and TEST_REDIS_URL; skipped"
        );
        return;
    };
    let link = RedisLink::to(&redis_url).await;
    let mut deployment = Deployment::start(&database, &redis_url, victim, &link).await;
    let anonymous = deployment.anonymous();
    let admin = sign_in_admin(&anonymous).await;
    const STOCK: i64 = 40;
    let product = create_product(&admin, "Sturdy Crate", 2500, STOCK).await;

    // Before the crash: two orders go all the way.
    let shoppers = join_all([
        shopper(&anonymous, &product, "tok_visa", 1),
        shopper(&anonymous, &product, "tok_visa", 2),
    ])
    .await;
    let before = join_all(shoppers.into_iter().map(Shopper::checkout)).await;
    for p in &before {
        assert_eq!(p.customer.wait_for_final(&p.order).await.0, "CONFIRMED");
    }

    // The victim's Redis goes silent; three more checkouts commit.
    let shoppers = join_all([
        shopper(&anonymous, &product, "tok_visa", 3),
        shopper(&anonymous, &product, "tok_decline", 4),
        shopper(&anonymous, &product, "tok_visa", 5),
    ])
    .await;
    if victim == "products" {
        link.cut_after_next_read(Duration::from_secs(5)).await;
    } else {
        link.cut();
    }
    let during = join_all(shoppers.into_iter().map(Shopper::checkout)).await;
    let orders_db = deployment.database("orders").await;
    let products_db = deployment.database("products").await;
    match victim {
        "products" => {
            // The OrderPlaced events are on the stream; products has not acted on any of them.
            eventually("the OrderPlaced events on the stream", || async {
                let events = deployment.events().await;
                let on_stream = during
                    .iter()
                    .filter(|p| events_of(&events, "OrderPlaced", &p.order).len() == 1)
                    .count();
                if on_stream == during.len() {
                    Ok(())
                } else {
                    Err(format!("{on_stream} of {} published", during.len()))
                }
            })
            .await;
            // Whatever Redis handed to products' consumer in its last read is pending with it; the
            // rest is not delivered yet. Either way products has not acted on any of them.
            let mut redis = deployment.redis().await;
            let pending = pending_count(&mut redis, &deployment.stream, "products")
                .await
                .expect("XPENDING");
            eprintln!(
                "f_products: killing products with {pending} of {} OrderPlaced events pending with its \
                 consumer (claimed by the restarted one), the rest not yet delivered",
                during.len()
            );
            for p in &during {
                assert_eq!(
                    reservations_of(&products_db, &p.order).await,
                    0,
                    "products handled {} before the crash",
                    p.order
                );
            }
        }
        _ => {
            // The orders and their OrderPlaced events are committed, and not published.
            assert_eq!(
                count(
                    &orders_db,
                    "SELECT COUNT(*) FROM event_outbox WHERE published_at IS NULL AND event_type = 'OrderPlaced'",
                    vec![]
                )
                .await,
                during.len() as i64
            );
            let events = deployment.events().await;
            for p in &during {
                assert!(events_of(&events, "OrderPlaced", &p.order).is_empty());
            }
        }
    }
    deployment.kill(victim);
    deployment.start_service(victim, None).await;

    // Every order reaches its final status.
    let purchases: Vec<&Purchase> = before.iter().chain(&during).collect();
    let outcomes = join_all(
        purchases
            .iter()
            .map(|p| async { p.customer.wait_for_final(&p.order).await }),
    )
    .await;
    let mut sold = 0;
    for (p, (status, history)) in purchases.iter().zip(&outcomes) {
        let expected = if p.token == "tok_visa" {
            "CONFIRMED"
        } else {
            "FAILED"
        };
        assert_eq!(
            status,
            expected,
            "order {}: {history:#?}\n{}",
            p.order,
            deployment.logs()
        );
        // Each transition happened once.
        let statuses: Vec<&str> = history
            .iter()
            .map(|line| line.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(
            statuses,
            ["PENDING", "PAYMENT_PENDING", expected],
            "{history:#?}"
        );
        if expected == "CONFIRMED" {
            sold += p.quantity;
        }
    }

    // The stock moved once per order: one reservation each, and the stock is down by what was sold.
    eventually("the declined order's units back in stock", || async {
        let released = count(
            &products_db,
            "SELECT COUNT(*) FROM reservations WHERE status = 'RELEASED'",
            vec![],
        )
        .await;
        if released == 1 {
            Ok(())
        } else {
            Err(format!("{released} released reservations"))
        }
    })
    .await;
    for p in &purchases {
        assert_eq!(
            reservations_of(&products_db, &p.order).await,
            1,
            "{}",
            p.order
        );
    }
    // The sale of a confirmed order's reservation follows its OrderConfirmed asynchronously.
    eventually("the confirmed orders' reservations sold", || async {
        let sold = count(
            &products_db,
            "SELECT COUNT(*) FROM reservations WHERE status = 'SOLD'",
            vec![],
        )
        .await;
        if sold == 4 {
            Ok(())
        } else {
            Err(format!("{sold} sold reservations"))
        }
    })
    .await;
    assert_eq!(
        crate::support::stock_of(&anonymous, &product).await,
        STOCK - sold
    );

    // One charge per order (every order got as far as the payment).
    assert_eq!(
        count(
            &orders_db,
            "SELECT COUNT(*) FROM simulated_payment_charges",
            vec![]
        )
        .await,
        purchases.len() as i64
    );

    // One notification per order event, and the welcome, for every customer; confirmed carts emptied.
    for p in &purchases {
        let kind = if p.token == "tok_visa" {
            "ORDER_CONFIRMED"
        } else {
            "ORDER_FAILED"
        };
        p.customer.wait_for_notifications(&["WELCOME", kind]).await;
        let notifications = p.customer.notifications().await;
        assert_eq!(notifications.len(), 2, "{notifications:#?}");
        let expected_cart: Vec<(String, i64)> = if p.token == "tok_visa" {
            Vec::new()
        } else {
            vec![(product.clone(), p.quantity)]
        };
        eventually("the confirmed orders to leave the carts", || async {
            let cart = p.customer.cart().await;
            if cart == expected_cart {
                Ok(())
            } else {
                Err(format!("cart {cart:?}, expected {expected_cart:?}"))
            }
        })
        .await;
    }

    // Nothing left over: every outbox published, every consumer group caught up, no dead letters.
    for service in ["users", "products", "orders"] {
        let db = deployment.database(service).await;
        eventually(&format!("{service}'s outbox to be published"), || async {
            let pending = count(
                &db,
                "SELECT COUNT(*) FROM event_outbox WHERE published_at IS NULL",
                vec![],
            )
            .await;
            if pending == 0 {
                Ok(())
            } else {
                Err(format!("{pending} unpublished"))
            }
        })
        .await;
    }
    let mut redis = deployment.redis().await;
    for group in ["products", "carts", "orders", "notifications"] {
        eventually(&format!("group {group} to have nothing pending"), || {
            let mut redis = redis.clone();
            let stream = deployment.stream.clone();
            async move {
                let pending = pending_count(&mut redis, &stream, group).await?;
                if pending == 0 {
                    Ok(())
                } else {
                    Err(format!("{pending} pending"))
                }
            }
        })
        .await;
    }
    let dead: i64 = redis::cmd("XLEN")
        .arg(format!("{}:dead", deployment.stream))
        .query_async(&mut redis)
        .await
        .expect("XLEN");
    assert_eq!(dead, 0, "dead letters");
}

/// How many messages of `stream` are delivered to `group` and not acknowledged.
async fn pending_count(
    redis: &mut redis::aio::MultiplexedConnection,
    stream: &str,
    group: &str,
) -> Result<i64, String> {
    let reply: redis::Value = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .query_async(redis)
        .await
        .map_err(|e| e.to_string())?;
    match &reply {
        redis::Value::Array(items) => match items.first() {
            Some(redis::Value::Int(count)) => Ok(*count),
            _ => Err(format!("XPENDING {reply:?}")),
        },
        _ => Err(format!("XPENDING {reply:?}")),
    }
}

/// How many reservations products holds for `order`.
async fn reservations_of(products: &DatabaseConnection, order: &str) -> i64 {
    let id: Uuid = order.parse().expect("order id");
    count(
        products,
        "SELECT COUNT(*) FROM reservations WHERE order_id = ?",
        vec![id.into()],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_products_killed_before_handling_order_placed() {
    crash_and_recover("products").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_orders_killed_before_its_relay_published() {
    crash_and_recover("orders").await;
}
