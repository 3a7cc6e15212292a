//! `product(id:, sku:)`: lookup by either key, null for unknown keys, errors for anything but exactly
//! one key.

use serde_json::{Value, json};

use crate::support::{error_code, product_input, spawn_app};

const PRODUCT: &str = "query($id: ID, $sku: String) {
    product(id: $id, sku: $sku) { id sku name price { amount currency } stock inStock }
}";

#[tokio::test]
async fn product_is_found_by_id_and_by_sku() {
    let app = spawn_app().await;
    let created = app.create_product(product_input("LOOK-UP-1")).await;
    app.create_product(product_input("LOOK-UP-2")).await;

    let by_id = app.query(PRODUCT, json!({ "id": created["id"] })).await;
    assert_eq!(by_id["product"]["sku"], "LOOK-UP-1");
    assert_eq!(
        by_id["product"]["price"],
        json!({ "amount": 1999, "currency": "USD" })
    );
    assert_eq!(by_id["product"]["inStock"], true);

    let by_sku = app.query(PRODUCT, json!({ "sku": "LOOK-UP-1" })).await;
    assert_eq!(by_sku["product"]["id"], created["id"]);
}

#[tokio::test]
async fn unknown_keys_give_null_and_malformed_ids_are_refused() {
    let app = spawn_app().await;
    app.create_product(product_input("KNOWN")).await;
    let unknown_id = app
        .query(PRODUCT, json!({ "id": uuid::Uuid::new_v4().to_string() }))
        .await;
    assert_eq!(unknown_id["product"], Value::Null);
    let unknown_sku = app.query(PRODUCT, json!({ "sku": "known" })).await;
    assert_eq!(
        unknown_sku["product"],
        Value::Null,
        "SKUs are case-sensitive"
    );

    let malformed = app.graphql(PRODUCT, json!({ "id": "42" }), None).await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
}

#[tokio::test]
async fn both_or_neither_key_is_bad_user_input() {
    let app = spawn_app().await;
    let created = app.create_product(product_input("BOTH")).await;
    for variables in [json!({}), json!({ "id": created["id"], "sku": "BOTH" })] {
        let response = app.graphql(PRODUCT, variables, None).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
        assert_eq!(response["data"]["product"], Value::Null);
    }
}
