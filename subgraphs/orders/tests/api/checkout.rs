//! Checkout: the snapshot of cart and prices, the stored PENDING order with exactly one `OrderPlaced`,
//! idempotency (sequential and concurrent), and the refusals (bad input, empty cart, unknown products,
//! unreachable services) that store nothing.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use shopgraph_events::{DomainEvent, Money, OrderLine, OrderPlaced};
use shopgraph_orders::entity::order;
use uuid::Uuid;

use super::support::{
    Options, address, assert_no_errors, dead_url, error_code, error_message, history, spawn_app,
    spawn_app_with, uuid_of,
};

#[tokio::test]
async fn checkout_snapshots_the_cart_at_current_prices_and_writes_one_order_placed() {
    let app = spawn_app().await;
    let (token, user) = app.customer();
    let knife = app.product("Chef's knife", 4999, "EUR");
    let board = app.product("Cutting board", 1250, "EUR");
    app.set_cart(user, &[(knife, 2), (board, 1)]);

    let order = app.checkout_ok(&token, "tok_visa", "key-1").await;
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["user"]["id"], user.to_string());
    assert_eq!(
        order["total"],
        json!({ "amount": 2 * 4999 + 1250, "currency": "EUR" })
    );
    assert_eq!(
        order["lines"],
        json!([
            { "product": { "id": knife.to_string() }, "name": "Chef's knife",
              "unitPrice": { "amount": 4999, "currency": "EUR" }, "quantity": 2,
              "lineTotal": { "amount": 9998, "currency": "EUR" } },
            { "product": { "id": board.to_string() }, "name": "Cutting board",
              "unitPrice": { "amount": 1250, "currency": "EUR" }, "quantity": 1,
              "lineTotal": { "amount": 1250, "currency": "EUR" } },
        ])
    );
    assert_eq!(history(&order), vec!["PENDING"]);
    assert_eq!(order["statusHistory"][0]["reason"], "order placed");
    assert_eq!(
        order["payment"],
        json!({ "status": "UNPAID", "reference": null, "failureReason": null })
    );
    assert_eq!(
        order["shippingAddress"],
        json!({ "name": "Ada Lovelace", "line1": "12 St James's Square", "line2": null,
                "city": "London", "postalCode": "SW1Y 4JH", "country": "GB" })
    );

    // The cart was asked for with the caller's own Authorization header.
    {
        let fake = app.fake.lock().unwrap();
        assert_eq!(fake.cart_requests.len(), 1);
        assert_eq!(
            fake.cart_requests[0].authorization.as_deref(),
            Some(format!("Bearer {token}").as_str())
        );
        assert_eq!(fake.cart_requests[0].user_id, user.to_string());
        assert_eq!(fake.product_requests, 1);
        // Without a router secret configured, none is sent.
        assert_eq!(fake.cart_requests[0].router_secret, None);
        assert_eq!(fake.product_router_secrets, vec![None]);
    }

    let events = app.outbox_events().await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].producer, "orders");
    assert_eq!(
        events[0].decode().unwrap(),
        DomainEvent::OrderPlaced(OrderPlaced {
            order_id: uuid_of(&order),
            user_id: user,
            lines: vec![
                OrderLine {
                    product_id: knife,
                    name: "Chef's knife".into(),
                    quantity: 2,
                    unit_price: Money::new(4999, "EUR"),
                },
                OrderLine {
                    product_id: board,
                    name: "Cutting board".into(),
                    quantity: 1,
                    unit_price: Money::new(1250, "EUR"),
                },
            ],
            total: Money::new(11248, "EUR"),
        })
    );
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_order_whatever_the_cart_holds_now() {
    let app = spawn_app().await;
    let (token, user) = app.customer();
    let knife = app.product("Chef's knife", 4999, "EUR");
    app.set_cart(user, &[(knife, 1)]);
    let first = app.checkout_ok(&token, "tok_visa", "same-key").await;

    // The cart and the price change; the key does not.
    let pan = app.product("Pan", 3000, "EUR");
    app.set_cart(user, &[(knife, 5), (pan, 1)]);
    app.fake
        .lock()
        .unwrap()
        .products
        .get_mut(&knife)
        .unwrap()
        .amount = 1;
    let again = app.checkout_ok(&token, "tok_decline", "same-key").await;
    assert_eq!(again, first, "the original order, unchanged");
    assert_eq!(
        app.fake.lock().unwrap().cart_requests.len(),
        1,
        "a repeated key does not snapshot again"
    );

    // Another key is another order; another user's identical key is theirs alone.
    let other = app.checkout_ok(&token, "tok_visa", "other-key").await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(other["total"]["amount"], 5 + 3000);
    let (stranger, stranger_id) = app.customer();
    app.set_cart(stranger_id, &[(pan, 1)]);
    let theirs = app.checkout_ok(&stranger, "tok_visa", "same-key").await;
    assert_ne!(theirs["id"], first["id"]);

    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 3);
    assert_eq!(
        app.outbox_events().await.len(),
        3,
        "one OrderPlaced per order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checkouts_with_one_key_make_one_order() {
    let app = spawn_app().await;
    let (token, _) = app.shopper();
    let attempts =
        futures::future::join_all((0..6).map(|_| app.checkout(&token, "tok_visa", "double-click")))
            .await;
    let mut ids = Vec::new();
    for response in &attempts {
        assert_no_errors(response);
        ids.push(
            response["data"]["checkout"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every call returns the first order: {ids:?}");
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 1);
    let events = app.outbox_events().await;
    assert_eq!(events.len(), 1, "exactly one OrderPlaced: {events:#?}");
    assert_eq!(events[0].payload["order_id"], ids[0]);
}

#[tokio::test]
async fn an_empty_cart_and_bad_input_are_bad_user_input_and_store_nothing() {
    let app = spawn_app().await;
    let (token, user) = app.customer();

    let empty = app.checkout(&token, "tok_visa", "k").await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
    assert_eq!(error_message(&empty), "your cart is empty");

    let knife = app.product("Chef's knife", 4999, "EUR");
    app.set_cart(user, &[(knife, 1)]);
    let mut no_country = address();
    no_country["country"] = json!("Germany");
    let mut no_city = address();
    no_city["city"] = json!("   ");
    for (shipping_address, payment_token, key, field) in [
        (no_country, "tok_visa", "k", "shippingAddress.country"),
        (no_city, "tok_visa", "k", "shippingAddress.city"),
        (address(), "  ", "k", "paymentToken"),
        (address(), "tok visa", "k", "paymentToken"),
        (address(), "tok_visa", "   ", "idempotencyKey"),
        (address(), "tok_visa", &"k".repeat(201), "idempotencyKey"),
    ] {
        let response = app
            .checkout_with(&token, shipping_address, payment_token, key)
            .await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");
        assert!(error_message(&response).contains(field), "{response:#}");
    }

    let ghost = Uuid::now_v7();
    app.set_cart(user, &[(knife, 1), (ghost, 2)]);
    let unknown = app.checkout(&token, "tok_visa", "k").await;
    assert_eq!(error_code(&unknown), "PRODUCT_UNAVAILABLE");
    assert!(
        error_message(&unknown).contains(&ghost.to_string()),
        "{unknown:#}"
    );

    // An archived product resolves, but cannot be ordered: the error names it, nothing is dropped.
    let retired = app.product("Retired kettle", 3000, "EUR");
    app.archive(retired);
    app.set_cart(user, &[(knife, 1), (retired, 1)]);
    let archived = app.checkout(&token, "tok_visa", "k").await;
    assert_eq!(error_code(&archived), "PRODUCT_UNAVAILABLE");
    assert!(
        error_message(&archived).contains("Retired kettle")
            && error_message(&archived).contains(&retired.to_string()),
        "{archived:#}"
    );

    let dollars = app.product("Imported pan", 2000, "USD");
    app.set_cart(user, &[(knife, 1), (dollars, 1)]);
    let mixed = app.checkout(&token, "tok_visa", "k").await;
    assert_eq!(error_code(&mixed), "CONFLICT");

    let anonymous = app
        .graphql(
            "mutation { checkout(input: { shippingAddress: { name: \"A\", line1: \"B\", city: \"C\",
                postalCode: \"1\", country: \"DE\" }, paymentToken: \"tok_visa\" },
                idempotencyKey: \"k\") { id } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(app.outbox_events().await.is_empty());

    // The key was not used up by the failures.
    app.set_cart(user, &[(knife, 1)]);
    let order = app.checkout_ok(&token, "tok_visa", "k").await;
    assert_eq!(order["status"], "PENDING");
}

#[tokio::test]
async fn unreachable_carts_or_products_are_service_unavailable_and_store_nothing() {
    let dead = dead_url().await;
    let app = spawn_app_with(Options {
        configure: Box::new(move |config| config.carts_url = dead),
        ..Options::default()
    })
    .await;
    let (token, _) = app.shopper();
    let response = app.checkout(&token, "tok_visa", "k").await;
    assert_eq!(error_code(&response), "SERVICE_UNAVAILABLE");
    assert!(error_message(&response).contains("carts"), "{response:#}");
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 0);

    let dead = dead_url().await;
    let app = spawn_app_with(Options {
        configure: Box::new(move |config| config.products_url = dead),
        ..Options::default()
    })
    .await;
    let (token, _) = app.shopper();
    let response = app.checkout(&token, "tok_visa", "k").await;
    assert_eq!(error_code(&response), "SERVICE_UNAVAILABLE");
    assert!(
        error_message(&response).contains("products"),
        "{response:#}"
    );
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(app.outbox_events().await.is_empty());
}

#[tokio::test]
async fn with_a_router_secret_orders_answers_only_it_and_passes_it_to_carts_and_products() {
    const SECRET: &str = "router-secret-for-the-orders-api-tests";
    let app = spawn_app_with(Options {
        configure: Box::new(|config| config.service.router_secret = Some(SECRET.to_owned())),
        ..Options::default()
    })
    .await;
    let (token, user) = app.customer();
    let knife = app.product("Chef's knife", 4999, "EUR");
    app.set_cart(user, &[(knife, 1)]);

    // Straight to orders, without the secret: refused.
    let direct = reqwest::Client::new()
        .post(format!("{}/graphql", app.base_url))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 401);
    let body: serde_json::Value = direct.json().await.unwrap();
    assert_eq!(error_code(&body), "UNTRUSTED_CALLER", "{body:#}");

    // Through "the router": checkout asks carts and products with the secret.
    app.checkout_ok(&token, "tok_visa", "key-1").await;
    let fake = app.fake.lock().unwrap();
    assert_eq!(fake.cart_requests.len(), 1);
    assert_eq!(fake.cart_requests[0].router_secret.as_deref(), Some(SECRET));
    assert_eq!(fake.product_router_secrets, vec![Some(SECRET.to_owned())]);
}
