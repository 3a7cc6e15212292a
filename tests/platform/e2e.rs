//! End to end through the router: the five subgraphs and the router on free ports, each subgraph over
//! its own fresh database (SQLite files, and PostgreSQL databases when `TEST_DATABASE_URL` is set). A
//! customer registers, signs in, lists products, fills a cart, and reads it back with one federated
//! query; the test checks every value and what each subgraph was asked.

use std::time::Duration;

use serde_json::{Value, json};
use shopgraph::{RecordedRequest, RequestRecorder, Stack, StackOptions};
use shopgraph_events::UserRegistered;
use shopgraph_kit::test_database::TestDatabase;

struct Client {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Client {
    async fn post(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("router answers");
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON response")
    }

    /// `data` of a response that must have no errors.
    async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.post(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }
}

fn requests_of(requests: &[RecordedRequest], service: &str) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.service == service)
        .map(|r| serde_json::from_slice(&r.body).expect("subgraph request is JSON"))
        .collect()
}

async fn start(
    dir: &std::path::Path,
    databases: Vec<(String, String)>,
    recorder: RequestRecorder,
) -> Stack {
    shopgraph::start(StackOptions {
        base_port: 0,
        database_urls: databases,
        jwt_secret: Some(format!("e2e-{}", uuid::Uuid::new_v4())),
        demo_data: true,
        recorder: Some(recorder),
        ..StackOptions::in_dir(dir)
    })
    .await
    .expect("stack starts")
}

async fn shop_flow(dir: &std::path::Path, databases: Vec<(String, String)>) {
    let recorder = RequestRecorder::default();
    let stack = start(dir, databases, recorder.clone()).await;
    let mut client = Client {
        http: reqwest::Client::new(),
        url: stack.router_url.clone(),
        token: None,
    };

    // Register: the email comes back normalised, the token is ours.
    let registered = client
        .data(
            "mutation($input: RegisterInput!) { register(input: $input) { token user { id email name role } } }",
            json!({ "input": { "email": "  Ada.Lovelace@Example.com ", "password": "analytical-engine", "name": "Ada Lovelace" } }),
        )
        .await;
    let user = &registered["register"]["user"];
    assert_eq!(user["email"], "ada.lovelace@example.com");
    assert_eq!(user["name"], "Ada Lovelace");
    assert_registration_is_published(&stack, "ada.lovelace@example.com").await;
    assert_eq!(user["role"], "CUSTOMER");
    let user_id = user["id"].as_str().expect("id").to_owned();

    // Log in with the other spelling of the address.
    let login = client
        .data(
            "mutation { login(email: \"ADA.LOVELACE@example.com\", password: \"analytical-engine\") { token user { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(login["login"]["user"]["id"], user_id.as_str());
    client.token = Some(login["login"]["token"].as_str().expect("token").to_owned());

    // The catalogue: the cheapest products in stock.
    let listing = client
        .data(
            "query($first: Int!) { products(first: $first, orderBy: PRICE_ASC, filter: { inStock: true }) { totalCount nodes { id name stock price { amount currency } } } }",
            json!({ "first": 3 }),
        )
        .await;
    let nodes = listing["products"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), 3);
    assert!(listing["products"]["totalCount"].as_i64().expect("count") >= 45);
    assert!(
        nodes
            .windows(2)
            .all(|w| w[0]["price"]["amount"].as_i64() <= w[1]["price"]["amount"].as_i64())
    );
    let (first, second) = (&nodes[0], &nodes[1]);

    // carts learns the catalogue from the products' events: wait until it knows the demo products.
    let carts_db = sea_orm::Database::connect(stack.database_url("carts").expect("carts"))
        .await
        .expect("carts database");
    crate::support::eventually("carts to know the demo catalogue", || async {
        let known =
            crate::support::count(&carts_db, "SELECT COUNT(*) FROM catalogue_product", vec![])
                .await;
        if known >= 45 {
            Ok(())
        } else {
            Err(format!("{known} products known"))
        }
    })
    .await;

    // Fill the cart: two of the first, one of the second.
    for (product, quantity) in [(first, 2), (second, 1)] {
        let cart = client
            .data(
                "mutation($id: ID!, $q: Int!) { addToCart(productId: $id, quantity: $q) { itemCount } }",
                json!({ "id": product["id"], "q": quantity }),
            )
            .await;
        assert!(cart["addToCart"]["itemCount"].as_i64().expect("count") > 0);
    }
    assert_eq!(
        recorder
            .take()
            .iter()
            .filter(|r| r.service == "carts")
            .count(),
        2
    );

    // One federated query across users, carts and products.
    let data = client
        .data(
            "{ me { name cart { items { quantity product { name price { amount currency } } } subtotal { amount currency } } } }",
            json!({}),
        )
        .await;
    let amount = |p: &Value| p["price"]["amount"].as_i64().expect("amount");
    let expected = json!({
        "me": {
            "name": "Ada Lovelace",
            "cart": {
                "items": [
                    { "quantity": 2, "product": { "name": first["name"], "price": first["price"] } },
                    { "quantity": 1, "product": { "name": second["name"], "price": second["price"] } }
                ],
                "subtotal": { "amount": 2 * amount(first) + amount(second), "currency": "USD" }
            }
        }
    });
    assert_eq!(data, expected);
    // Exactly the requested shape: same keys in the same order, nothing the planner added.
    assert_eq!(data.to_string(), expected.to_string());

    // What each subgraph was asked.
    let requests = recorder.take();
    let users = requests_of(&requests, "users");
    let products = requests_of(&requests, "products");
    let carts = requests_of(&requests, "carts");
    assert_eq!(users.len(), 1, "{users:#?}");
    assert!(users[0]["query"].as_str().expect("query").contains("me {"));
    assert_eq!(
        products.len(),
        1,
        "one batched _entities request: {products:#?}"
    );
    assert_eq!(
        products[0]["variables"]["representations"],
        json!([
            { "__typename": "Product", "id": first["id"] },
            { "__typename": "Product", "id": second["id"] }
        ])
    );
    assert_eq!(
        carts.len(),
        2,
        "cart, then subtotal with the prices: {carts:#?}"
    );
    assert_eq!(
        carts[0]["variables"]["representations"],
        json!([{ "__typename": "User", "id": user_id }])
    );
    let cart_representations = carts[1]["variables"]["representations"]
        .as_array()
        .expect("reps");
    assert_eq!(cart_representations.len(), 1);
    assert_eq!(cart_representations[0]["__typename"], "Cart");
    assert_eq!(
        cart_representations[0]["items"],
        json!([
            { "product": { "price": first["price"] } },
            { "product": { "price": second["price"] } }
        ])
    );
    assert!(
        carts[1]["query"]
            .as_str()
            .expect("query")
            .contains("subtotal")
    );

    // Without a token there is no `me`; another user cannot read this cart.
    client.token = None;
    let anonymous = client.data("{ me { name } }", json!({})).await;
    assert_eq!(anonymous, json!({ "me": null }));

    stack.stop().await;
}

/// The subgraphs' background work runs on the stack's shared event bus: the users relay publishes the
/// registration of `email` there.
async fn assert_registration_is_published(stack: &Stack, email: &str) {
    assert_eq!(
        stack.background_tasks(),
        [
            "users relay",
            "products relay",
            "products consumer",
            "products reservation expiry",
            "carts catalogue consumer",
            "carts consumer",
            "orders payments",
            "orders relay",
            "orders consumer",
            "notifications consumer",
            "notifications dispatcher",
        ]
    );
    let mut observer = stack
        .events()
        .subscribe("e2e-observer", "observer")
        .await
        .expect("subscribe");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "UserRegistered for {email} never reached the event bus"
        );
        let Some(delivery) = observer
            .next(Duration::from_millis(200))
            .await
            .expect("read the bus")
        else {
            continue;
        };
        let envelope = delivery.envelope().expect("well-formed event");
        if let Ok(registered) = envelope.decode_as::<UserRegistered>()
            && registered.email == email
        {
            assert_eq!(envelope.producer, "users");
            return;
        }
    }
}

#[tokio::test]
async fn shopping_through_the_router_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("shopgraph-e2e-{}", uuid::Uuid::new_v4()));
    shop_flow(&dir, StackOptions::sqlite_in(&dir)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn shopping_through_the_router_on_postgres() {
    let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set: the PostgreSQL end-to-end run is skipped");
        return;
    };
    let mut databases = Vec::new();
    let mut urls = Vec::new();
    for (service, _) in shopgraph::SUBGRAPHS {
        let database = TestDatabase::postgres(&server, &format!("e2e_{service}"))
            .await
            .expect("PostgreSQL database");
        urls.push((service.to_owned(), database.url.clone()));
        databases.push(database);
    }
    let dir = std::env::temp_dir().join(format!("shopgraph-e2e-{}", uuid::Uuid::new_v4()));
    shop_flow(&dir, urls).await;
    drop(databases);
    let _ = std::fs::remove_dir_all(dir);
}
