//! The service around the schema: `/health` and `/ready`, the demo catalogue, and the golden SDL that
//! the supergraph is composed from.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::json;

use crate::support::spawn_app;

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
        assert_eq!(response.text().await.unwrap(), body);
    }
}

#[tokio::test]
async fn demo_catalogue_is_seeded_once() {
    let app = spawn_app().await;
    shopgraph_products::demo::seed(&app.db).await.unwrap();
    const ALL: &str = "{
        products(first: 100) { totalCount nodes { sku price { amount currency } stock } }
        categories
    }";
    let seeded = app.query(ALL, json!({})).await;
    let products = seeded["products"]["nodes"].as_array().unwrap();
    assert!(products.len() >= 50, "{} products", products.len());
    assert_eq!(seeded["products"]["totalCount"], products.len());
    assert!(seeded["categories"].as_array().unwrap().len() >= 5);
    let skus: HashSet<&str> = products
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus.len(), products.len(), "SKUs are unique");
    assert!(skus.contains("KIT-CHEF-KNIFE-8"));
    assert!(
        products.iter().any(|p| p["stock"] == 0),
        "some products are sold out"
    );
    assert!(products.iter().all(|p| p["price"]["currency"] == "USD"));
    let prices: HashSet<i64> = products
        .iter()
        .map(|p| p["price"]["amount"].as_i64().unwrap())
        .collect();
    assert!(prices.len() >= 10, "prices vary");

    shopgraph_products::demo::seed(&app.db).await.unwrap();
    let again = app.query(ALL, json!({})).await;
    assert_eq!(again, seeded, "seeding again changes nothing");
}

#[tokio::test]
async fn sdl_matches_the_golden_file() {
    let app = spawn_app().await;
    let sdl = app.query("{ _service { sdl } }", json!({})).await["_service"]["sdl"]
        .as_str()
        .unwrap()
        .to_owned();
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/subgraphs/products.graphql");
    if std::env::var("UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &sdl).unwrap();
        return;
    }
    let refresh = "refresh with `UPDATE_SCHEMA=1 cargo test -p shopgraph-products -- sdl` and then \
                   recompose with `cargo run -p shopgraph-schema -- compose`";
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; {refresh}", path.display()));
    assert!(
        golden == sdl,
        "the products SDL differs from {}; {refresh}\n--- live SDL ---\n{sdl}",
        path.display()
    );
}
