//! Carts and the catalogue stay consistent, through the router: a product id that is no product is
//! refused; a price change shows in the cart at once and is what checkout charges; a product archived
//! after it was put into a cart leaves `me` and the cart answering, its line `available: false` and out
//! of the subtotal, and checkout refuses the cart naming it until the line is removed; carts applied each
//! catalogue event once; a line of a product the catalogue never knew leaves the cart answering too; and
//! after every service restarts, carts still knows the catalogue (its projection is stored) and keeps
//! following it.

use std::time::SystemTime;

use sea_orm::prelude::DateTimeUtc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use shopgraph_carts::entity::cart_item;
use uuid::Uuid;

use crate::support::{Backend, Customer, Platform, count, error_code, eventually, text};

const CART: &str = "{ me { name cart { hasUnavailableItems subtotal { amount } \
    items { available quantity product { id name archived price { amount } } } } } }";

async fn cart_view(customer: &Customer) -> Value {
    customer.client.data(CART, json!({})).await["me"].clone()
}

/// `(product id, available)` of each line.
fn availability(me: &Value) -> Vec<(String, bool)> {
    me["cart"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                text(&item["product"]["id"]),
                item["available"].as_bool().expect("available"),
            )
        })
        .collect()
}

async fn try_add(customer: &Customer, product: &str) -> Value {
    customer
        .client
        .post(
            "mutation($id: ID!) { addToCart(productId: $id) { id } }",
            json!({ "id": product }),
        )
        .await
}

async fn catalogue_consistency(backend: Backend) {
    let platform = Platform::start(&backend).await;
    let admin = platform.admin().await;
    let lamp = platform.product("Retiring Lamp", 1500, 10).await;
    let mug = platform.product("Repriced Mug", 1000, 10).await;
    let ada = platform.customer("Ada Lovelace").await;

    // 1. An id that is no product is refused; the cart stays as it was.
    let unknown = try_add(&ada, "7f0c6b1e-3c1a-4c53-9d7e-2f7d3f1b9a10").await;
    assert_eq!(
        error_code(&unknown).as_deref(),
        Some("NOT_FOUND"),
        "{unknown:#}"
    );
    assert_eq!(ada.cart().await, []);

    // A line of a product the catalogue does not know at all (written before addToCart checked, say)
    // leaves `me` and the cart answering: its product is null, the line unavailable, the subtotal
    // without it.
    let cart_id =
        ada.client.data("{ me { cart { id } } }", json!({})).await["me"]["cart"]["id"].clone();
    let ghost = Uuid::new_v4();
    let carts_db = platform.database("carts").await;
    cart_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        cart_id: Set(Uuid::parse_str(&text(&cart_id)).expect("cart id")),
        product_id: Set(ghost),
        quantity: Set(1),
        added_at: Set(DateTimeUtc::from(SystemTime::now())),
    }
    .insert(&carts_db)
    .await
    .expect("a line of an unknown product");
    let response = ada.client.post(CART, json!({})).await;
    let me = &response["data"]["me"];
    assert_eq!(me["name"], "Ada Lovelace", "{response:#}");
    assert_eq!(
        me["cart"]["items"],
        json!([{ "available": false, "quantity": 1, "product": null }]),
        "{response:#}"
    );
    assert_eq!(me["cart"]["subtotal"]["amount"], 0, "{response:#}");
    assert_eq!(me["cart"]["hasUnavailableItems"], true);
    ada.client
        .data(
            "mutation($id: ID!) { removeFromCart(productId: $id) { id } }",
            json!({ "id": ghost }),
        )
        .await;

    ada.add_to_cart(&lamp, 2).await;
    ada.add_to_cart(&mug, 1).await;

    // 2. A new price shows in the cart before checkout.
    admin
        .data(
            "mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: 1200, currency: \"USD\" } }) { id } }",
            json!({ "id": mug }),
        )
        .await;
    let me = cart_view(&ada).await;
    assert_eq!(me["cart"]["subtotal"]["amount"], 2 * 1500 + 1200, "{me:#}");
    assert_eq!(me["cart"]["items"][1]["product"]["price"]["amount"], 1200);

    // 3. The lamp is archived: `me` and the cart still answer, the line is unavailable.
    admin
        .data(
            "mutation($id: ID!) { archiveProduct(id: $id) { archived } }",
            json!({ "id": lamp }),
        )
        .await;
    let me = eventually("carts to hear of the archiving", || async {
        let me = cart_view(&ada).await;
        if availability(&me) == [(lamp.clone(), false), (mug.clone(), true)] {
            Ok(me)
        } else {
            Err(format!("{me}"))
        }
    })
    .await;
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["cart"]["hasUnavailableItems"], true);
    assert_eq!(
        me["cart"]["subtotal"]["amount"], 1200,
        "only available lines count"
    );
    assert_eq!(
        me["cart"]["items"][0]["product"],
        json!({ "id": lamp, "name": "Retiring Lamp", "archived": true, "price": { "amount": 1500 } })
    );
    let listed = ada
        .client
        .data(
            "{ products(filter: { search: \"Retiring Lamp\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["products"]["totalCount"], 0);
    let again = try_add(&ada, &lamp).await;
    assert_eq!(
        error_code(&again).as_deref(),
        Some("PRODUCT_UNAVAILABLE"),
        "{again:#}"
    );

    // 4. Checkout refuses the cart and names the line; nothing is ordered.
    let refused = ada.try_checkout("tok_visa", "refused").await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("PRODUCT_UNAVAILABLE"),
        "{refused:#}"
    );
    let message = text(&refused["errors"][0]["message"]);
    assert!(
        message.contains("Retiring Lamp") && !message.contains("Repriced Mug"),
        "{message}"
    );
    let orders_db = platform.database("orders").await;
    assert_eq!(
        count(&orders_db, "SELECT COUNT(*) FROM orders", vec![]).await,
        0
    );

    // Without the lamp the order goes through, at the mug's new price.
    ada.client
        .data(
            "mutation($id: ID!) { removeFromCart(productId: $id) { id } }",
            json!({ "id": lamp }),
        )
        .await;
    let order = ada.checkout("tok_visa").await;
    assert_eq!(order["total"]["amount"], 1200, "{order:#}");
    assert_eq!(ada.wait_for_final(&text(&order["id"])).await.0, "CONFIRMED");

    // 5. carts applied each catalogue event once (one processed record per event id).
    let events = platform.events().await;
    let catalogue_events = events
        .iter()
        .filter(|e| e.event_type.starts_with("Product"))
        .count();
    assert!(
        catalogue_events >= 45 + 4,
        "the demo catalogue and ours: {catalogue_events}"
    );
    eventually("carts to record each catalogue event once", || async {
        let processed = count(
            &carts_db,
            "SELECT COUNT(*) FROM event_processed WHERE consumer_group = \
             (SELECT consumer_group FROM catalogue_projection WHERE id = 1)",
            vec![],
        )
        .await;
        if processed == i64::try_from(catalogue_events).expect("count") {
            Ok(())
        } else {
            Err(format!(
                "{processed} recorded, {catalogue_events} published"
            ))
        }
    })
    .await;

    // 6. Everything restarts: carts still knows the catalogue and follows what happens next.
    let platform = platform.restart().await;
    let bob = platform.customer("Bob Marker").await;
    let refused = try_add(&bob, &lamp).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("PRODUCT_UNAVAILABLE"),
        "{refused:#}"
    );
    let admin = platform.admin().await;
    admin
        .data(
            "mutation($id: ID!) { restoreProduct(id: $id) { archived } }",
            json!({ "id": lamp }),
        )
        .await;
    eventually("carts to hear of the restoring", || async {
        let added = try_add(&bob, &lamp).await;
        match error_code(&added).as_deref() {
            None => Ok(()),
            Some("PRODUCT_UNAVAILABLE") => Err(format!("{added}")),
            Some(_) => panic!("addToCart failed: {added:#}"),
        }
    })
    .await;
    assert_eq!(bob.cart().await, [(lamp.clone(), 1)]);
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_carts_and_the_catalogue_stay_consistent_on_sqlite() {
    catalogue_consistency(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_carts_and_the_catalogue_stay_consistent_on_postgres_and_redis() {
    if let Some(backend) = Backend::postgres_from_env("f_carts_and_the_catalogue_stay_consistent") {
        catalogue_consistency(backend).await;
    }
}
