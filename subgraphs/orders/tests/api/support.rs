//! What the orders tests share: the real orders service spawned on port 0 over a fresh database (SQLite,
//! or PostgreSQL when `TEST_DATABASE_URL` is set) with the simulated payment provider; small fake carts
//! and products subgraphs (axum) that answer the `_entities` requests of the checkout snapshot; the
//! saga's background work over an in-process bus (or Redis Streams) into which tests publish products'
//! events; and GraphQL helpers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::{Value, json};
use shopgraph_events::transport::SharedTransport;
use shopgraph_events::{
    BackgroundTasks, DomainEvent, EventEnvelope, InProcessBus, Shutdown, ShutdownTrigger, outbox,
};
use shopgraph_kit::test_database::TestDatabase;
use shopgraph_kit::{Config, JwtKeys, ROUTER_SECRET_HEADER, Role, Viewer, server};
use shopgraph_orders::payment::simulated;
use shopgraph_orders::{OrdersConfig, SharedPaymentProvider, SimulatedProvider};
use uuid::Uuid;

pub const JWT_SECRET: &str = "orders-api-test-secret";
/// The payment deadline in these tests (a `tok_timeout` charge takes twice as long).
pub const PAYMENT_TIMEOUT: Duration = Duration::from_millis(300);

/// Every field of an order.
pub const ORDER_FIELDS: &str = "id status
    user { id }
    total { amount currency }
    lines { product { id } name unitPrice { amount currency } quantity lineTotal { amount currency } }
    statusHistory { status at reason }
    payment { status reference failureReason }
    shippingAddress { name line1 line2 city postalCode country }
    createdAt updatedAt";

/// A product the fake products subgraph knows.
#[derive(Debug, Clone)]
pub struct FakeProduct {
    pub name: String,
    pub amount: i64,
    pub currency: String,
    pub archived: bool,
}

/// One request the fake carts subgraph received.
#[derive(Debug, Clone)]
pub struct CartRequest {
    pub authorization: Option<String>,
    /// The `shopgraph-router-secret` header it carried.
    pub router_secret: Option<String>,
    pub user_id: String,
}

/// The state behind the fake carts and products subgraphs.
#[derive(Debug, Default)]
pub struct FakeState {
    /// Lines (product, quantity) by user.
    pub carts: HashMap<Uuid, Vec<(Uuid, i32)>>,
    pub products: HashMap<Uuid, FakeProduct>,
    pub cart_requests: Vec<CartRequest>,
    pub product_requests: usize,
    /// The `shopgraph-router-secret` header of each products request.
    pub product_router_secrets: Vec<Option<String>>,
}

#[derive(Clone)]
struct FakeUpstream {
    state: Arc<Mutex<FakeState>>,
    keys: JwtKeys,
}

/// The fake carts subgraph: `_entities` for `User` representations answering `cart { id items {
/// quantity product { id } } }`, and, like the real one, only to the user themselves.
async fn fake_carts(
    State(fake): State<FakeUpstream>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Json<Value> {
    let query = request["query"].as_str().unwrap_or_default();
    assert!(
        query.contains("_entities") && query.contains("... on User") && query.contains("cart"),
        "unexpected carts query: {query}"
    );
    let authorization = header(&headers, "authorization");
    let router_secret = header(&headers, ROUTER_SECRET_HEADER);
    let viewer = Viewer::from_headers(&headers, &fake.keys);
    let mut state = fake.state.lock().unwrap();
    let mut entities = Vec::new();
    for representation in request["variables"]["representations"].as_array().unwrap() {
        assert_eq!(representation["__typename"], "User");
        let user_id = representation["id"].as_str().unwrap().to_owned();
        state.cart_requests.push(CartRequest {
            authorization: authorization.clone(),
            router_secret: router_secret.clone(),
            user_id: user_id.clone(),
        });
        let id = Uuid::parse_str(&user_id).unwrap();
        match &viewer {
            Viewer::User(claims) if claims.sub == id => {}
            _ => {
                return Json(json!({
                    "data": { "_entities": [null] },
                    "errors": [{ "message": "you may only see your own cart",
                                 "extensions": { "code": "FORBIDDEN" } }]
                }));
            }
        }
        let items: Vec<Value> = state
            .carts
            .get(&id)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|(product, quantity)| {
                json!({ "quantity": quantity, "product": { "id": product.to_string() } })
            })
            .collect();
        entities.push(json!({ "cart": { "id": Uuid::new_v4().to_string(), "items": items } }));
    }
    Json(json!({ "data": { "_entities": entities } }))
}

/// The fake products subgraph: `_entities` for `Product` representations, null for unknown ids.
async fn fake_products(
    State(fake): State<FakeUpstream>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Json<Value> {
    let query = request["query"].as_str().unwrap_or_default();
    assert!(
        query.contains("_entities") && query.contains("... on Product"),
        "unexpected products query: {query}"
    );
    let mut state = fake.state.lock().unwrap();
    state.product_requests += 1;
    state
        .product_router_secrets
        .push(header(&headers, ROUTER_SECRET_HEADER));
    let entities: Vec<Value> = request["variables"]["representations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|representation| {
            assert_eq!(representation["__typename"], "Product");
            let id = representation["id"].as_str().unwrap();
            match Uuid::parse_str(id)
                .ok()
                .and_then(|id| state.products.get(&id))
            {
                Some(product) => json!({
                    "id": id,
                    "name": product.name,
                    "price": { "amount": product.amount, "currency": product.currency },
                    "archived": product.archived,
                }),
                None => Value::Null,
            }
        })
        .collect();
    Json(json!({ "data": { "_entities": entities } }))
}

/// The text of header `name`, if present.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

/// Fake carts and products on one port; returns (carts URL, products URL).
async fn spawn_fake_upstream(state: Arc<Mutex<FakeState>>, keys: JwtKeys) -> (String, String) {
    let app = axum::Router::new()
        .route("/carts/graphql", post(fake_carts))
        .route("/products/graphql", post(fake_products))
        .with_state(FakeUpstream { state, keys });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (
        format!("http://{addr}/carts/graphql"),
        format!("http://{addr}/products/graphql"),
    )
}

/// A URL nothing listens on.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/graphql")
}

/// Builds the provider the service uses around the simulated provider over its database.
pub type WrapPayments = Box<dyn FnOnce(SimulatedProvider) -> SharedPaymentProvider + Send>;

/// How to start the service under test.
pub struct Options {
    /// Change the configuration after the fake URLs are filled in.
    pub configure: Box<dyn FnOnce(&mut OrdersConfig) + Send>,
    /// Charge and refund through another provider (it gets `app.payments` to delegate to).
    pub wrap_payments: Option<WrapPayments>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            configure: Box::new(|_| {}),
            wrap_payments: None,
        }
    }
}

/// A running orders service, the fakes it calls, and a direct handle on its database.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub config: OrdersConfig,
    pub keys: JwtKeys,
    pub fake: Arc<Mutex<FakeState>>,
    /// The simulated provider over the service's database, with its charge and refund counters.
    pub payments: SimulatedProvider,
    /// What the service charges and refunds through (`payments` unless wrapped).
    pub shared_payments: SharedPaymentProvider,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let database = TestDatabase::from_env("orders").await.unwrap();
    let mut service = Config::defaults(shopgraph_orders::SERVICE, 0);
    service.database_url = database.url.clone();
    service.jwt.secret = JWT_SECRET.to_owned();
    let keys = JwtKeys::new(&service.jwt);
    let fake = Arc::new(Mutex::new(FakeState::default()));
    let (carts_url, products_url) = spawn_fake_upstream(Arc::clone(&fake), keys.clone()).await;
    let mut config = OrdersConfig::defaults(service);
    config.carts_url = carts_url;
    config.products_url = products_url;
    config.payment.timeout = PAYMENT_TIMEOUT;
    config.upstream_timeout = Duration::from_secs(2);
    (options.configure)(&mut config);
    let db = shopgraph_orders::connect(&config.service).await.unwrap();
    let payments = SimulatedProvider::new(db.clone(), simulated::hang_for(config.payment.timeout));
    let shared_payments = match options.wrap_payments {
        Some(wrap) => wrap(payments.clone()),
        None => Arc::new(payments.clone()),
    };
    let app =
        shopgraph_orders::router_with_payments(db.clone(), &config, Arc::clone(&shared_payments));
    let listener = server::bind(config.service.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    // The test client comes through "the router": it sends the router secret when there is one.
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(secret) = &config.service.router_secret {
        headers.insert(ROUTER_SECRET_HEADER, secret.parse().unwrap());
    }
    TestApp {
        base_url: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap(),
        db,
        config,
        keys,
        fake,
        payments,
        shared_payments,
        _database: database,
    }
}

/// The saga's background work of a `TestApp`, stopped when dropped.
pub struct Saga {
    pub transport: SharedTransport,
    pub tasks: Option<BackgroundTasks>,
    trigger: ShutdownTrigger,
}

impl Saga {
    /// Publishes `event` as `producer` would, returning its envelope.
    pub async fn publish(&self, producer: &str, event: impl Into<DomainEvent>) -> EventEnvelope {
        let envelope = EventEnvelope::new(producer, &event.into(), None).unwrap();
        self.publish_envelope(&envelope).await;
        envelope
    }

    /// Publishes `envelope` (again).
    pub async fn publish_envelope(&self, envelope: &EventEnvelope) {
        self.transport.publish(envelope).await.unwrap();
    }

    /// Stops the background tasks and waits for them.
    pub async fn stop(mut self) {
        self.trigger.trigger();
        if let Some(tasks) = self.tasks.take() {
            tokio::time::timeout(Duration::from_secs(10), tasks.join())
                .await
                .expect("background tasks stop on shutdown");
        }
    }
}

impl Drop for Saga {
    fn drop(&mut self) {
        self.trigger.trigger();
        if let Some(tasks) = self.tasks.take() {
            tasks.abort();
        }
    }
}

impl TestApp {
    /// Starts the relay, the saga consumer and the payment worker over a new in-process bus.
    pub fn start_saga(&self) -> Saga {
        self.start_saga_on(Arc::new(InProcessBus::new()))
    }

    /// Starts the relay, the saga consumer and the payment worker over `transport`.
    pub fn start_saga_on(&self, transport: SharedTransport) -> Saga {
        let (trigger, shutdown) = Shutdown::channel();
        let tasks = shopgraph_orders::spawn_background_with_payments(
            self.db.clone(),
            &self.config,
            Arc::clone(&self.shared_payments),
            Some(Arc::clone(&transport)),
            shutdown,
        );
        Saga {
            transport,
            tasks: Some(tasks),
            trigger,
        }
    }

    /// A token for a new customer: (token, user id).
    pub fn customer(&self) -> (String, Uuid) {
        let id = Uuid::now_v7();
        (self.keys.issue(id, Role::Customer).unwrap(), id)
    }

    /// A token for a new administrator.
    pub fn admin(&self) -> String {
        self.keys.issue(Uuid::now_v7(), Role::Admin).unwrap()
    }

    /// Adds a product to the fake catalogue; returns its id.
    pub fn product(&self, name: &str, amount: i64, currency: &str) -> Uuid {
        let id = Uuid::now_v7();
        self.fake.lock().unwrap().products.insert(
            id,
            FakeProduct {
                name: name.to_owned(),
                amount,
                currency: currency.to_owned(),
                archived: false,
            },
        );
        id
    }

    /// Archives a product of the fake catalogue (it still resolves, with `archived: true`).
    pub fn archive(&self, product: Uuid) {
        if let Some(product) = self.fake.lock().unwrap().products.get_mut(&product) {
            product.archived = true;
        }
    }

    /// Sets `user`'s cart in the fake carts subgraph.
    pub fn set_cart(&self, user: Uuid, lines: &[(Uuid, i32)]) {
        self.fake.lock().unwrap().carts.insert(user, lines.to_vec());
    }

    /// A customer with one product in the cart: (token, user id).
    pub fn shopper(&self) -> (String, Uuid) {
        let (token, user) = self.customer();
        let product = self.product("Chef's knife", 4999, "EUR");
        self.set_cart(user, &[(product, 1)]);
        (token, user)
    }

    /// The full GraphQL response to `query` with `variables`, sent with `token` as bearer token if any.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `checkout` with a valid address, `payment_token` and `key`.
    pub async fn checkout(&self, token: &str, payment_token: &str, key: &str) -> Value {
        self.checkout_with(token, address(), payment_token, key)
            .await
    }

    pub async fn checkout_with(
        &self,
        token: &str,
        shipping_address: Value,
        payment_token: &str,
        key: &str,
    ) -> Value {
        self.graphql(
            &format!(
                "mutation($input: CheckoutInput!, $key: String!) {{
                    checkout(input: $input, idempotencyKey: $key) {{ {ORDER_FIELDS} }}
                }}"
            ),
            json!({
                "input": { "shippingAddress": shipping_address, "paymentToken": payment_token },
                "key": key,
            }),
            Some(token),
        )
        .await
    }

    /// Checks out and returns the order; panics on errors.
    pub async fn checkout_ok(&self, token: &str, payment_token: &str, key: &str) -> Value {
        let response = self.checkout(token, payment_token, key).await;
        assert_no_errors(&response);
        response["data"]["checkout"].clone()
    }

    /// `order(id)` as `token`.
    pub async fn order(&self, token: &str, id: &str) -> Value {
        self.graphql(
            &format!("query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"),
            json!({ "id": id }),
            Some(token),
        )
        .await
    }

    /// Reads order `id` (as an administrator) until its status is `status`; panics after 15 s.
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        let admin = self.admin();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let response = self.order(&admin, id).await;
            assert_no_errors(&response);
            let order = &response["data"]["order"];
            if order["status"] == status {
                return order.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order {id} did not become {status}: {order:#}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// A mutation on order `id` (`cancelOrder`, `markShipped`, `markDelivered`) as `token`.
    pub async fn change(&self, mutation: &str, id: &str, token: &str) -> Value {
        self.graphql(
            &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ {ORDER_FIELDS} }} }}"),
            json!({ "id": id }),
            Some(token),
        )
        .await
    }

    /// The events in the outbox, in order.
    pub async fn outbox_events(&self) -> Vec<EventEnvelope> {
        outbox::entity::Entity::find()
            .order_by_asc(outbox::entity::Column::Position)
            .all(&self.db)
            .await
            .unwrap()
            .iter()
            .map(|row| row.envelope().unwrap())
            .collect()
    }

    /// The outbox events of `event_type` about order `id`.
    pub async fn events_about(&self, event_type: &str, id: &str) -> Vec<DomainEvent> {
        self.outbox_events()
            .await
            .into_iter()
            .filter(|envelope| {
                envelope.event_type == event_type && envelope.payload["order_id"] == id
            })
            .map(|envelope| envelope.decode().unwrap())
            .collect()
    }
}

/// A valid shipping address.
pub fn address() -> Value {
    json!({
        "name": " Ada Lovelace ",
        "line1": "12 St James's Square",
        "line2": null,
        "city": "London",
        "postalCode": "SW1Y 4JH",
        "country": "gb",
    })
}

pub fn assert_no_errors(response: &Value) {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
}

/// The `extensions.code` of the response's only error.
pub fn error_code(response: &Value) -> &str {
    let errors = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {response:#}"));
    assert_eq!(errors.len(), 1, "expected exactly one error: {response:#}");
    errors[0]["extensions"]["code"].as_str().unwrap()
}

pub fn error_message(response: &Value) -> &str {
    response["errors"][0]["message"].as_str().unwrap()
}

/// The statuses of an order's history, in order.
pub fn history(order: &Value) -> Vec<&str> {
    order["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["status"].as_str().unwrap())
        .collect()
}

pub fn uuid_of(order: &Value) -> Uuid {
    Uuid::parse_str(order["id"].as_str().unwrap()).unwrap()
}
