//! Hostile documents: fragment bombs, aliases, depth, width, directives, tokens and introspection
//! depth refused before planning, and operations whose estimated cost is above the maximum.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shopgraph_router::supergraph::Supergraph;

use super::{SHOP, Shop, code};
use crate::conformance::compose;

/// 30 fragments, each spreading the next twice through `User.orders → Order.user`: 2^30 fields
/// once expanded, in about 2 KB.
fn fragment_bomb() -> String {
    let mut query = String::from("{ me { ...F0 } }\n");
    for i in 0..30 {
        let next = if i == 29 {
            String::from("id")
        } else {
            format!("...F{}", i + 1)
        };
        query.push_str(&format!(
            "fragment F{i} on User {{ a: orders {{ user {{ {next} }} }} b: orders {{ user {{ {next} }} }} }}\n"
        ));
    }
    query
}

#[tokio::test]
async fn a_fragment_bomb_is_refused_at_once_and_others_are_still_served() {
    let shop = Shop::start(|_| {}).await;
    let bomb = fragment_bomb();
    assert!(bomb.len() < 4096, "{}", bomb.len());
    let started = Instant::now();
    let response = shop.query(&bomb).await;
    let first = started.elapsed();
    assert_eq!(code(&response), "MAX_SELECTIONS_EXCEEDED", "{response}");
    assert!(response.get("data").is_none());
    // Debug build, shared machine: a generous bound; release figures are in the README.
    assert!(first < Duration::from_millis(500), "{first:?}");
    // Many at once, with ordinary requests among them.
    let bomb_body = json!({ "query": bomb });
    let bombs: Vec<_> = (0..20).map(|_| shop.send(&bomb_body, &[])).collect();
    let started = Instant::now();
    let (answers, ()) = tokio::join!(futures::future::join_all(bombs), shop.still_answers());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    for (_, _, answer) in answers {
        assert_eq!(code(&answer), "MAX_SELECTIONS_EXCEEDED");
    }
    assert_eq!(shop.mock.received().len(), 1, "only the ordinary request");
}

#[tokio::test]
async fn normalisation_stops_at_its_budget_even_without_the_document_check() {
    let supergraph = compose(&[("shop", SHOP)]);
    let supergraph = Supergraph::parse(&supergraph, "supergraph.graphql").unwrap();
    let document = shopgraph_router::operation::parse_and_validate(
        &supergraph.api_schema,
        &fragment_bomb(),
        30_000,
    )
    .unwrap();
    let operation = shopgraph_router::operation::select_operation(&document, None).unwrap();
    let started = Instant::now();
    let error = shopgraph_router::operation::normalize::normalize(
        &supergraph,
        &document,
        operation,
        &Default::default(),
        2_000,
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(error.code(), Some("MAX_SELECTIONS_EXCEEDED"));
}

#[tokio::test]
async fn five_hundred_aliased_pages_are_refused_by_default() {
    let shop = Shop::start(|_| {}).await;
    let aliases: String = (0..500)
        .map(|i| format!("p{i}: products(first: 100) {{ nodes {{ id }} }} "))
        .collect();
    let response = shop.query(&format!("{{ {aliases} }}")).await;
    assert_eq!(code(&response), "MAX_ALIASES_EXCEEDED", "{response}");
    assert!(shop.mock.received().is_empty());
}

#[tokio::test]
async fn an_operation_estimated_too_expensive_is_refused_with_its_cost() {
    let shop = Shop::start(|config| {
        config.limits.max_aliases = 1_000;
        config.limits.max_root_fields = 1_000;
    })
    .await;
    let aliases: String = (0..500)
        .map(|i| format!("p{i}: products(first: 100) {{ nodes {{ id }} }} "))
        .collect();
    let response = shop.query(&format!("{{ {aliases} }}")).await;
    assert_eq!(
        code(&response),
        "COST_ESTIMATED_TOO_EXPENSIVE",
        "{response}"
    );
    // Each page: the connection (1) and 100 products (100).
    assert_eq!(response["errors"][0]["extensions"]["cost"], json!(50_500.0));
    assert_eq!(
        response["errors"][0]["extensions"]["maxCost"],
        json!(5_000.0)
    );
    // Sizes given in variables count too, per request.
    let query = "query($n: Int) { a: products(first: $n) { nodes { id } } b: products(first: $n) { nodes { id } } }";
    let (_, _, cheap) = shop
        .send(&json!({ "query": query, "variables": { "n": 5 } }), &[])
        .await;
    assert!(cheap.get("errors").is_none(), "{cheap}");
    // Estimated 2 × (1 + 5); actually 2 connections with the 3 products the subgraph has.
    let metrics = shop
        .http
        .get(format!("http://{}/metrics", shop.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "shopgraph_router_operation_cost_count 1",
        "shopgraph_router_operation_cost_sum{kind=\"estimated\"} 12",
        "shopgraph_router_operation_cost_sum{kind=\"actual\"} 8",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    let (_, _, dear) = shop
        .send(&json!({ "query": query, "variables": { "n": 5000 } }), &[])
        .await;
    assert_eq!(code(&dear), "COST_ESTIMATED_TOO_EXPENSIVE");
    assert_eq!(dear["errors"][0]["extensions"]["cost"], json!(10_002.0));
    assert_eq!(shop.mock.received().len(), 1, "only the cheap request ran");
}

/// Cost estimates over a supergraph, with the model read from it.
fn estimator(supergraph: &str) -> impl Fn(&str) -> f64 {
    let parsed = Supergraph::parse(supergraph, "supergraph.graphql").unwrap();
    let model = shopgraph_router::cost::CostModel::new(&parsed.schema, &Default::default());
    move |query: &str| {
        let document =
            shopgraph_router::operation::parse_and_validate(&parsed.api_schema, query, 30_000)
                .unwrap();
        let operation = shopgraph_router::operation::select_operation(&document, None).unwrap();
        let normalized = shopgraph_router::operation::normalize::normalize(
            &parsed,
            &document,
            operation,
            &Default::default(),
            2_000,
        )
        .unwrap();
        model
            .estimate(&parsed.api_schema, &normalized, &Default::default())
            .cost
    }
}

fn assert_shop_costs(estimate: impl Fn(&str) -> f64) {
    // me (1) + 200 orders × (weight 3 + user 1).
    assert_eq!(estimate("{ me { orders { user { id } } } }"), 801.0);
    // The default `first` (20) sizes `nodes`.
    assert_eq!(estimate("{ products { nodes { id } } }"), 21.0);
    assert_eq!(estimate("{ products(first: 7) { nodes { id } } }"), 8.0);
}

#[tokio::test]
async fn list_sizes_and_weights_come_from_the_supergraph() {
    // The supergraph as another composer writes it, with the cost spec linked.
    let supergraph = compose(&[("shop", SHOP)])
        .replace(
            "products(first: Int = 20): ProductConnection!",
            "products(first: Int = 20): ProductConnection! @listSize(slicingArguments: [\"first\"], sizedFields: [\"nodes\"])",
        )
        .replace("orders: [Order!]!", "orders: [Order!]! @listSize(assumedSize: 200) @cost(weight: 3)");
    let supergraph = format!(
        "{supergraph}\ndirective @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n\
         directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION\n"
    );
    assert!(supergraph.contains("@listSize(assumedSize: 200)"));
    assert_shop_costs(estimator(&supergraph));
}

#[tokio::test]
async fn list_sizes_and_weights_declared_in_a_subgraph_reach_the_router_through_our_composer() {
    let subgraph = SHOP
        .replace("import: [\"@key\"]", "import: [\"@key\", \"@cost\", \"@listSize\"]")
        .replace("federation/v2.5", "federation/v2.9")
        .replace(
            "products(first: Int = 20): ProductConnection!",
            "products(first: Int = 20): ProductConnection! @listSize(slicingArguments: [\"first\"], sizedFields: [\"nodes\"])",
        )
        .replace("orders: [Order!]!", "orders: [Order!]! @listSize(assumedSize: 200) @cost(weight: 3)");
    let supergraph = compose(&[("shop", &subgraph)]);
    assert!(
        supergraph.contains("@listSize(assumedSize: 200)"),
        "{supergraph}"
    );
    assert_shop_costs(estimator(&supergraph));
}

#[tokio::test]
async fn deep_wide_and_decorated_operations_are_refused_with_their_codes() {
    let shop = Shop::start(|_| {}).await;
    let deep = format!(
        "{{ me {} {{ id }} {} }}",
        "{ orders { user ".repeat(8),
        "} } ".repeat(8)
    );
    assert_eq!(code(&shop.query(&deep).await), "MAX_DEPTH_EXCEEDED");
    let wide: String = (0..21).map(|i| format!("m{i}: me {{ id }} ")).collect();
    assert_eq!(
        code(&shop.query(&format!("{{ {wide} }}")).await),
        "MAX_ROOT_FIELDS_EXCEEDED"
    );
    let decorated = format!("{{ me {{ {} }} }}", "id @include(if: true) ".repeat(51));
    assert_eq!(
        code(&shop.query(&decorated).await),
        "MAX_DIRECTIVES_EXCEEDED"
    );
    let long = format!("{{ me {{ {} }} }}", "id ".repeat(30_001));
    assert_eq!(code(&shop.query(&long).await), "MAX_TOKENS_EXCEEDED");
    let introspection =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    assert_eq!(
        code(&shop.query(introspection).await),
        "MAX_INTROSPECTION_DEPTH_EXCEEDED"
    );
    // The usual introspection of GraphiQL stays allowed.
    let usual = "{ __schema { types { name fields { name args { name type { name ofType { name ofType { name ofType { name } } } } } } } } }";
    assert!(shop.query(usual).await.get("errors").is_none());
    assert!(shop.mock.received().is_empty());
    shop.still_answers().await;
}

#[tokio::test]
async fn thousands_of_aliased_mutations_are_refused() {
    let shop = Shop::start(|_| {}).await;
    let logins: String = (0..2000)
        .map(|i| format!("l{i}: login(email: \"a{i}@x\") "))
        .collect();
    let response = shop.query(&format!("mutation {{ {logins} }}")).await;
    assert_eq!(code(&response), "MAX_ALIASES_EXCEEDED");
    assert!(shop.mock.received().is_empty());
}

#[tokio::test]
async fn argument_and_input_field_weights_count_once_per_field_when_given() {
    let subgraph = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost"])
type Query {
  search(filter: Filter, exact: Boolean @cost(weight: 50)): [Item!]!
}
input Filter {
  text: String @cost(weight: 7)
  nested: [Filter!]
}
type Item @key(fields: "id") {
  id: ID!
}
"#;
    let supergraph = compose(&[("search", subgraph)]);
    assert!(supergraph.contains("@cost(weight: 7)"), "{supergraph}");
    let parsed = Supergraph::parse(&supergraph, "supergraph.graphql").unwrap();
    let model = shopgraph_router::cost::CostModel::new(&parsed.schema, &Default::default());
    let estimate = |query: &str, variables: Value| {
        let document =
            shopgraph_router::operation::parse_and_validate(&parsed.api_schema, query, 30_000)
                .unwrap();
        let operation = shopgraph_router::operation::select_operation(&document, None).unwrap();
        let variables = match variables {
            Value::Object(map) => serde_json::from_value(Value::Object(map)).unwrap(),
            _ => Default::default(),
        };
        let normalized = shopgraph_router::operation::normalize::normalize(
            &parsed, &document, operation, &variables, 2_000,
        )
        .unwrap();
        model.estimate(&parsed.api_schema, &normalized, &variables)
    };
    // Ten items (the default list size) of weight 1; arguments count once, not per item.
    assert_eq!(estimate("{ search { id } }", json!({})).cost, 10.0);
    assert_eq!(
        estimate("{ search(exact: true) { id } }", json!({})).cost,
        60.0
    );
    assert_eq!(
        estimate("{ search(exact: null) { id } }", json!({})).cost,
        10.0
    );
    assert_eq!(
        estimate("{ search(filter: { text: \"a\" }) { id } }", json!({})).cost,
        17.0
    );
    assert_eq!(
        estimate(
            "{ search(filter: { nested: [{ text: \"a\" }, { text: \"b\" }] }) { id } }",
            json!({})
        )
        .cost,
        24.0
    );
    let with_variable = estimate(
        "query ($f: Filter) { search(filter: $f) { id } }",
        json!({ "f": { "text": "x", "nested": [{ "text": "y" }] } }),
    );
    assert_eq!(with_variable.cost, 24.0);
    assert!(with_variable.uses_variables);
    assert_eq!(
        estimate(
            "query ($f: Filter) { search(filter: $f) { id } }",
            json!({})
        )
        .cost,
        10.0
    );
}
