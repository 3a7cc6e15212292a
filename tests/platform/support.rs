//! What the checkout tests share: the platform on the backends under test (SQLite files and the
//! in-process bus always; fresh PostgreSQL databases and a unique Redis stream when `TEST_DATABASE_URL`
//! and `TEST_REDIS_URL` are set), a GraphQL client of the router, the steps of a customer's checkout,
//! bounded waits that fail with what they last saw, and direct looks into the services' databases and the
//! event stream.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use shopgraph::{RedisEvents, Stack, StackOptions};
use shopgraph_events::{EventEnvelope, RedisStreamsOptions};
use shopgraph_kit::CredentialLimits;
use shopgraph_kit::test_database::TestDatabase;
use tokio::time::Instant;
use uuid::Uuid;

/// The longest any wait for the saga takes before the test fails.
pub const SAGA_DEADLINE: Duration = Duration::from_secs(45);
/// orders' payment deadline in these tests (a `tok_timeout` charge answers after twice as long). A
/// `tok_visa` charge writes to the orders database inside this deadline, so it must allow for a busy
/// SQLite file under twenty concurrent checkouts on a loaded machine.
pub const PAYMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// The final statuses of an order.
pub const FINAL: [&str; 3] = ["CONFIRMED", "FAILED", "CANCELLED"];

/// Where the stack keeps its data and carries its events.
#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite files and the in-process bus.
    Sqlite,
    /// Fresh databases on the PostgreSQL server `database`, events on Redis at `redis` when set
    /// (otherwise the in-process bus).
    Postgres {
        database: String,
        redis: Option<String>,
    },
}

impl Backend {
    /// PostgreSQL (and Redis) from `TEST_DATABASE_URL` and `TEST_REDIS_URL`; `None`, with the reason
    /// printed, when `TEST_DATABASE_URL` is not set.
    pub fn postgres_from_env(test: &str) -> Option<Backend> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let Some(database) = env("TEST_DATABASE_URL") else {
            eprintln!(
                "{test}: TEST_DATABASE_URL is not set, so the PostgreSQL + Redis run is skipped"
            );
            return None;
        };
        let redis = env("TEST_REDIS_URL");
        if redis.is_none() {
            eprintln!(
                "{test}: TEST_REDIS_URL is not set, so this PostgreSQL run uses the in-process bus"
            );
        }
        Some(Backend::Postgres { database, redis })
    }
}

/// The platform under test: the one-process stack, its temporary directory (SQLite files, `.eml`
/// files) and its PostgreSQL databases, all removed again by [`Platform::stop`].
pub struct Platform {
    pub stack: Stack,
    pub dir: PathBuf,
    /// How the stack was started, for [`Platform::restart`].
    options: StackOptions,
    databases: Vec<TestDatabase>,
    redis: Option<(String, String)>,
    http: reqwest::Client,
}

impl Platform {
    /// Starts the stack with demo data on `backend`, with a short payment deadline.
    pub async fn start(backend: &Backend) -> Platform {
        let dir = std::env::temp_dir().join(format!("shopgraph-platform-{}", Uuid::new_v4()));
        let mut options = StackOptions::in_dir(&dir);
        options.base_port = 0;
        options.jwt_secret = Some(format!("platform-{}", Uuid::new_v4()));
        // Every client of the stack signs in from the router's address, and the tests sign in the
        // administrator and register customers by the dozen: generous buckets, still on the way.
        let generous = "10000/min".parse().expect("a rate");
        options.credential_limits = Some(CredentialLimits {
            login_per_email: generous,
            login_per_ip: generous,
            register_per_email: generous,
            register_per_ip: generous,
        });
        options.payment_timeout = Some(PAYMENT_TIMEOUT);
        let mut databases = Vec::new();
        let mut redis = None;
        if let Backend::Postgres {
            database,
            redis: redis_url,
        } = backend
        {
            options.database_urls.clear();
            for (service, _) in shopgraph::SUBGRAPHS {
                let db = TestDatabase::postgres(database, &format!("platform_{service}"))
                    .await
                    .expect("PostgreSQL database");
                options
                    .database_urls
                    .push((service.to_owned(), db.url.clone()));
                databases.push(db);
            }
            if let Some(url) = redis_url {
                let stream = format!("shopgraph-test:{}", Uuid::new_v4().simple());
                options.redis = Some(RedisEvents {
                    url: url.clone(),
                    options: RedisStreamsOptions::with_stream(stream.clone()),
                });
                redis = Some((url.clone(), stream));
            }
        }
        let stack = shopgraph::start(options.clone())
            .await
            .expect("the stack starts");
        Platform {
            stack,
            dir,
            options,
            databases,
            redis,
            http: reqwest::Client::new(),
        }
    }

    /// A client of the router without a token.
    pub fn anonymous(&self) -> Client {
        Client {
            http: self.http.clone(),
            url: self.stack.router_url.clone(),
            token: None,
        }
    }

    /// A new customer, signed in.
    pub async fn customer(&self, name: &str) -> Customer {
        register(&self.anonymous(), name).await
    }

    /// The demo administrator, signed in.
    pub async fn admin(&self) -> Client {
        sign_in_admin(&self.anonymous()).await
    }

    /// A new product with `stock` units at `price` cents, created by the administrator.
    pub async fn product(&self, name: &str, price: i64, stock: i64) -> String {
        create_product(&self.admin().await, name, price, stock).await
    }

    /// The product's stock as the router reports it.
    pub async fn stock(&self, product: &str) -> i64 {
        stock_of(&self.anonymous(), product).await
    }

    /// Waits until the product's stock is `expected`.
    pub async fn wait_for_stock(&self, product: &str, expected: i64, what: &str) {
        let client = self.anonymous();
        eventually(what, || async {
            let stock = stock_of(&client, product).await;
            if stock == expected {
                Ok(())
            } else {
                Err(format!("stock is {stock}, expected {expected}"))
            }
        })
        .await;
    }

    /// A connection to `service`'s database.
    pub async fn database(&self, service: &str) -> DatabaseConnection {
        let url = self
            .stack
            .database_url(service)
            .expect("a subgraph of the stack");
        Database::connect(url).await.expect("database connects")
    }

    /// Every event on the stack's transport so far (read by a consumer group of its own).
    pub async fn events(&self) -> Vec<EventEnvelope> {
        read_all_events(self.stack.events().as_ref()).await
    }

    /// The `.eml` files notifications wrote so far.
    pub fn emails(&self) -> Vec<String> {
        emails_in(&self.stack.mail_dir)
    }

    /// Stops every service and starts them again over the same databases and event stream (on the
    /// in-process bus, the events published before are gone with the old process).
    pub async fn restart(mut self) -> Platform {
        self.stack.stop().await;
        self.stack = shopgraph::start(self.options.clone())
            .await
            .expect("the stack starts again");
        self
    }

    /// Stops the stack and removes its files, databases and stream.
    pub async fn stop(self) {
        let dead = self
            .stack
            .events()
            .dead_letters(10)
            .await
            .expect("dead letters");
        assert!(dead.is_empty(), "dead-lettered events: {dead:#?}");
        self.stack.stop().await;
        drop(self.databases);
        if let Some((url, stream)) = self.redis {
            delete_stream(&url, &stream).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Registers a new customer through `anonymous` and returns them signed in.
pub async fn register(anonymous: &Client, name: &str) -> Customer {
    let email = format!(
        "{}-{}@example.com",
        name.to_lowercase().replace(' ', "."),
        Uuid::new_v4().simple()
    );
    let data = anonymous
        .data(
            "mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }",
            json!({ "input": { "email": email, "password": "correct-horse-battery", "name": name } }),
        )
        .await;
    Customer {
        client: Client {
            token: Some(text(&data["register"]["token"])),
            ..anonymous.clone()
        },
        email,
    }
}

/// Signs the demo administrator in through `anonymous`.
pub async fn sign_in_admin(anonymous: &Client) -> Client {
    let data = anonymous
        .data(
            "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
            json!({
                "email": shopgraph_users::demo::ADMIN_EMAIL,
                "password": shopgraph_users::demo::ADMIN_PASSWORD,
            }),
        )
        .await;
    Client {
        token: Some(text(&data["login"]["token"])),
        ..anonymous.clone()
    }
}

/// A new product with `stock` units at `price` cents, created by `admin`.
pub async fn create_product(admin: &Client, name: &str, price: i64, stock: i64) -> String {
    let data = admin
        .data(
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { id stock } }",
            json!({ "input": {
                "sku": format!("TEST-{}", Uuid::new_v4().simple()),
                "name": name,
                "price": { "amount": price, "currency": "USD" },
                "category": "test",
                "stock": stock,
            } }),
        )
        .await;
    assert_eq!(data["createProduct"]["stock"], stock);
    text(&data["createProduct"]["id"])
}

/// Deletes the event stream `stream` and its dead letters.
pub async fn delete_stream(url: &str, stream: &str) {
    if let Ok(client) = redis::Client::open(url)
        && let Ok(mut conn) = client.get_multiplexed_async_connection().await
    {
        let _: Result<(), _> = redis::cmd("DEL")
            .arg(stream)
            .arg(format!("{stream}:dead"))
            .query_async(&mut conn)
            .await;
    }
}

/// Every event `transport` holds, read by a new consumer group from the beginning of the stream.
pub async fn read_all_events(transport: &dyn shopgraph_events::Transport) -> Vec<EventEnvelope> {
    let group = format!("test-observer-{}", Uuid::new_v4().simple());
    let mut subscription = transport
        .subscribe(&group, "observer")
        .await
        .expect("subscribe");
    let mut events = Vec::new();
    while let Some(delivery) = subscription
        .next(Duration::from_millis(300))
        .await
        .expect("read the events")
    {
        events.push(delivery.envelope().expect("well-formed event"));
        subscription.ack(&delivery).await.expect("ack");
    }
    events
}

/// The `.eml` files in `dir`.
pub fn emails_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
        .map(|entry| std::fs::read_to_string(entry.path()).expect("readable .eml"))
        .collect()
}

/// The events of type `event_type` whose payload's `order_id` is `order`.
pub fn events_of<'a>(
    events: &'a [EventEnvelope],
    event_type: &str,
    order: &str,
) -> Vec<&'a EventEnvelope> {
    events
        .iter()
        .filter(|e| e.event_type == event_type && e.payload["order_id"] == order)
        .collect()
}

/// A GraphQL client of the router.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
}

impl Client {
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the router answers");
        assert_eq!(response.status(), 200);
        response.json().await.expect("a JSON response")
    }

    /// `addToCart` selecting `selection`, retried while carts' catalogue projection has not yet heard of
    /// the product (`NOT_FOUND`); any other error fails the test. Returns `data`.
    pub async fn add_to_cart(&self, product: &str, quantity: i64, selection: &str) -> Value {
        let query = format!(
            "mutation($id: ID!, $q: Int!) {{ addToCart(productId: $id, quantity: $q) {{ {selection} }} }}"
        );
        eventually("carts to know the product", || async {
            let response = self
                .post(&query, json!({ "id": product, "q": quantity }))
                .await;
            match error_code(&response) {
                None => Ok(response["data"].clone()),
                Some(code) if code == "NOT_FOUND" => Err(format!("{response}")),
                Some(_) => panic!("addToCart failed: {response:#}"),
            }
        })
        .await
    }

    /// `data` of a response that must have no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.post(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors for {query}: {response:#}"
        );
        response["data"].clone()
    }
}

/// A signed-in customer.
pub struct Customer {
    pub client: Client,
    pub email: String,
}

/// The shipping address every test order goes to.
pub fn address() -> Value {
    json!({
        "name": "Ada Lovelace",
        "line1": "12 St James's Square",
        "city": "London",
        "postalCode": "SW1Y 4JH",
        "country": "GB",
    })
}

impl Customer {
    /// Puts the product into the cart. carts learns of new products from the catalogue events, so a
    /// product created a moment ago may still be `NOT_FOUND` there: that answer is retried (bounded).
    pub async fn add_to_cart(&self, product: &str, quantity: i64) {
        self.client.add_to_cart(product, quantity, "id").await;
    }

    /// The raw response of `checkout` with `token` under `key`.
    pub async fn try_checkout(&self, token: &str, key: &str) -> Value {
        self.client
            .post(
                "mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) { id status total { amount currency } lines { product { id } quantity } } }",
                json!({ "input": { "shippingAddress": address(), "paymentToken": token }, "key": key }),
            )
            .await
    }

    /// Checks the cart out with `token` (a fresh idempotency key); returns the order.
    pub async fn checkout(&self, token: &str) -> Value {
        let response = self.try_checkout(token, &Uuid::new_v4().to_string()).await;
        assert!(
            response.get("errors").is_none(),
            "checkout failed: {response:#}"
        );
        response["data"]["checkout"].clone()
    }

    /// `(product id, quantity)` of the cart's lines.
    pub async fn cart(&self) -> Vec<(String, i64)> {
        let data = self
            .client
            .data(
                "{ me { cart { items { quantity product { id } } } } }",
                json!({}),
            )
            .await;
        data["me"]["cart"]["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        (
                            text(&item["product"]["id"]),
                            item["quantity"].as_i64().expect("quantity"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `(kind, subject, body)` of the customer's notifications, newest first.
    pub async fn notifications(&self) -> Vec<(String, String, String)> {
        let data = self
            .client
            .data(
                "{ me { notifications(first: 100) { nodes { kind subject body status } } } }",
                json!({}),
            )
            .await;
        data["me"]["notifications"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| (text(&n["kind"]), text(&n["subject"]), text(&n["body"])))
            .collect()
    }

    /// Waits until the customer has a notification of every kind in `kinds` (with repeats).
    pub async fn wait_for_notifications(&self, kinds: &[&str]) -> Vec<(String, String, String)> {
        eventually(
            &format!("notifications {kinds:?} for {}", self.email),
            || async {
                let notifications = self.notifications().await;
                let mut missing: Vec<&str> = kinds.to_vec();
                for (kind, _, _) in &notifications {
                    if let Some(i) = missing.iter().position(|k| k == kind) {
                        missing.remove(i);
                    }
                }
                if missing.is_empty() {
                    Ok(notifications)
                } else {
                    Err(format!("missing {missing:?}; has {notifications:?}"))
                }
            },
        )
        .await
    }

    /// Polls the order until it reaches a final status; returns the status and its history
    /// (`status: reason` lines).
    pub async fn wait_for_final(&self, order: &str) -> (String, Vec<String>) {
        wait_for_final(&self.client, order).await
    }
}

/// Polls `order` through `client` until it reaches a final status; the failure message lists every
/// status seen.
pub async fn wait_for_final(client: &Client, order: &str) -> (String, Vec<String>) {
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + SAGA_DEADLINE;
    loop {
        let data = client
            .data(
                "query($id: ID!) { order(id: $id) { status statusHistory { status reason } } }",
                json!({ "id": order }),
            )
            .await;
        let status = text(&data["order"]["status"]);
        let history: Vec<String> = data["order"]["statusHistory"]
            .as_array()
            .expect("history")
            .iter()
            .map(|change| {
                format!(
                    "{}: {}",
                    text(&change["status"]),
                    change["reason"].as_str().unwrap_or("")
                )
            })
            .collect();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if FINAL.contains(&status.as_str()) {
            return (status, history);
        }
        assert!(
            Instant::now() < deadline,
            "order {order} did not reach a final status within {SAGA_DEADLINE:?}: statuses seen {seen:?}, history {history:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The stock of `product` through `client`.
pub async fn stock_of(client: &Client, product: &str) -> i64 {
    let data = client
        .data(
            "query($id: ID!) { product(id: $id) { stock } }",
            json!({ "id": product }),
        )
        .await;
    data["product"]["stock"].as_i64().expect("stock")
}

/// Calls `probe` until it returns `Ok`, at most [`SAGA_DEADLINE`]; then fails with `what` and the last
/// `Err` it returned.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + SAGA_DEADLINE;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) => assert!(
                Instant::now() < deadline,
                "gave up after {SAGA_DEADLINE:?} waiting for {what}: {last}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `extensions.code` of a response's first error, if it has errors.
pub fn error_code(response: &Value) -> Option<String> {
    response.get("errors").map(|errors| {
        errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    })
}

/// The string `value` holds.
pub fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_owned()
}

/// One number a query over `db` returns (`COUNT(*)`, …); `?` placeholders take `values`.
pub async fn count(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            let mut numbered = String::new();
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
        _ => sql.to_owned(),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql.clone(), values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Order ids by status.
pub fn by_status(outcomes: &[(String, String)]) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (order, status) in outcomes {
        map.entry(status.clone()).or_default().push(order.clone());
    }
    map
}
