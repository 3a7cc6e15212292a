//! `createProduct`, `updateProduct` and `setStock`: administrators only, validation, SKU uniqueness
//! (also under concurrent creation), `NOT_FOUND` for unknown ids.

use chrono::{DateTime, FixedOffset};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, data, error_code, product_input, spawn_app};

const CREATE: &str = "mutation($input: CreateProductInput!) {
    createProduct(input: $input) { id sku name stock }
}";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
        id sku name description price { amount currency } category stock inStock createdAt updatedAt
    }
}";
const SET_STOCK: &str = "mutation($id: ID!, $stock: Int!) {
    setStock(id: $id, stock: $stock) { id stock inStock updatedAt }
}";

fn timestamp(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap()
}

async fn total_count(app: &TestApp) -> i64 {
    app.query("{ products { totalCount } }", json!({})).await["products"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn only_administrators_may_write() {
    let app = spawn_app().await;
    let existing = app.create_product(product_input("EXISTING")).await;
    let writes = [
        (CREATE, json!({ "input": product_input("NEW") })),
        (
            UPDATE,
            json!({ "id": existing["id"], "input": { "name": "Renamed" } }),
        ),
        (SET_STOCK, json!({ "id": existing["id"], "stock": 0 })),
    ];
    for (mutation, variables) in writes {
        let anonymous = app.graphql(mutation, variables.clone(), None).await;
        assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{mutation}");
        let forged = app
            .graphql(mutation, variables.clone(), Some("not-a-token"))
            .await;
        assert_eq!(error_code(&forged), "UNAUTHENTICATED", "{mutation}");
        let customer = app
            .graphql(mutation, variables.clone(), Some(&app.customer_token))
            .await;
        assert_eq!(error_code(&customer), "FORBIDDEN", "{mutation}");
    }
    // Nothing changed.
    assert_eq!(total_count(&app).await, 1);
    let product = app
        .query(
            "query($id: ID) { product(id: $id) { name stock } }",
            json!({ "id": existing["id"] }),
        )
        .await;
    assert_eq!(
        product["product"],
        json!({ "name": "Product EXISTING", "stock": 5 })
    );
}

#[tokio::test]
async fn create_product_stores_trimmed_input_and_defaults() {
    let app = spawn_app().await;
    let created = app
        .create_product(json!({
            "sku": "  KIT-CHEF-KNIFE-8 ",
            "name": " Chef's Knife 8\" ",
            "price": { "amount": 0, "currency": "EUR" },
            "category": "Kitchen",
        }))
        .await;
    assert!(uuid::Uuid::parse_str(created["id"].as_str().unwrap()).is_ok());
    assert_eq!(created["sku"], "KIT-CHEF-KNIFE-8");
    assert_eq!(created["name"], "Chef's Knife 8\"");
    assert_eq!(created["description"], "");
    assert_eq!(created["price"], json!({ "amount": 0, "currency": "EUR" }));
    assert_eq!(created["stock"], 0);
    assert_eq!(created["inStock"], false);
    assert_eq!(created["createdAt"], created["updatedAt"]);
    let listed = app.query("{ products { nodes { id } } }", json!({})).await;
    assert_eq!(
        listed["products"]["nodes"],
        json!([{ "id": created["id"] }])
    );
}

#[tokio::test]
async fn invalid_products_are_bad_user_input_and_not_stored() {
    let app = spawn_app().await;
    let breaks: [(&str, Value); 8] = [
        ("stock", json!(-1)),
        ("price", json!({ "amount": -1, "currency": "USD" })),
        ("price", json!({ "amount": 100, "currency": "usd" })),
        ("price", json!({ "amount": 100, "currency": "DOLLAR" })),
        ("name", json!("   ")),
        ("sku", json!("")),
        ("sku", json!("HAS SPACE")),
        ("category", json!("")),
    ];
    for (field, value) in breaks {
        let mut input = product_input("VALID-SKU");
        input[field] = value.clone();
        let response = app
            .graphql(CREATE, json!({ "input": input }), Some(&app.admin_token))
            .await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{field} = {value}");
    }
    assert_eq!(total_count(&app).await, 0);
}

#[tokio::test]
async fn duplicate_sku_is_a_conflict_even_under_a_race() {
    let app = spawn_app().await;
    app.create_product(product_input("DUP-1")).await;
    let again = app
        .graphql(
            CREATE,
            json!({ "input": product_input("DUP-1") }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");

    let racers = (0..8).map(|_| {
        app.graphql(
            CREATE,
            json!({ "input": product_input("RACE-1") }),
            Some(&app.admin_token),
        )
    });
    let responses = join_all(racers).await;
    let winners = responses
        .iter()
        .filter(|r| r.get("errors").is_none())
        .count();
    assert_eq!(winners, 1, "{responses:#?}");
    for response in responses.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(error_code(response), "CONFLICT", "{response:#}");
    }
    assert_eq!(total_count(&app).await, 2);
}

#[tokio::test]
async fn update_product_changes_only_given_fields() {
    let app = spawn_app().await;
    let created = app.create_product(product_input("UPD-1")).await;
    let other = app.create_product(product_input("UPD-2")).await;

    let updated = app
        .admin(
            UPDATE,
            json!({ "id": created["id"], "input": {
                "name": "  Better Name ",
                "price": { "amount": 2500, "currency": "GBP" },
            } }),
        )
        .await["updateProduct"]
        .clone();
    assert_eq!(updated["name"], "Better Name");
    assert_eq!(
        updated["price"],
        json!({ "amount": 2500, "currency": "GBP" })
    );
    assert_eq!(updated["sku"], "UPD-1");
    assert_eq!(updated["description"], created["description"]);
    assert_eq!(updated["category"], created["category"]);
    assert_eq!(updated["stock"], created["stock"]);
    assert_eq!(updated["createdAt"], created["createdAt"]);
    assert!(timestamp(&updated["updatedAt"]) > timestamp(&created["updatedAt"]));

    let renamed_sku = app
        .admin(
            UPDATE,
            json!({ "id": created["id"], "input": { "sku": "UPD-1B", "category": "Other" } }),
        )
        .await["updateProduct"]
        .clone();
    assert_eq!(renamed_sku["sku"], "UPD-1B");
    assert_eq!(renamed_sku["category"], "Other");
    let by_new_sku = app
        .query("{ product(sku: \"UPD-1B\") { id } }", json!({}))
        .await;
    assert_eq!(by_new_sku["product"]["id"], created["id"]);

    let taken = app
        .graphql(
            UPDATE,
            json!({ "id": created["id"], "input": { "sku": other["sku"] } }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&taken), "CONFLICT");

    let unchanged = app
        .admin(UPDATE, json!({ "id": created["id"], "input": {} }))
        .await["updateProduct"]
        .clone();
    assert_eq!(unchanged, renamed_sku, "an empty update changes nothing");

    let invalid = [
        json!({ "stock": -5 }),
        json!({ "name": "" }),
        json!({ "price": { "amount": -1, "currency": "USD" } }),
    ];
    for input in invalid {
        let response = app
            .graphql(
                UPDATE,
                json!({ "id": created["id"], "input": input }),
                Some(&app.admin_token),
            )
            .await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{input}");
    }

    let unknown = app
        .graphql(
            UPDATE,
            json!({ "id": uuid::Uuid::new_v4().to_string(), "input": { "name": "X" } }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    let malformed = app
        .graphql(
            UPDATE,
            json!({ "id": "nope", "input": { "name": "X" } }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
}

#[tokio::test]
async fn set_stock_updates_availability() {
    let app = spawn_app().await;
    let created = app.create_product(product_input("STOCK-1")).await;
    let sold_out = data(
        app.graphql(
            SET_STOCK,
            json!({ "id": created["id"], "stock": 0 }),
            Some(&app.admin_token),
        )
        .await,
    )["setStock"]
        .clone();
    assert_eq!(sold_out["stock"], 0);
    assert_eq!(sold_out["inStock"], false);
    let restocked = app
        .admin(SET_STOCK, json!({ "id": created["id"], "stock": 12 }))
        .await["setStock"]
        .clone();
    assert_eq!(restocked["stock"], 12);
    assert_eq!(restocked["inStock"], true);

    let negative = app
        .graphql(
            SET_STOCK,
            json!({ "id": created["id"], "stock": -1 }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&negative), "BAD_USER_INPUT");
    let unknown = app
        .graphql(
            SET_STOCK,
            json!({ "id": uuid::Uuid::new_v4().to_string(), "stock": 1 }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    let stored = app
        .query(
            "query($id: ID) { product(id: $id) { stock } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(stored["product"]["stock"], 12);
}
