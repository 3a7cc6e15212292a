//! End-to-end tests of the carts subgraph: the real app on a free port over a fresh database (SQLite, or
//! PostgreSQL when `TEST_DATABASE_URL` is set), driven over HTTP, with its background work (the
//! order-event consumer) on an in-process event bus the tests publish to.

#[path = "api/catalogue.rs"]
mod catalogue;
#[path = "api/checkout.rs"]
mod checkout;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use shopgraph_carts::{SERVICE, connect, router};
use shopgraph_events::{BackgroundTasks, InProcessBus, SharedTransport, Shutdown, ShutdownTrigger};
use shopgraph_kit::test_database::TestDatabase;
use shopgraph_kit::{Config, JwtKeys, Role, server};
use tokio::sync::oneshot;
use uuid::Uuid;

struct TestApp {
    base: String,
    keys: JwtKeys,
    client: reqwest::Client,
    /// SQL statements executed since the last `reset_queries`.
    queries: Arc<AtomicUsize>,
    /// The service's database.
    db: DatabaseConnection,
    /// The event bus the service's consumer reads.
    transport: SharedTransport,
    config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    /// Stops the background work when dropped.
    background: ShutdownTrigger,
    /// The background work, until `stop_background` waits for it.
    tasks: Option<BackgroundTasks>,
    _db: TestDatabase,
}

impl TestApp {
    async fn spawn() -> TestApp {
        TestApp::spawn_on(Arc::new(InProcessBus::new())).await
    }

    /// The app with its background work on `transport`.
    async fn spawn_on(transport: SharedTransport) -> TestApp {
        let database = TestDatabase::from_env("carts").await.unwrap();
        let mut config = Config::defaults(SERVICE, 0);
        config.database_url = database.url.clone();
        config.jwt.secret = format!("test-secret-{}", Uuid::new_v4());
        let mut db = connect(&config).await.unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let (background, stop_background) = Shutdown::channel();
        // Over a connection pool of its own, so the statement count is the requests' alone. The tasks
        // end when `background` is dropped with the app, or when `stop_background` stops them.
        let tasks = shopgraph_carts::spawn_background(
            connect(&config).await.unwrap(),
            &config,
            Some(Arc::clone(&transport)),
            stop_background,
        );
        let app = router(db.clone(), &config);
        let listener = server::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, app, async {
            let _ = stop.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            keys: JwtKeys::new(&config.jwt),
            client: reqwest::Client::new(),
            queries,
            db,
            transport,
            config,
            shutdown: Some(shutdown),
            background,
            tasks: Some(tasks),
            _db: database,
        }
    }

    /// Stops the background work (the event consumers), as when the service stops.
    async fn stop_background(&mut self) {
        self.background.trigger();
        if let Some(tasks) = self.tasks.take() {
            tasks.join().await;
        }
    }

    fn token(&self, user: Uuid) -> String {
        self.keys.issue(user, Role::Customer).unwrap()
    }

    async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `data` of a request that must succeed.
    async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.graphql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    fn reset_queries(&self) {
        self.queries.store(0, Ordering::SeqCst);
    }

    fn query_count(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The `extensions.code` of every error of a response.
fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {body}"))
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn first_message(body: &Value) -> String {
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

const CART_FIELDS: &str = "id items { product { id } quantity addedAt } itemCount updatedAt";

fn add_mutation() -> String {
    format!(
        "mutation($p: ID!, $q: Int!) {{ addToCart(productId: $p, quantity: $q) {{ {CART_FIELDS} }} }}"
    )
}

/// Adds `quantity` of `product` (announced to the catalogue projection first when it is new).
async fn add(app: &TestApp, token: &str, product: Uuid, quantity: i32) -> Value {
    app.announce(product).await;
    app.ok(
        Some(token),
        &add_mutation(),
        json!({ "p": product, "q": quantity }),
    )
    .await["addToCart"]
        .clone()
}

/// The user's cart as `_entities` of a `User` representation returns it.
async fn cart_of(app: &TestApp, token: &str, user: Uuid) -> Value {
    let query = format!(
        "query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on User {{ id cart {{ {CART_FIELDS} }} }} }} }}"
    );
    let data = app
        .ok(
            Some(token),
            &query,
            json!({ "r": [{ "__typename": "User", "id": user }] }),
        )
        .await;
    assert_eq!(data["_entities"][0]["id"], json!(user.to_string()));
    data["_entities"][0]["cart"].clone()
}

/// `(product id, quantity)` of each line, in order.
fn lines(cart: &Value) -> Vec<(String, i64)> {
    cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["product"]["id"].as_str().unwrap().to_owned(),
                item["quantity"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line(product: Uuid, quantity: i64) -> (String, i64) {
    (product.to_string(), quantity)
}

#[tokio::test]
async fn add_update_remove_and_clear_change_the_users_cart() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());

    let empty = cart_of(&app, &token, user).await;
    assert_eq!(lines(&empty), vec![]);
    assert_eq!(empty["itemCount"], 0);
    let cart_id = empty["id"].as_str().unwrap().to_owned();
    Uuid::parse_str(&cart_id).unwrap();
    assert_ne!(cart_id, user.to_string(), "the cart has an id of its own");

    app.announce(first).await;
    let default_quantity = app
        .ok(
            Some(&token),
            &format!("mutation($p: ID!) {{ addToCart(productId: $p) {{ {CART_FIELDS} }} }}"),
            json!({ "p": first }),
        )
        .await["addToCart"]
        .clone();
    assert_eq!(lines(&default_quantity), vec![line(first, 1)]);
    assert_eq!(default_quantity["id"], json!(cart_id));
    let added_at = default_quantity["items"][0]["addedAt"].clone();

    let incremented = add(&app, &token, first, 2).await;
    assert_eq!(lines(&incremented), vec![line(first, 3)]);
    assert_eq!(
        incremented["items"][0]["addedAt"], added_at,
        "raising a quantity keeps addedAt"
    );

    let two_lines = add(&app, &token, second, 5).await;
    assert_eq!(lines(&two_lines), vec![line(first, 3), line(second, 5)]);
    assert_eq!(two_lines["itemCount"], 8);

    let updated = app
        .ok(
            Some(&token),
            &format!(
                "mutation($p: ID!) {{ updateCartItem(productId: $p, quantity: 10) {{ {CART_FIELDS} }} }}"
            ),
            json!({ "p": first }),
        )
        .await["updateCartItem"]
        .clone();
    assert_eq!(lines(&updated), vec![line(first, 10), line(second, 5)]);
    assert_eq!(updated["itemCount"], 15);
    assert!(updated["updatedAt"].as_str().unwrap() >= two_lines["updatedAt"].as_str().unwrap());

    let remove =
        format!("mutation($p: ID!) {{ removeFromCart(productId: $p) {{ {CART_FIELDS} }} }}");
    let removed =
        app.ok(Some(&token), &remove, json!({ "p": first })).await["removeFromCart"].clone();
    assert_eq!(lines(&removed), vec![line(second, 5)]);
    let removed_again =
        app.ok(Some(&token), &remove, json!({ "p": first })).await["removeFromCart"].clone();
    assert_eq!(
        lines(&removed_again),
        vec![line(second, 5)],
        "removing an absent product changes nothing"
    );
    assert_eq!(removed_again["updatedAt"], removed["updatedAt"]);

    assert_eq!(
        lines(&cart_of(&app, &token, user).await),
        vec![line(second, 5)]
    );

    let cleared = app
        .ok(
            Some(&token),
            &format!("mutation {{ clearCart {{ {CART_FIELDS} }} }}"),
            json!({}),
        )
        .await["clearCart"]
        .clone();
    assert_eq!(lines(&cleared), vec![]);
    assert_eq!(cleared["itemCount"], 0);
    assert_eq!(cleared["id"], json!(cart_id), "clearing keeps the cart");

    let read_back = cart_of(&app, &token, user).await;
    assert_eq!(read_back, cleared);
}

#[tokio::test]
async fn lines_keep_the_order_they_were_added_in() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    let products: Vec<Uuid> = (0..6).map(|_| Uuid::new_v4()).collect();
    for product in &products {
        add(&app, &token, *product, 1).await;
    }
    add(&app, &token, products[0], 4).await;
    let cart = cart_of(&app, &token, user).await;
    let mut expected: Vec<(String, i64)> = products.iter().map(|p| line(*p, 1)).collect();
    expected[0].1 = 5;
    assert_eq!(lines(&cart), expected);
    assert_eq!(lines(&cart_of(&app, &token, user).await), expected);
}

#[tokio::test]
async fn concurrent_adds_are_not_lost() {
    let app = TestApp::spawn().await;
    // A fresh user each round: the adds also race to create the cart.
    for concurrency in [2_i64, 2, 8] {
        let user = Uuid::new_v4();
        let token = app.token(user);
        let product = Uuid::new_v4();
        let adds = (0..concurrency).map(|_| add(&app, &token, product, 1));
        let carts = futures::future::join_all(adds).await;
        let ids: Vec<&Value> = carts.iter().map(|cart| &cart["id"]).collect();
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "one cart per user: {ids:?}"
        );
        assert_eq!(
            lines(&cart_of(&app, &token, user).await),
            vec![line(product, concurrency)]
        );
    }
}

#[tokio::test]
async fn bad_input_is_rejected_with_bad_user_input() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    let product = Uuid::new_v4();
    let add_query = add_mutation();
    let update = format!(
        "mutation($p: ID!, $q: Int!) {{ updateCartItem(productId: $p, quantity: $q) {{ {CART_FIELDS} }} }}"
    );

    for quantity in [0, -1, 1000] {
        let body = app
            .graphql(
                Some(&token),
                &add_query,
                json!({ "p": product, "q": quantity }),
            )
            .await;
        assert_eq!(
            codes(&body),
            ["BAD_USER_INPUT"],
            "addToCart quantity {quantity}: {body}"
        );
    }
    let body = app
        .graphql(
            Some(&token),
            &add_query,
            json!({ "p": "not-a-uuid", "q": 1 }),
        )
        .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
    assert!(first_message(&body).contains("not-a-uuid"), "{body}");
    let body = app
        .graphql(
            Some(&token),
            "mutation { removeFromCart(productId: \"x\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"]);

    let body = app
        .graphql(Some(&token), &update, json!({ "p": product, "q": 2 }))
        .await;
    assert_eq!(
        codes(&body),
        ["NOT_FOUND"],
        "updating a line that does not exist"
    );

    add(&app, &token, product, 998).await;
    for quantity in [0, 1000] {
        let body = app
            .graphql(
                Some(&token),
                &update,
                json!({ "p": product, "q": quantity }),
            )
            .await;
        assert_eq!(
            codes(&body),
            ["BAD_USER_INPUT"],
            "updateCartItem quantity {quantity}"
        );
    }
    let body = app
        .graphql(Some(&token), &add_query, json!({ "p": product, "q": 2 }))
        .await;
    assert_eq!(
        codes(&body),
        ["BAD_USER_INPUT"],
        "a line may not exceed 999: {body}"
    );
    assert_eq!(
        lines(&cart_of(&app, &token, user).await),
        vec![line(product, 998)]
    );
    assert_eq!(
        lines(&add(&app, &token, product, 1).await),
        vec![line(product, 999)]
    );
}

#[tokio::test]
async fn everything_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let product = Uuid::new_v4();
    let cart_id = add(&app, &app.token(user), product, 1).await["id"].clone();
    let operations = [
        (add_mutation(), json!({ "p": product, "q": 1 })),
        (
            "mutation($p: ID!) { updateCartItem(productId: $p, quantity: 2) { id } }".to_owned(),
            json!({ "p": product }),
        ),
        (
            "mutation($p: ID!) { removeFromCart(productId: $p) { id } }".to_owned(),
            json!({ "p": product }),
        ),
        ("mutation { clearCart { id } }".to_owned(), json!({})),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { id } } } }".to_owned(),
            json!({ "r": [{ "__typename": "User", "id": user }] }),
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id } } }".to_owned(),
            json!({ "r": [{ "__typename": "Cart", "id": cart_id }] }),
        ),
    ];
    for (query, variables) in operations {
        for token in [None, Some("not.a.token")] {
            let body = app.graphql(token, &query, variables.clone()).await;
            assert_eq!(
                codes(&body),
                ["UNAUTHENTICATED"],
                "{query} with {token:?}: {body}"
            );
        }
    }
    // Nothing changed.
    assert_eq!(
        lines(&cart_of(&app, &app.token(user), user).await),
        vec![line(product, 1)]
    );
}

#[tokio::test]
async fn nobody_sees_another_users_cart() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let (alice_token, bob_token) = (app.token(alice), app.token(bob));
    add(&app, &alice_token, Uuid::new_v4(), 1).await;
    let bob_cart = add(&app, &bob_token, Uuid::new_v4(), 3).await["id"].clone();

    let body = app
        .graphql(
            Some(&alice_token),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id cart { id } } } }",
            json!({ "r": [
                { "__typename": "User", "id": alice },
                { "__typename": "User", "id": bob },
            ] }),
        )
        .await;
    assert_eq!(codes(&body), ["FORBIDDEN"]);
    // async-graphql leaves the representation's index out of `_entities` error paths.
    assert_eq!(
        body["errors"][0]["path"].as_array().unwrap().last(),
        Some(&json!("cart"))
    );
    assert!(
        body["data"]["_entities"][0]["cart"]["id"].is_string(),
        "own cart still resolves: {body}"
    );
    // async-graphql does not null out the parent of a failed non-null field; it leaves the field out.
    assert_eq!(body["data"]["_entities"][1], json!({ "id": bob }));

    // Another user's cart id resolves exactly like an id that does not exist: null, so ids cannot be probed.
    let data = app
        .ok(
            Some(&alice_token),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id itemCount } } }",
            json!({ "r": [
                { "__typename": "Cart", "id": bob_cart },
                { "__typename": "Cart", "id": Uuid::new_v4() },
                { "__typename": "Cart", "id": "not-a-uuid" },
            ] }),
        )
        .await;
    assert_eq!(data["_entities"], json!([null, null, null]));

    let data = app
        .ok(
            Some(&bob_token),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id itemCount } } }",
            json!({ "r": [{ "__typename": "Cart", "id": bob_cart }] }),
        )
        .await;
    assert_eq!(
        data["_entities"],
        json!([{ "id": bob_cart, "itemCount": 3 }])
    );
}

const SUBTOTAL_QUERY: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id subtotal { amount currency } } } }";

fn priced(amount: i64, currency: &str) -> Value {
    json!({ "product": { "price": { "amount": amount, "currency": currency } } })
}

#[tokio::test]
async fn subtotal_is_computed_from_the_required_prices() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);

    let empty_id = cart_of(&app, &token, user).await["id"].clone();
    let data = app
        .ok(
            Some(&token),
            SUBTOTAL_QUERY,
            json!({ "r": [{ "__typename": "Cart", "id": empty_id, "items": [] }] }),
        )
        .await;
    assert_eq!(
        data["_entities"][0]["subtotal"],
        json!({ "amount": 0, "currency": "USD" })
    );

    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    add(&app, &token, first, 2).await;
    let cart = add(&app, &token, second, 3).await;
    assert_eq!(lines(&cart), vec![line(first, 2), line(second, 3)]);
    let id = cart["id"].clone();

    let data = app
        .ok(
            Some(&token),
            SUBTOTAL_QUERY,
            json!({ "r": [{ "__typename": "Cart", "id": id, "items": [priced(1999, "USD"), priced(250, "USD")] }] }),
        )
        .await;
    assert_eq!(
        data["_entities"][0]["subtotal"],
        json!({ "amount": 2 * 1999 + 3 * 250, "currency": "USD" })
    );

    let data = app
        .ok(
            Some(&token),
            SUBTOTAL_QUERY,
            json!({ "r": [{ "__typename": "Cart", "id": id, "items": [priced(100, "EUR"), priced(7, "EUR")] }] }),
        )
        .await;
    assert_eq!(
        data["_entities"][0]["subtotal"],
        json!({ "amount": 221, "currency": "EUR" })
    );

    // Extra fields a router may add (`__typename`, ids) are ignored.
    let decorated = |amount: i64| {
        json!({ "__typename": "CartItem", "quantity": 99, "product": {
            "__typename": "Product", "id": Uuid::new_v4(),
            "price": { "__typename": "Money", "amount": amount, "currency": "USD" },
        } })
    };
    let data = app
        .ok(
            Some(&token),
            SUBTOTAL_QUERY,
            json!({ "r": [{ "__typename": "Cart", "id": id, "items": [decorated(10), decorated(1)] }] }),
        )
        .await;
    assert_eq!(
        data["_entities"][0]["subtotal"],
        json!({ "amount": 23, "currency": "USD" })
    );

    // A malformed price is a broken representation: `_entities` fails with a parse error.
    let body = app
        .graphql(
            Some(&token),
            SUBTOTAL_QUERY,
            json!({ "r": [{ "__typename": "Cart", "id": id, "items": [priced(1, "USD"), { "product": { "price": { "amount": "ten", "currency": "USD" } } }] }] }),
        )
        .await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert!(first_message(&body).contains("\"ten\""), "{body}");
}

#[tokio::test]
async fn subtotal_refuses_prices_that_do_not_fit_the_cart() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    add(&app, &token, Uuid::new_v4(), 2).await;
    let id = add(&app, &token, Uuid::new_v4(), 1).await["id"].clone();

    let cases = [
        (json!([priced(100, "USD")]), "CONFLICT", "2 lines"),
        (
            json!([priced(100, "USD"), priced(1, "USD"), priced(1, "USD")]),
            "CONFLICT",
            "2 lines",
        ),
        (
            json!([priced(100, "USD"), priced(100, "EUR")]),
            "CONFLICT",
            "EUR",
        ),
        (
            json!([priced(i64::MAX, "USD"), priced(1, "USD")]),
            "BAD_USER_INPUT",
            "too large",
        ),
    ];
    for (items, code, message) in cases {
        let body = app
            .graphql(
                Some(&token),
                SUBTOTAL_QUERY,
                json!({ "r": [{ "__typename": "Cart", "id": id, "items": items }] }),
            )
            .await;
        assert_eq!(codes(&body), [code], "{items}: {body}");
        assert!(first_message(&body).contains(message), "{items}: {body}");
        assert_eq!(
            body["errors"][0]["path"].as_array().unwrap().last(),
            Some(&json!("subtotal"))
        );
        assert_eq!(
            body["data"]["_entities"],
            json!([{ "id": id }]),
            "no subtotal: {body}"
        );
    }

    // Without the required prices (not resolved through the router) the subtotal says what it needs.
    let body = app
        .graphql(
            Some(&token),
            SUBTOTAL_QUERY,
            json!({ "r": [{ "__typename": "Cart", "id": id }] }),
        )
        .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
    assert!(first_message(&body).contains("price"), "{body}");
    let body = app
        .graphql(
            Some(&token),
            "mutation { clearCart { subtotal { amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
    assert!(first_message(&body).contains("price"), "{body}");
}

#[tokio::test]
async fn many_representations_cost_a_constant_number_of_queries() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    for _ in 0..3 {
        add(&app, &token, Uuid::new_v4(), 1).await;
    }
    let cart_id = cart_of(&app, &token, user).await["id"].clone();

    let users_query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { id itemCount items { quantity } } } } }";
    let mut counts = Vec::new();
    for n in [1, 100] {
        let representations: Vec<Value> = (0..n)
            .map(|_| json!({ "__typename": "User", "id": user }))
            .collect();
        app.reset_queries();
        let data = app
            .ok(Some(&token), users_query, json!({ "r": representations }))
            .await;
        counts.push(app.query_count());
        let entities = data["_entities"].as_array().unwrap();
        assert_eq!(entities.len(), n);
        assert!(entities.iter().all(|e| e["cart"]["itemCount"] == 3));
    }
    assert_eq!(
        counts[0], counts[1],
        "100 User representations must cost what 1 costs: {counts:?}"
    );
    assert_eq!(counts[1], 2, "one query for the cart, one for its lines");

    // 100 foreign users next to the viewer's own: FORBIDDEN each, and no extra queries.
    let mut mixed: Vec<Value> = (0..100)
        .map(|_| json!({ "__typename": "User", "id": Uuid::new_v4() }))
        .collect();
    mixed.push(json!({ "__typename": "User", "id": user }));
    app.reset_queries();
    let body = app
        .graphql(Some(&token), users_query, json!({ "r": mixed }))
        .await;
    assert_eq!(app.query_count(), 2);
    assert_eq!(codes(&body).len(), 100);
    assert!(codes(&body).iter().all(|code| code == "FORBIDDEN"));
    assert_eq!(body["data"]["_entities"][100]["cart"]["itemCount"], 3);

    let carts: Vec<Value> = (0..100)
        .map(|_| json!({ "__typename": "Cart", "id": cart_id }))
        .collect();
    app.reset_queries();
    let data = app
        .ok(
            Some(&token),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id itemCount } } }",
            json!({ "r": carts }),
        )
        .await;
    assert_eq!(
        app.query_count(),
        2,
        "100 Cart representations: one query for carts, one for lines"
    );
    assert_eq!(data["_entities"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn product_and_user_references_resolve() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    let product = Uuid::new_v4();
    let data = app
        .ok(
            Some(&token),
            "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Product { id } ... on User { id } } }",
            json!({ "r": [
                { "__typename": "Product", "id": product },
                { "__typename": "User", "id": user },
                { "__typename": "Product", "id": "not-a-uuid" },
            ] }),
        )
        .await;
    assert_eq!(
        data["_entities"],
        json!([
            { "__typename": "Product", "id": product },
            { "__typename": "User", "id": user },
            null,
        ])
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    for (path, body) in [("health", "ok"), ("ready", "ready")] {
        let response = app
            .client
            .get(format!("{}/{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), body);
    }
}

#[tokio::test]
async fn sdl_matches_the_checked_in_schema() {
    let app = TestApp::spawn().await;
    let data = app.ok(None, "{ _service { sdl } }", json!({})).await;
    let sdl = data["_service"]["sdl"].as_str().unwrap().to_owned();
    for hidden in ["Representation", "input "] {
        assert!(
            !sdl.contains(hidden),
            "helper types must stay out of the SDL: {sdl}"
        );
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/subgraphs/carts.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &sdl).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        golden == sdl,
        "the carts SDL differs from {}; refresh with `UPDATE_SCHEMA=1 cargo test -p shopgraph-carts -- sdl` \
         and then recompose with `cargo run -p shopgraph-schema -- compose`\n--- live SDL ---\n{sdl}",
        path.display()
    );
}
