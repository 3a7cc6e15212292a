//! Reading orders: `order(id)` for its owner and administrators only (FORBIDDEN for anyone else, whether
//! the order exists or not), `User.orders` and `Order` through the federation `_entities` field, the
//! golden SDL, health and readiness, and which background tasks run.

use serde_json::{Value, json};
use shopgraph_events::{InProcessBus, SharedTransport, Shutdown};
use uuid::Uuid;

use super::support::{TestApp, assert_no_errors, error_code, spawn_app};

#[tokio::test]
async fn an_order_is_visible_to_its_owner_and_administrators_only() {
    let app = spawn_app().await;
    let (owner, _) = app.shopper();
    let placed = app.checkout_ok(&owner, "tok_visa", "k").await;
    let id = placed["id"].as_str().unwrap();

    let own = app.order(&owner, id).await;
    assert_no_errors(&own);
    assert_eq!(own["data"]["order"], placed);

    let admin = app.admin();
    let by_admin = app.order(&admin, id).await;
    assert_no_errors(&by_admin);
    assert_eq!(by_admin["data"]["order"]["id"], id);

    let (stranger, _) = app.customer();
    let foreign = app.order(&stranger, id).await;
    assert_eq!(error_code(&foreign), "FORBIDDEN");
    let missing = Uuid::now_v7().to_string();
    let nowhere = app.order(&stranger, &missing).await;
    assert_eq!(
        error_code(&nowhere),
        "FORBIDDEN",
        "no hint whether it exists"
    );
    assert_eq!(
        foreign["errors"][0]["message"],
        nowhere["errors"][0]["message"]
    );

    let admin_missing = app.order(&admin, &missing).await;
    assert_no_errors(&admin_missing);
    assert_eq!(admin_missing["data"]["order"], Value::Null);

    let malformed = app.order(&owner, "not-an-id").await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
    let anonymous = app
        .graphql(
            "query($id: ID!) { order(id: $id) { id } }",
            json!({ "id": id }),
            None,
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let cancel = app.change("cancelOrder", id, &stranger).await;
    assert_eq!(error_code(&cancel), "FORBIDDEN");
    let cancel_missing = app.change("cancelOrder", &missing, &stranger).await;
    assert_eq!(error_code(&cancel_missing), "FORBIDDEN");
    assert_eq!(
        app.order(&owner, id).await["data"]["order"]["status"],
        "PENDING"
    );
}

const USER_ORDERS: &str = "query($representations: [_Any!]!, $first: Int, $after: String) {
    _entities(representations: $representations) {
        ... on User { id orders(first: $first, after: $after) {
            totalCount
            edges { cursor node { id total { amount } } }
            nodes { id }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        } }
    }
}";

async fn user_orders(
    app: &TestApp,
    token: &str,
    user: Uuid,
    first: Option<i64>,
    after: Option<&str>,
) -> Value {
    app.graphql(
        USER_ORDERS,
        json!({
            "representations": [{ "__typename": "User", "id": user.to_string() }],
            "first": first,
            "after": after,
        }),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn user_orders_through_entities_page_newest_first_for_the_user_and_admins() {
    let app = spawn_app().await;
    let (token, user) = app.shopper();
    let mut placed = Vec::new();
    for key in ["first", "second", "third"] {
        placed.push(app.checkout_ok(&token, "tok_visa", key).await["id"].clone());
    }
    let newest_first: Vec<Value> = placed.iter().rev().cloned().collect();

    let page = user_orders(&app, &token, user, Some(2), None).await;
    assert_no_errors(&page);
    let orders = &page["data"]["_entities"][0]["orders"];
    assert_eq!(orders["totalCount"], 3);
    let ids: Vec<&Value> = orders["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert_eq!(ids, vec![&newest_first[0], &newest_first[1]]);
    assert_eq!(orders["edges"][0]["node"]["id"], newest_first[0]);
    assert_eq!(
        orders["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": false,
                "startCursor": orders["edges"][0]["cursor"], "endCursor": orders["edges"][1]["cursor"] })
    );

    let end = orders["pageInfo"]["endCursor"].as_str().unwrap();
    let rest = user_orders(&app, &token, user, Some(2), Some(end)).await;
    assert_no_errors(&rest);
    let rest = &rest["data"]["_entities"][0]["orders"];
    assert_eq!(rest["nodes"], json!([{ "id": newest_first[2] }]));
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);

    // `first` defaults to 10 (also when null).
    let all = user_orders(&app, &token, user, None, None).await;
    assert_no_errors(&all);
    assert_eq!(
        all["data"]["_entities"][0]["orders"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let by_admin = user_orders(&app, &app.admin(), user, Some(10), None).await;
    assert_no_errors(&by_admin);
    assert_eq!(by_admin["data"]["_entities"][0]["orders"]["totalCount"], 3);

    let (stranger, stranger_id) = app.customer();
    let foreign = user_orders(&app, &stranger, user, Some(10), None).await;
    assert_eq!(error_code(&foreign), "FORBIDDEN");
    let own_empty = user_orders(&app, &stranger, stranger_id, Some(10), None).await;
    assert_no_errors(&own_empty);
    assert_eq!(own_empty["data"]["_entities"][0]["orders"]["totalCount"], 0);

    for (first, after) in [
        (Some(101), None),
        (Some(-1), None),
        (Some(5), Some("garbage")),
    ] {
        let response = user_orders(&app, &token, user, first, after).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");
    }
}

#[tokio::test]
async fn order_entities_resolve_for_those_who_may_see_them() {
    let app = spawn_app().await;
    let (token, user) = app.shopper();
    let placed = app.checkout_ok(&token, "tok_visa", "k").await;
    let query = "query($representations: [_Any!]!) {
        _entities(representations: $representations) {
            ... on Order { id status user { id } lines { product { id } quantity } }
        }
    }";
    let representations = json!([
        { "__typename": "Order", "id": placed["id"] },
        { "__typename": "Order", "id": Uuid::now_v7().to_string() },
        { "__typename": "Order", "id": "not-a-uuid" },
    ]);
    let own = app
        .graphql(
            query,
            json!({ "representations": representations }),
            Some(&token),
        )
        .await;
    assert_no_errors(&own);
    let entities = own["data"]["_entities"].as_array().unwrap();
    assert_eq!(entities[0]["id"], placed["id"]);
    assert_eq!(entities[0]["user"]["id"], user.to_string());
    assert_eq!(entities[0]["lines"][0]["quantity"], 1);
    assert_eq!(entities[1], Value::Null);
    assert_eq!(entities[2], Value::Null);

    let (stranger, _) = app.customer();
    let foreign = app
        .graphql(
            query,
            json!({ "representations": representations }),
            Some(&stranger),
        )
        .await;
    assert_no_errors(&foreign);
    assert_eq!(foreign["data"]["_entities"][0], Value::Null);
    let anonymous = app
        .graphql(query, json!({ "representations": representations }), None)
        .await;
    assert_eq!(anonymous["data"]["_entities"][0], Value::Null);
}

#[tokio::test]
async fn health_and_ready_answer() {
    let app = spawn_app().await;
    for (path, body) in [("/health", "ok"), ("/ready", "ready")] {
        let response = app
            .client
            .get(format!("{}{path}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }
}

#[tokio::test]
async fn background_tasks_are_the_payment_worker_and_with_a_transport_the_relay_and_consumer() {
    let app = spawn_app().await;
    let (trigger, shutdown) = Shutdown::channel();
    let alone = shopgraph_orders::spawn_background(app.db.clone(), &app.config, None, shutdown);
    assert_eq!(alone.names(), vec!["orders payments"]);
    trigger.trigger();
    tokio::time::timeout(std::time::Duration::from_secs(5), alone.join())
        .await
        .expect("stops on shutdown");

    let (trigger, shutdown) = Shutdown::channel();
    let bus: SharedTransport = std::sync::Arc::new(InProcessBus::new());
    let all = shopgraph_orders::spawn_background(app.db.clone(), &app.config, Some(bus), shutdown);
    assert_eq!(
        all.names(),
        vec!["orders payments", "orders relay", "orders consumer"]
    );
    trigger.trigger();
    tokio::time::timeout(std::time::Duration::from_secs(5), all.join())
        .await
        .expect("stops on shutdown");
}

#[tokio::test]
async fn sdl_matches_the_golden_file() {
    let app = spawn_app().await;
    let response = app.graphql("{ _service { sdl } }", json!({}), None).await;
    assert_no_errors(&response);
    let sdl = response["data"]["_service"]["sdl"].as_str().unwrap();
    for expected in [
        "type Order @key(fields: \"id\")",
        "type User @key(fields: \"id\")",
        "type Product @key(fields: \"id\")",
        "orders(first: Int = 10, after: String): OrderConnection!",
        "checkout(input: CheckoutInput!, idempotencyKey: String!): Order!",
        "tok_insufficient_funds",
    ] {
        assert!(sdl.contains(expected), "missing `{expected}` in\n{sdl}");
    }
    for leaked in ["findOrderById", "findUserById", "Loader"] {
        assert!(!sdl.contains(leaked), "`{leaked}` leaks into\n{sdl}");
    }

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/subgraphs/orders.graphql");
    if std::env::var("UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, sdl).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        golden == sdl,
        "the orders SDL differs from {}: refresh with `UPDATE_SCHEMA=1 cargo test -p shopgraph-orders -- sdl` \
         and then recompose with `cargo run -p shopgraph-schema -- compose`\n--- live SDL ---\n{sdl}",
        path.display()
    );
}
