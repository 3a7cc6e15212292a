//! `archiveProduct` / `restoreProduct`: administrators only, archived products leave the listing, search
//! and categories but resolve by id (and as entities) with `archived: true`, and every catalogue write
//! that others must know of leaves its event in the outbox.

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use shopgraph_events::outbox::entity;

use crate::support::{TestApp, error_code, product_input, spawn_app};

const ARCHIVE: &str = "mutation($id: ID!) { archiveProduct(id: $id) { id archived } }";
const RESTORE: &str = "mutation($id: ID!) { restoreProduct(id: $id) { id archived } }";

async fn listed_skus(app: &TestApp, search: &str) -> Vec<String> {
    let page = app
        .query(
            "query($search: String) {
                products(filter: { search: $search }) { totalCount nodes { sku } }
            }",
            json!({ "search": search }),
        )
        .await;
    let nodes = page["products"]["nodes"].as_array().unwrap();
    assert_eq!(
        page["products"]["totalCount"].as_u64().unwrap() as usize,
        nodes.len()
    );
    let mut skus: Vec<String> = nodes
        .iter()
        .map(|node| node["sku"].as_str().unwrap().to_owned())
        .collect();
    skus.sort();
    skus
}

/// The event types in the outbox, oldest first.
async fn outbox_types(app: &TestApp) -> Vec<String> {
    let mut rows = entity::Entity::find().all(&app.db).await.unwrap();
    rows.sort_by_key(|row| row.occurred_at);
    rows.into_iter().map(|row| row.event_type).collect()
}

#[tokio::test]
async fn archived_products_leave_the_listing_and_still_resolve_by_id() {
    let app = spawn_app().await;
    let kept = app.create_product(product_input("KEPT")).await;
    let mut input = product_input("GONE");
    input["category"] = json!("Retired");
    let gone = app.create_product(input).await;
    assert_eq!(
        listed_skus(&app, "Product").await,
        ["GONE", "KEPT"].map(String::from).to_vec()
    );

    let customer = app
        .graphql(
            ARCHIVE,
            json!({ "id": gone["id"] }),
            Some(&app.customer_token),
        )
        .await;
    assert_eq!(error_code(&customer), "FORBIDDEN");
    let archived = app.admin(ARCHIVE, json!({ "id": gone["id"] })).await;
    assert_eq!(archived["archiveProduct"]["archived"], json!(true));
    // Archiving twice changes nothing.
    app.admin(ARCHIVE, json!({ "id": gone["id"] })).await;

    assert_eq!(listed_skus(&app, "Product").await, vec!["KEPT".to_owned()]);
    assert_eq!(listed_skus(&app, "").await, vec!["KEPT".to_owned()]);
    let categories = app.query("{ categories }", json!({})).await;
    assert_eq!(categories["categories"], json!(["Testing"]));

    let by_id = app
        .query(
            "query($id: ID) { product(id: $id) { sku archived price { amount } } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(
        by_id["product"],
        json!({ "sku": "GONE", "archived": true, "price": { "amount": 1999 } })
    );
    let entities = app
        .query(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { sku archived } } }",
            json!({ "r": [
                { "__typename": "Product", "id": gone["id"] },
                { "__typename": "Product", "id": kept["id"] },
            ] }),
        )
        .await;
    assert_eq!(
        entities["_entities"],
        json!([{ "sku": "GONE", "archived": true }, { "sku": "KEPT", "archived": false }])
    );

    let restored = app.admin(RESTORE, json!({ "id": gone["id"] })).await;
    assert_eq!(restored["restoreProduct"]["archived"], json!(false));
    assert_eq!(listed_skus(&app, "Product").await.len(), 2);

    let unknown = app
        .graphql(
            ARCHIVE,
            json!({ "id": "00000000-0000-4000-8000-000000000000" }),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
}

#[tokio::test]
async fn catalogue_writes_leave_their_events_in_the_outbox() {
    let app = spawn_app().await;
    let product = app.create_product(product_input("EVENTFUL")).await;
    let id = product["id"].clone();
    let update = "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }";
    // Stock and description are not announced; the price is.
    app.admin(
        update,
        json!({ "id": id, "input": { "stock": 9, "description": "x" } }),
    )
    .await;
    app.admin(
        update,
        json!({ "id": id, "input": { "price": { "amount": 2500, "currency": "USD" } } }),
    )
    .await;
    app.admin(ARCHIVE, json!({ "id": id })).await;
    app.admin(ARCHIVE, json!({ "id": id })).await;
    app.admin(RESTORE, json!({ "id": id })).await;
    assert_eq!(
        outbox_types(&app).await,
        [
            "ProductCreated",
            "ProductUpdated",
            "ProductArchived",
            "ProductRestored"
        ]
        .map(String::from)
        .to_vec()
    );
    let rows = entity::Entity::find().all(&app.db).await.unwrap();
    let updated = rows
        .iter()
        .find(|row| row.event_type == "ProductUpdated")
        .unwrap();
    let payload: Value = serde_json::from_str(&updated.payload).unwrap();
    assert_eq!(payload["price"]["amount"], json!(2500));
    assert_eq!(payload["product_id"], id);
}
