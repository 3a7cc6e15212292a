//! Federation `_entities`: products resolved by `id` and by `sku` through the batching loader — a
//! hundred representations cost one SQL query — with null for keys that do not exist.

use serde_json::{Value, json};

use crate::support::{Fixture, spawn_app};

const ENTITIES: &str = "query($representations: [_Any!]!) {
    _entities(representations: $representations) {
        ... on Product { id sku name price { amount currency } stock inStock }
    }
}";

#[tokio::test]
async fn a_hundred_products_by_id_cost_one_query() {
    let app = spawn_app().await;
    let fixtures: Vec<Fixture> = (0..100)
        .map(|i| {
            Fixture::new(
                &format!("ENT-{i:03}"),
                &format!("Entity {i:03}"),
                100 + i,
                "Bulk",
                1,
            )
        })
        .collect();
    let rows = app.insert(&fixtures).await;
    // Ask in an order unlike the insertion order, with one product twice.
    let mut wanted: Vec<_> = rows.iter().rev().collect();
    wanted[99] = rows.last().unwrap();
    let representations: Vec<Value> = wanted
        .iter()
        .map(|row| json!({ "__typename": "Product", "id": row.id.to_string() }))
        .collect();

    app.reset_statement_count();
    let entities = app
        .query(ENTITIES, json!({ "representations": representations }))
        .await["_entities"]
        .clone();
    assert_eq!(
        app.statement_count(),
        1,
        "one SQL statement for all representations"
    );

    let entities = entities.as_array().unwrap();
    assert_eq!(entities.len(), 100);
    for (entity, row) in entities.iter().zip(&wanted) {
        assert_eq!(entity["id"], row.id.to_string());
        assert_eq!(entity["sku"], row.sku);
        assert_eq!(
            entity["price"],
            json!({ "amount": row.price_amount, "currency": "USD" })
        );
        assert_eq!(entity["inStock"], true);
    }
}

#[tokio::test]
async fn mixed_keys_resolve_in_order_and_unknown_keys_are_null() {
    let app = spawn_app().await;
    let rows = app
        .insert(&[
            Fixture::new("MIX-A", "Alpha", 100, "Mixed", 0),
            Fixture::new("MIX-B", "Bravo", 200, "Mixed", 3),
            Fixture::new("MIX-C", "Charlie", 300, "Mixed", 7),
        ])
        .await;
    let representations = json!([
        { "__typename": "Product", "sku": "MIX-B" },
        { "__typename": "Product", "id": rows[0].id.to_string() },
        { "__typename": "Product", "id": uuid::Uuid::new_v4().to_string() },
        { "__typename": "Product", "sku": "NO-SUCH-SKU" },
        { "__typename": "Product", "id": "not-a-uuid" },
        { "__typename": "Product", "sku": "MIX-C" },
        { "__typename": "Product", "id": rows[2].id.to_string() },
    ]);
    app.reset_statement_count();
    let entities = app
        .query(ENTITIES, json!({ "representations": representations }))
        .await["_entities"]
        .clone();
    assert_eq!(app.statement_count(), 2, "one statement per kind of key");
    let skus: Vec<Value> = entities
        .as_array()
        .unwrap()
        .iter()
        .map(|entity| entity.get("sku").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        skus,
        [
            json!("MIX-B"),
            json!("MIX-A"),
            Value::Null,
            Value::Null,
            Value::Null,
            json!("MIX-C"),
            json!("MIX-C")
        ]
    );
    assert_eq!(entities[1]["inStock"], false);
    assert_eq!(entities[2], Value::Null);
    assert_eq!(entities[6]["id"], rows[2].id.to_string());
}
