//! Never silent: an object an entity fetch should have sent but could not (its representation is
//! incomplete, or its type matches none of the fetch's inputs) gets an error at its path, and a
//! selection no subgraph can serve fails planning with QUERY_PLANNING_FAILED naming the field.

use serde_json::json;

use super::{Gateway, assert_json, compose, counts};
use crate::support::Dataset;

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") { upc: String! name: String }
type Query { products: [Product] }
"#;

const PRICING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") { upc: String! price: Int }
"#;

#[tokio::test]
async fn an_object_whose_key_is_missing_gets_an_error_at_its_path() {
    let supergraph = compose(&[("catalog", CATALOG), ("pricing", PRICING)]);
    let data = vec![
        (
            "catalog",
            // The second product comes back without its key.
            Dataset::default().root(
                "products",
                json!([{ "__typename": "Product", "upc": "1", "name": "Chess" },
                       { "__typename": "Product", "name": "Lego" }]),
            ),
        ),
        (
            "pricing",
            Dataset::default().entities(
                "Product",
                vec!["upc"],
                vec![json!({ "__typename": "Product", "upc": "1", "price": 30 })],
            ),
        ),
    ];
    let g = Gateway::start(&supergraph, data).await;
    let response = g.query("{ products { name price } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"products":[{"name":"Chess","price":30},{"name":"Lego","price":null}]},
            "errors":[{"message":"<any>","path":["products",1],
                       "extensions":{"code":"ENTITY_REPRESENTATION_INVALID","serviceName":"pricing"}}]}"#,
    );
    assert_eq!(
        g.received("pricing")[0].representations(),
        &json!([{ "__typename": "Product", "upc": "1" }])
    );
}

#[tokio::test]
async fn an_object_whose_type_matches_no_input_of_an_interface_fetch_gets_an_error() {
    let mut data = super::interface_object_inputs::accounts_data();
    // core turns the second account into a type the supergraph does not know.
    data.retain(|(name, _)| *name != "core");
    let person = json!({ "__typename": "Person", "id": "a1", "email": "ada@example.org" });
    let robot = json!({ "__typename": "Robot", "id": "a2", "email": "r2@example.org" });
    data.push((
        "core",
        Dataset::default()
            .entities("Account", vec!["id"], vec![person, robot])
            .possible("Account", &["Person", "Robot"]),
    ));
    data.retain(|(name, _)| *name != "mail");
    data.push((
        "mail",
        Dataset::default()
            .root(
                "mailAccounts",
                json!([{ "__typename": "Account", "id": "a1" }, { "__typename": "Account", "id": "a2" }]),
            )
            .entities(
                "Account",
                vec!["id"],
                vec![
                    json!({ "__typename": "Account", "id": "a1" }),
                    json!({ "__typename": "Account", "id": "a2" }),
                ],
            )
            .computed("Account", "domain", |representation| {
                let email = representation["email"].as_str().unwrap_or_default();
                json!(email.split('@').nth(1))
            }),
    ));
    let g = Gateway::start(&super::interface_object_inputs::accounts_supergraph(), data).await;
    let response = g
        .query("{ mailAccounts { __typename id domain } }", json!({}))
        .await;
    // Besides the projection's complaint about the unknown type, the fetch that could not be made
    // for it is said at the object.
    assert_json(
        &response,
        r#"{"data":{"mailAccounts":[{"__typename":"Person","id":"a1","domain":"example.org"},null]},
            "errors":[{"message":"<any>","path":["mailAccounts",1],
                       "extensions":{"code":"ENTITY_REPRESENTATION_INVALID","serviceName":"mail"}},
                      {"message":"<any>","path":["mailAccounts",1],
                       "extensions":{"code":"INVALID_RESPONSE_VALUE"}}]}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("core", 1), ("mail", 2)]));
    assert_eq!(
        g.received("mail")[1].representations(),
        &json!([{ "__typename": "Account", "id": "a1", "email": "ada@example.org" }])
    );
}

#[tokio::test]
async fn a_field_no_subgraph_can_resolve_for_every_type_fails_planning_naming_it() {
    let message = planning_failure(
        &super::subgraph_types::things_supergraph(),
        r#"{ thing(id: "t1") { id } }"#,
    )
    .await;
    // Left cannot resolve a Rock's id, right cannot resolve a Tree's.
    assert!(message.contains("Rock.id at thing"), "{message}");
}

#[tokio::test]
async fn an_interface_object_field_without_a_resolvable_key_fails_planning_naming_it() {
    let message = planning_failure(
        &super::interface_object_inputs::assets_supergraph(),
        "{ firstAsset { label } }",
    )
    .await;
    assert!(message.contains("Asset.label at firstAsset"), "{message}");
}

/// Runs `query`, which must fail planning without asking any subgraph; returns the message.
async fn planning_failure(supergraph: &str, query: &str) -> String {
    let g = Gateway::start(supergraph, Vec::new()).await;
    let response = g.query(query, json!({})).await;
    assert_json(
        &response,
        r#"{"errors":[{"message":"<any>","extensions":{"code":"QUERY_PLANNING_FAILED"}}]}"#,
    );
    assert_eq!(g.request_counts(), counts(&[]));
    super::value(&response)["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
