//! Operations: queries and mutations (mutation root fields one after another, in document order),
//! several operations in one document, variables (coercion, defaults, errors), fragments, aliases,
//! `@skip`/`@include`, `__typename`, introspection with `@inaccessible` and `@deprecated`, and
//! validation errors with locations.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Gateway, assert_json, compose, counts, fields, paths, value};
use crate::support::{Behaviour, Dataset};

const ACCOUNTS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  me: User
  user(id: ID!): User
}

type Mutation {
  rename(name: String!): User
  log(entry: String!): Int!
}

type User @key(fields: "id") {
  id: ID!
  name: String!
}
"#;

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  products(first: Int = 2, category: Category): [Product!]!
  product(upc: String!): Product
  search(text: String!): [SearchResult!]!
  items: [Item!]!
  echo(value: JSON): JSON
}

scalar JSON

type Mutation {
  addProduct(input: ProductInput!): Product!
}

enum Category {
  BOOKS
  TOYS
  GAMES
}

enum Currency {
  EUR
  USD
}

input ProductInput {
  upc: String!
  name: String!
  price: Int = 100
  tags: [String!]
}

interface Item {
  upc: String!
  name: String!
}

type Product implements Item @key(fields: "upc") {
  upc: String!
  name: String!
  category: Category!
  price(currency: Currency = EUR): Int!
}

type Gift implements Item @key(fields: "upc") {
  upc: String!
  name: String!
  wrapping: String
}

type Brand {
  name: String!
}

union SearchResult = Product | Gift | Brand
"#;

const REVIEWS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  reviews(first: Int): [Review!]!
}

type Review {
  body: String!
  stars: Int!
  author: User
}

type User @key(fields: "id", resolvable: false) {
  id: ID!
}

type Mutation {
  addReview(upc: String!, body: String!): Review!
}
"#;

fn supergraph() -> String {
    compose(&[
        ("accounts", ACCOUNTS),
        ("catalog", CATALOG),
        ("reviews", REVIEWS),
    ])
}

fn user(id: &str, name: &str) -> Value {
    json!({ "__typename": "User", "id": id, "name": name })
}

fn accounts() -> Dataset {
    Dataset::default()
        .root("me", user("u1", "Ada"))
        .entities(
            "User",
            vec!["id"],
            vec![user("u1", "Ada"), user("u2", "Alan")],
        )
        .resolver("Mutation", "rename", |_, args| {
            Ok(user("u1", args["name"].as_str().unwrap()))
        })
        .resolver("Mutation", "log", |_, args| {
            Ok(json!(args["entry"].as_str().unwrap().len()))
        })
}

fn product(upc: &str, name: &str, category: &str, base: i64) -> Value {
    json!({ "__typename": "Product", "upc": upc, "name": name, "category": category, "base": base })
}

fn products() -> Vec<Value> {
    vec![
        product("1", "Chess", "GAMES", 30),
        product("2", "Lego", "TOYS", 60),
        product("3", "Atlas", "BOOKS", 25),
    ]
}

fn gift() -> Value {
    json!({ "__typename": "Gift", "upc": "g1", "name": "Gift card", "wrapping": "red" })
}

fn catalog() -> Dataset {
    Dataset::default()
        .entities("Product", vec!["upc"], products())
        .entities("Gift", vec!["upc"], vec![gift()])
        .possible("Item", &["Product", "Gift"])
        .possible("SearchResult", &["Product", "Gift", "Brand"])
        .resolver("Query", "products", |_, args| {
            let first = match args.get("first") {
                None => Some(2),
                Some(Value::Null) => None,
                Some(n) => Some(n.as_u64().unwrap() as usize),
            };
            let category = args.get("category").filter(|c| !c.is_null());
            Ok(Value::Array(
                products()
                    .into_iter()
                    .filter(|p| category.is_none_or(|c| &p["category"] == c))
                    .take(first.unwrap_or(usize::MAX))
                    .collect(),
            ))
        })
        .resolver("Query", "product", |_, args| {
            Ok(products()
                .into_iter()
                .find(|p| p["upc"] == args["upc"])
                .unwrap_or(Value::Null))
        })
        .resolver("Query", "search", |_, _| {
            Ok(json!([products()[0], gift(), { "__typename": "Brand", "name": "Acme" }]))
        })
        .root("items", json!([products()[0], gift()]))
        .resolver("Query", "echo", |_, args| {
            Ok(args.get("value").cloned().unwrap_or(Value::Null))
        })
        .resolver("Product", "price", |product, args| {
            let base = product["base"].as_i64().unwrap();
            match args
                .get("currency")
                .and_then(Value::as_str)
                .unwrap_or("EUR")
            {
                "EUR" => Ok(json!(base)),
                "USD" => Ok(json!(base + base / 10)),
                other => Err(format!("unknown currency {other}")),
            }
        })
        .resolver("Mutation", "addProduct", |_, args| {
            let input = &args["input"];
            Ok(json!({
                "__typename": "Product",
                "upc": input["upc"],
                "name": input["name"],
                "category": "TOYS",
                "base": input.get("price").cloned().unwrap_or(json!(100)),
            }))
        })
}

fn review(body: &str, stars: i64, author: &str) -> Value {
    json!({ "__typename": "Review", "body": body, "stars": stars,
            "author": { "__typename": "User", "id": author } })
}

fn reviews() -> Dataset {
    Dataset::default()
        .entities(
            "Product",
            vec!["upc"],
            vec![
                json!({ "__typename": "Product", "upc": "1",
                        "reviews": [review("Great", 5, "u1"), review("Meh", 3, "u2")] }),
                json!({ "__typename": "Product", "upc": "2", "reviews": [review("Fun", 4, "u1")] }),
                json!({ "__typename": "Product", "upc": "3", "reviews": [] }),
            ],
        )
        .resolver("Product", "reviews", |product, args| {
            let all = product["reviews"].as_array().cloned().unwrap_or_default();
            let first = args
                .get("first")
                .and_then(Value::as_u64)
                .map_or(usize::MAX, |n| n as usize);
            Ok(Value::Array(all.into_iter().take(first).collect()))
        })
        .resolver("Mutation", "addReview", |_, args| {
            Ok(review(args["body"].as_str().unwrap(), 5, "u1"))
        })
}

async fn gateway() -> Gateway {
    Gateway::start(
        &supergraph(),
        vec![
            ("accounts", accounts()),
            ("catalog", catalog()),
            ("reviews", reviews()),
        ],
    )
    .await
}

/// Asserts a request error: no `data`, every error with `code`, the first message mentioning
/// each of `mentions`.
#[track_caller]
fn assert_request_error(response: &str, code: &str, mentions: &[&str]) {
    let response = value(response);
    let object = response.as_object().unwrap();
    assert_eq!(
        object.keys().collect::<Vec<_>>(),
        ["errors"],
        "a request error has no data: {response:#}"
    );
    let errors = response["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    for error in errors {
        assert_eq!(error["extensions"]["code"], code, "{response:#}");
    }
    let message = errors[0]["message"].as_str().unwrap();
    for mention in mentions {
        assert!(
            message.contains(mention),
            "{message:?} should mention {mention:?}"
        );
    }
}

#[tokio::test]
async fn mutation_root_fields_run_one_after_another_in_document_order() {
    let g = gateway().await;
    g.mock("accounts")
        .set_behaviour(Behaviour::Delay(Duration::from_millis(50)));
    g.mock("reviews")
        .set_behaviour(Behaviour::Delay(Duration::from_millis(100)));
    let response = g
        .query(
            r#"mutation {
                first: log(entry: "a")
                review: addReview(upc: "1", body: "Nice") { body author { name } }
                second: log(entry: "bb")
                third: log(entry: "ccc")
                renamed: rename(name: "Bea") { name }
            }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "first":1,
            "review":{"body":"Nice","author":{"name":"Ada"}},
            "second":2,
            "third":3,
            "renamed":{"name":"Bea"}
        }}"#,
    );
    let accounts = g.received("accounts");
    let reviews = g.received("reviews");
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 3), ("reviews", 1)])
    );
    // log(a); then addReview; then the review's author (a query); then the remaining fields.
    assert!(accounts[0].query().starts_with("mutation"));
    assert_eq!(fields(&accounts[0]), paths(&["first:log(entry: \"a\")"]));
    assert_eq!(accounts[0].completed_before, 0);
    assert!(reviews[0].query().starts_with("mutation"));
    assert_eq!(
        fields(&reviews[0]),
        paths(&[
            "review:addReview(upc: \"1\", body: \"Nice\")",
            "review:addReview(upc: \"1\", body: \"Nice\").author",
            "review:addReview(upc: \"1\", body: \"Nice\").author.id",
            "review:addReview(upc: \"1\", body: \"Nice\").body",
        ])
    );
    assert_eq!(reviews[0].completed_before, 1);
    assert!(accounts[1].query().starts_with("query"));
    assert_eq!(
        accounts[1].representations(),
        &json!([{ "__typename": "User", "id": "u1" }])
    );
    assert_eq!(
        accounts[1].completed_before, 2,
        "the author is fetched before the next mutation field"
    );
    let last = &accounts[2];
    assert!(last.query().starts_with("mutation"));
    assert_eq!(last.completed_before, 3);
    let text = last.query();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(
        at("second") < at("third") && at("third") < at("renamed"),
        "{text}"
    );
}

#[tokio::test]
async fn concurrent_identical_mutations_all_reach_the_subgraph() {
    let g = gateway().await;
    g.mock("accounts")
        .set_behaviour(Behaviour::Delay(Duration::from_millis(200)));
    let requests = (0..3).map(|_| g.query(r#"mutation { log(entry: "x") }"#, json!({})));
    for answer in futures::future::join_all(requests).await {
        assert_json(&answer, r#"{"data":{"log":1}}"#);
    }
    assert_eq!(
        g.received("accounts").len(),
        3,
        "a mutation is never shared"
    );
}

#[tokio::test]
async fn identical_queries_of_different_users_are_not_shared() {
    let g = gateway().await;
    g.mock("accounts")
        .set_behaviour(Behaviour::Delay(Duration::from_millis(200)));
    let body = json!({ "query": "{ me { name } }" });
    let (ada, alan) = tokio::join!(
        g.request_with_headers(body.clone(), &[("authorization", "Bearer ada")]),
        g.request_with_headers(body.clone(), &[("authorization", "Bearer alan")]),
    );
    assert_eq!(ada.0, 200);
    assert_eq!(alan.0, 200);
    let mut seen: Vec<String> = g
        .received("accounts")
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, ["Bearer ada", "Bearer alan"]);
}

#[tokio::test]
async fn operation_name_selects_one_of_several_operations() {
    let g = gateway().await;
    let document = r#"
        query Products { products { name } }
        query Me { me { name } }
        mutation Rename($name: String!) { rename(name: $name) { name } }
    "#;
    let me = g
        .request(json!({ "query": document, "operationName": "Me" }))
        .await;
    assert_json(&me, r#"{"data":{"me":{"name":"Ada"}}}"#);
    assert_eq!(g.request_counts(), counts(&[("accounts", 1)]));
    let sent_name = g.received("accounts")[0]
        .operation_name()
        .map(str::to_owned);
    assert!(
        sent_name.as_deref().is_some_and(|n| n.starts_with("Me")),
        "the subgraph operation is named after the client's: {sent_name:?}"
    );

    let rename = g
        .request(
            json!({ "query": document, "operationName": "Rename", "variables": { "name": "Bea" } }),
        )
        .await;
    assert_json(&rename, r#"{"data":{"rename":{"name":"Bea"}}}"#);
    let accounts = g.received("accounts");
    assert!(accounts[1].query().starts_with("mutation"));
    assert_eq!(accounts[1].variables(), &json!({ "name": "Bea" }));

    let products = g
        .request(json!({ "query": document, "operationName": "Products", "variables": null }))
        .await;
    assert_json(
        &products,
        r#"{"data":{"products":[{"name":"Chess"},{"name":"Lego"}]}}"#,
    );

    for body in [
        json!({ "query": document }),
        json!({ "query": document, "operationName": null }),
        json!({ "query": document, "operationName": "Nope" }),
    ] {
        let response = g.request(body).await;
        assert_json(
            &response,
            r#"{"errors":[{"message":"<any>","extensions":{"code":"OPERATION_RESOLUTION_FAILURE"}}]}"#,
        );
    }
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 2), ("catalog", 1)])
    );
}

#[tokio::test]
async fn variables_take_defaults_and_explicit_nulls() {
    let g = gateway().await;
    let query = r#"query Shelf($first: Int = 1, $category: Category, $currency: Currency = USD, $withPrice: Boolean = true) {
        products(first: $first, category: $category) { name price(currency: $currency) @include(if: $withPrice) }
    }"#;
    let defaults = g.query(query, json!({})).await;
    assert_json(
        &defaults,
        r#"{"data":{"products":[{"name":"Chess","price":33}]}}"#,
    );

    let given = g
        .query(
            query,
            json!({ "first": 3, "category": "TOYS", "currency": "EUR", "withPrice": true }),
        )
        .await;
    assert_json(
        &given,
        r#"{"data":{"products":[{"name":"Lego","price":60}]}}"#,
    );

    // An explicit null is not the same as leaving the variable out: `first: null` means no limit
    // to this subgraph, while an absent argument would take the field's default of 2.
    let null = g
        .query(query, json!({ "first": null, "withPrice": false }))
        .await;
    assert_json(
        &null,
        r#"{"data":{"products":[{"name":"Chess"},{"name":"Lego"},{"name":"Atlas"}]}}"#,
    );
    let catalog = g.received("catalog");
    assert_eq!(catalog.len(), 3);
    assert_eq!(catalog[2].variables()["first"], Value::Null);

    // A list variable given a single value is coerced to a list; an input object gets its defaults.
    let mutation =
        r#"mutation Add($input: ProductInput!) { addProduct(input: $input) { upc name price } }"#;
    let added = g
        .query(
            mutation,
            json!({ "input": { "upc": "9", "name": "Kite", "tags": "summer" } }),
        )
        .await;
    assert_json(
        &added,
        r#"{"data":{"addProduct":{"upc":"9","name":"Kite","price":100}}}"#,
    );
}

#[tokio::test]
async fn variables_reach_the_subgraphs_whose_fields_use_them() {
    let g = gateway().await;
    let response = g
        .query(
            r#"query($upc: String!, $first: Int, $currency: Currency = USD) {
                product(upc: $upc) { price(currency: $currency) reviews(first: $first) { body } }
            }"#,
            json!({ "upc": "1", "first": 1, "unused": "x" }),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"product":{"price":33,"reviews":[{"body":"Great"}]}}}"#,
    );
    let catalog = &g.received("catalog")[0];
    assert_eq!(
        catalog.variables(),
        &json!({ "upc": "1", "currency": "USD" })
    );
    let reviews = &g.received("reviews")[0];
    assert_eq!(reviews.variables()["first"], json!(1));
    assert!(reviews.variables().get("unused").is_none());
    assert_eq!(
        reviews.representations(),
        &json!([{ "__typename": "Product", "upc": "1" }])
    );
    assert_eq!(
        fields(reviews),
        paths(&[
            "_entities",
            "_entities.…Product.reviews(first: $first)",
            "_entities.…Product.reviews(first: $first).body"
        ])
    );
}

#[tokio::test]
async fn custom_scalars_pass_through_as_they_are() {
    let g = gateway().await;
    let literal = g
        .query(
            r#"{ echo(value: { a: [true, null, "x"], m: { k: 1.5 }, z: 1 }) }"#,
            json!({}),
        )
        .await;
    // (Keys in alphabetical order: the mock's JSON objects are sorted.)
    assert_json(
        &literal,
        r#"{"data":{"echo":{"a":[true,null,"x"],"m":{"k":1.5},"z":1}}}"#,
    );
    let variable = g
        .query(
            "query($v: JSON) { echo(value: $v) }",
            json!({ "v": [{ "b": 2 }, "s", 3] }),
        )
        .await;
    assert_json(&variable, r#"{"data":{"echo":[{"b":2},"s",3]}}"#);
}

#[tokio::test]
async fn missing_and_wrong_variables_are_request_errors() {
    let g = gateway().await;
    let query = r#"query($first: Int, $category: Category, $currency: Currency! = EUR, $upc: String!) {
        products(first: $first, category: $category) { price(currency: $currency) }
        product(upc: $upc) { name }
    }"#;
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({}), &["upc"]),
        (json!({ "upc": null }), &["upc"]),
        (json!({ "upc": "1", "first": "two" }), &["first"]),
        (json!({ "upc": "1", "first": 2147483648_i64 }), &["first"]),
        (json!({ "upc": "1", "first": 1.5 }), &["first"]),
        (json!({ "upc": "1", "category": "CARS" }), &["category"]),
        (json!({ "upc": "1", "currency": "eur" }), &["currency"]),
        (json!({ "upc": "1", "currency": null }), &["currency"]),
        (json!({ "upc": 1 }), &["upc"]),
    ];
    for (variables, mentions) in cases {
        let response = g.query(query, variables.clone()).await;
        assert_request_error(&response, "BAD_USER_INPUT", mentions);
    }
    let mutation = r#"mutation Add($input: ProductInput!) { addProduct(input: $input) { upc } }"#;
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({ "input": { "name": "Kite" } }),
            &["ProductInput", "upc"],
        ),
        (
            json!({ "input": { "upc": "9", "name": "Kite", "colour": "red" } }),
            &["colour"],
        ),
        (
            json!({ "input": { "upc": "9", "name": "Kite", "tags": [1] } }),
            &["tags"],
        ),
        (json!({ "input": "Kite" }), &["input"]),
    ];
    for (variables, mentions) in cases {
        let response = g.query(mutation, variables.clone()).await;
        assert_request_error(&response, "BAD_USER_INPUT", mentions);
    }
    // Variables that are not an object make a malformed request (400 is allowed for those).
    let (status, response) = g
        .request_with_status(json!({ "query": "query($upc: String!) { product(upc: $upc) { name } }", "variables": ["1"] }))
        .await;
    assert!(status == 200 || status == 400, "{status}");
    let response = value(&response);
    assert!(response.get("data").is_none(), "{response:#}");
    assert!(!response["errors"].as_array().unwrap().is_empty());
    assert!(g.request_counts().is_empty(), "nothing reaches a subgraph");
}

#[tokio::test]
async fn fragments_named_inline_nested_on_interfaces_and_unions() {
    let g = gateway().await;
    let response = g
        .query(
            r#"query {
                search(text: "a") {
                    __typename
                    ...ItemFields
                    ... on Brand { name }
                    ... on Product { ...Reviewed }
                }
                items { ... on Item { name } ... on Gift { wrapping } }
            }
            fragment ItemFields on Item { upc ... on Product { category } }
            fragment Reviewed on Product { reviews { ...ReviewBody } }
            fragment ReviewBody on Review { stars body }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "search":[
                {"__typename":"Product","upc":"1","category":"GAMES","reviews":[{"stars":5,"body":"Great"},{"stars":3,"body":"Meh"}]},
                {"__typename":"Gift","upc":"g1"},
                {"__typename":"Brand","name":"Acme"}
            ],
            "items":[{"name":"Chess"},{"name":"Gift card","wrapping":"red"}]
        }}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("reviews", 1)])
    );
    let reviews = g.received("reviews");
    assert_eq!(
        reviews[0].representations(),
        &json!([{ "__typename": "Product", "upc": "1" }])
    );
    assert_eq!(
        fields(&reviews[0]),
        paths(&[
            "_entities",
            "_entities.…Product.reviews",
            "_entities.…Product.reviews.body",
            "_entities.…Product.reviews.stars",
        ])
    );
}

#[tokio::test]
async fn a_fragment_spread_twice_and_fields_repeated_merge_into_one() {
    let g = gateway().await;
    let response = g
        .query(
            r#"{ product(upc: "1") { ...A name ...A upc ... { name reviews { body } } reviews { stars } } }
            fragment A on Product { upc name }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"product":{"upc":"1","name":"Chess","reviews":[{"body":"Great","stars":5},{"body":"Meh","stars":3}]}}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("reviews", 1)])
    );
}

#[tokio::test]
async fn aliases_select_the_same_field_with_different_arguments() {
    let g = gateway().await;
    let response = g
        .query(
            r#"{
                chess: product(upc: "1") { eur: price(currency: EUR) usd: price(currency: USD) price title: name }
                lego: product(upc: "2") { upc: name top: reviews(first: 1) { body } all: reviews { stars } }
            }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "chess":{"eur":30,"usd":33,"price":30,"title":"Chess"},
            "lego":{"upc":"Lego","top":[{"body":"Fun"}],"all":[{"stars":4}]}
        }}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("catalog", 1), ("reviews", 1)])
    );
    let reviews = g.received("reviews");
    // `upc` is the client's alias for `name`, yet the key travels under its own name.
    assert_eq!(
        reviews[0].representations(),
        &json!([{ "__typename": "Product", "upc": "2" }])
    );
    assert_eq!(
        fields(&reviews[0]),
        paths(&[
            "_entities",
            "_entities.…Product.all:reviews",
            "_entities.…Product.all:reviews.stars",
            "_entities.…Product.top:reviews(first: 1)",
            "_entities.…Product.top:reviews(first: 1).body",
        ])
    );
}

#[tokio::test]
async fn one_field_with_different_arguments_at_two_paths_of_one_fetch() {
    let g = gateway().await;
    let response = g
        .query(
            r#"{ product(upc: "1") { reviews(first: 1) { body } } items { ... on Product { reviews { stars } } } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "product":{"reviews":[{"body":"Great"}]},
            "items":[{"reviews":[{"stars":5},{"stars":3}]},{}]
        }}"#,
    );
    // Whatever the router sends (here two requests), one response key never stands for two
    // different fields in one selection.
    for received in g.received("reviews") {
        let asked = fields(&received);
        let split = |path: &str| {
            let (parent, segment) = path.rsplit_once('.').unwrap_or(("", path));
            let key = segment
                .split([':', '('])
                .next()
                .unwrap_or_default()
                .to_owned();
            (parent.to_owned(), key, segment.to_owned())
        };
        for a in &asked {
            for b in &asked {
                let (pa, ka, sa) = split(a);
                let (pb, kb, sb) = split(b);
                assert!(
                    !(pa == pb && ka == kb && sa != sb),
                    "conflicting {a} and {b} in {}",
                    received.query()
                );
            }
        }
    }
}

#[tokio::test]
async fn skip_and_include_with_literals_and_variables() {
    let g = gateway().await;
    let query = r#"query($yes: Boolean!, $no: Boolean = false) {
        product(upc: "1") {
            name @skip(if: true)
            upc @include(if: true)
            category @include(if: $no)
            price @skip(if: $no) @include(if: $yes)
            ... on Product @include(if: $yes) { title: name }
            ...Revs @skip(if: $yes)
        }
        me @include(if: $no) { name }
    }
    fragment Revs on Product { reviews { body } }"#;
    let yes = g.query(query, json!({ "yes": true })).await;
    assert_json(
        &yes,
        r#"{"data":{"product":{"upc":"1","price":30,"title":"Chess"}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("catalog", 1)]));
    assert_eq!(
        fields(&g.received("catalog")[0]),
        paths(&[
            "product(upc: \"1\")",
            "product(upc: \"1\").price",
            "product(upc: \"1\").title:name",
            "product(upc: \"1\").upc",
        ])
    );

    let no = g.query(query, json!({ "yes": false })).await;
    assert_json(
        &no,
        r#"{"data":{"product":{"upc":"1","reviews":[{"body":"Great"},{"body":"Meh"}]}}}"#,
    );
    let with_me = g.query(query, json!({ "yes": false, "no": true })).await;
    assert_json(
        &with_me,
        r#"{"data":{"product":{"upc":"1","category":"GAMES","reviews":[{"body":"Great"},{"body":"Meh"}]},"me":{"name":"Ada"}}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 1), ("catalog", 3), ("reviews", 2)])
    );

    // Everything skipped: an empty object, and no subgraph asked.
    let before = g.request_counts();
    let nothing = g
        .query(
            "query($no: Boolean = false) { me @include(if: $no) { name } product(upc: \"1\") @skip(if: true) { name } }",
            json!({}),
        )
        .await;
    assert_json(&nothing, r#"{"data":{}}"#);
    assert_eq!(g.request_counts(), before);

    // A field skipped in one place and selected in another is selected.
    let merged = g
        .query(
            r#"{ product(upc: "2") { name @skip(if: true) ... { name } } }"#,
            json!({}),
        )
        .await;
    assert_json(&merged, r#"{"data":{"product":{"name":"Lego"}}}"#);
}

#[tokio::test]
async fn typename_is_answered_anywhere() {
    let g = gateway().await;
    let root = g.query("{ __typename }", json!({})).await;
    assert_json(&root, r#"{"data":{"__typename":"Query"}}"#);
    assert!(
        g.request_counts().is_empty(),
        "the router answers __typename alone"
    );

    let mutation = g
        .query(
            r#"mutation { __typename first: log(entry: "a") }"#,
            json!({}),
        )
        .await;
    assert_json(&mutation, r#"{"data":{"__typename":"Mutation","first":1}}"#);

    let nested = g
        .query(
            r#"{
                search(text: "x") { __typename ... on Product { __typename reviews { __typename author { __typename } } } }
                items { t: __typename }
                me { __typename }
            }"#,
            json!({}),
        )
        .await;
    assert_json(
        &nested,
        r#"{"data":{
            "search":[
                {"__typename":"Product","reviews":[
                    {"__typename":"Review","author":{"__typename":"User"}},
                    {"__typename":"Review","author":{"__typename":"User"}}
                ]},
                {"__typename":"Gift"},
                {"__typename":"Brand"}
            ],
            "items":[{"t":"Product"},{"t":"Gift"}],
            "me":{"__typename":"User"}
        }}"#,
    );
    // The authors' __typename needs no fetch from accounts: only `me` goes there.
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 2), ("catalog", 1), ("reviews", 1)])
    );
}

// ----- introspection, @inaccessible, @deprecated -----

const SHOWCASE: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@inaccessible"])

type Query {
  product(upc: String!, legacyId: Int @inaccessible): Product
  secret: Secret @inaccessible
  byKind(kind: Kind): [Product!]!
}

type Product @key(fields: "upc") {
  upc: String!
  name: String!
  title: String @deprecated(reason: "Use `name`.")
  cost: Int @inaccessible
  kind: Kind!
}

enum Kind {
  NEW
  USED
  OLD @deprecated(reason: "Gone")
  HIDDEN @inaccessible
}

type Secret @inaccessible {
  code: String
}
"#;

const STOCK: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  stock: Int! @deprecated
}
"#;

async fn showcase() -> Gateway {
    let supergraph = compose(&[("showcase", SHOWCASE), ("stock", STOCK)]);
    let product = json!({ "__typename": "Product", "upc": "1", "name": "Chess", "title": "Chess",
                          "cost": 3, "kind": "NEW" });
    Gateway::start(
        &supergraph,
        vec![
            (
                "showcase",
                Dataset::default()
                    .root("product", product.clone())
                    .root("byKind", json!([product])),
            ),
            (
                "stock",
                Dataset::default().entities(
                    "Product",
                    vec!["upc"],
                    vec![json!({ "__typename": "Product", "upc": "1", "stock": 7 })],
                ),
            ),
        ],
    )
    .await
}

#[tokio::test]
async fn introspection_is_answered_from_the_api_schema() {
    let g = showcase().await;
    let roots = g
        .query(
            "{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }",
            json!({}),
        )
        .await;
    assert_json(
        &roots,
        r#"{"data":{"__schema":{"queryType":{"name":"Query"},"mutationType":null,"subscriptionType":null}}}"#,
    );

    let product = g
        .query(
            r#"{ __type(name: "Product") {
                name kind
                fields { name }
                all: fields(includeDeprecated: true) { name isDeprecated deprecationReason }
            } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &product,
        r#"{"data":{"__type":{
            "name":"Product","kind":"OBJECT",
            "fields":[{"name":"upc"},{"name":"name"},{"name":"kind"}],
            "all":[
                {"name":"upc","isDeprecated":false,"deprecationReason":null},
                {"name":"name","isDeprecated":false,"deprecationReason":null},
                {"name":"title","isDeprecated":true,"deprecationReason":"Use `name`."},
                {"name":"kind","isDeprecated":false,"deprecationReason":null},
                {"name":"stock","isDeprecated":true,"deprecationReason":"No longer supported"}
            ]
        }}}"#,
    );

    let kind = g
        .query(
            r#"{ __type(name: "Kind") {
                enumValues { name }
                all: enumValues(includeDeprecated: true) { name isDeprecated deprecationReason }
            } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &kind,
        r#"{"data":{"__type":{
            "enumValues":[{"name":"NEW"},{"name":"USED"}],
            "all":[
                {"name":"NEW","isDeprecated":false,"deprecationReason":null},
                {"name":"USED","isDeprecated":false,"deprecationReason":null},
                {"name":"OLD","isDeprecated":true,"deprecationReason":"Gone"}
            ]
        }}}"#,
    );

    let query_type = g
        .query(
            r#"{ secret: __type(name: "Secret") { name } query: __type(name: "Query") { fields { name args { name } } } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &query_type,
        r#"{"data":{
            "secret":null,
            "query":{"fields":[
                {"name":"product","args":[{"name":"upc"}]},
                {"name":"byKind","args":[{"name":"kind"}]}
            ]}
        }}"#,
    );

    let schema = value(
        &g.query(
            "{ __schema { types { name } directives { name } } }",
            json!({}),
        )
        .await,
    );
    let names: Vec<&str> = schema["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for absent in [
        "Secret",
        "_Any",
        "_Entity",
        "_Service",
        "join__Graph",
        "link__Purpose",
        "join__FieldSet",
    ] {
        assert!(!names.contains(&absent), "{absent} in {names:?}");
    }
    for present in ["Query", "Product", "Kind", "String", "__Schema"] {
        assert!(names.contains(&present), "{present} not in {names:?}");
    }
    let directives: Vec<&str> = schema["data"]["__schema"]["directives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(
        directives
            .iter()
            .all(|d| ["skip", "include", "deprecated", "specifiedBy", "oneOf"].contains(d)),
        "{directives:?}"
    );
    assert!(
        g.request_counts().is_empty(),
        "introspection reaches no subgraph"
    );
}

#[tokio::test]
async fn introspection_and_data_mix_in_request_order() {
    let g = showcase().await;
    let response = g
        .query(
            r#"{ __typename product(upc: "1") { name title stock } __type(name: "Kind") { name } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"__typename":"Query","product":{"name":"Chess","title":"Chess","stock":7},"__type":{"name":"Kind"}}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("showcase", 1), ("stock", 1)]));

    // Introspection through a fragment on the root type, with a variable, and __typename inside.
    let spread = g
        .query(
            r#"query($name: String!) { ...Intro product(upc: "1") { upc } }
            fragment Intro on Query { __schema { __typename queryType { name } } __type(name: $name) { name kind } }"#,
            json!({ "name": "Product" }),
        )
        .await;
    assert_json(
        &spread,
        r#"{"data":{"__schema":{"__typename":"__Schema","queryType":{"name":"Query"}},"__type":{"name":"Product","kind":"OBJECT"},"product":{"upc":"1"}}}"#,
    );
}

#[tokio::test]
async fn an_inaccessible_enum_value_from_a_subgraph_is_an_invalid_value() {
    let supergraph = compose(&[("showcase", SHOWCASE), ("stock", STOCK)]);
    let g = Gateway::start(
        &supergraph,
        vec![(
            "showcase",
            Dataset::default().root(
                "byKind",
                json!([
                    { "__typename": "Product", "upc": "1", "name": "Chess", "kind": "NEW" },
                    { "__typename": "Product", "upc": "2", "name": "Lego", "kind": "HIDDEN" }
                ]),
            ),
        )],
    )
    .await;
    let response = g.query("{ byKind { name kind } }", json!({})).await;
    // kind is non-null, the list items too: the list (non-null) and data go.
    assert_json(
        &response,
        r#"{"data":null,"errors":[{"message":"<any>","path":["byKind",1,"kind"],"extensions":{"code":"INVALID_RESPONSE_VALUE"}}]}"#,
    );
}

#[tokio::test]
async fn inaccessible_elements_are_rejected_in_operations() {
    let g = showcase().await;
    for (query, line, column) in [
        ("{ product(upc: \"1\") {\n  cost } }", 2, 3),
        ("{\n  secret { code } }", 2, 3),
        ("{ product(upc: \"1\", legacyId: 3) { name } }", 1, 21),
        ("{ byKind(kind: HIDDEN) { name } }", 1, 16),
    ] {
        let response = g.query(query, json!({})).await;
        let parsed = value(&response);
        assert!(parsed.get("data").is_none(), "{query}: {parsed:#}");
        let errors = parsed["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{query}: {parsed:#}");
        assert_eq!(errors[0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
        assert_eq!(
            errors[0]["locations"],
            json!([{ "line": line, "column": column }]),
            "{query}: {parsed:#}"
        );
    }
    // This schema has no mutation type.
    let mutation = value(&g.query("mutation {\n  byKind { name } }", json!({})).await);
    assert!(mutation.get("data").is_none(), "{mutation:#}");
    assert_eq!(
        mutation["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert!(
        mutation["errors"][0]["locations"]
            .as_array()
            .is_some_and(|l| !l.is_empty()),
        "{mutation:#}"
    );

    let variable = g
        .query(
            "query($k: Kind) { byKind(kind: $k) { name } }",
            json!({ "k": "HIDDEN" }),
        )
        .await;
    assert_request_error(&variable, "BAD_USER_INPUT", &["k"]);
    assert!(g.request_counts().is_empty());
}

// ----- validation -----

#[tokio::test]
async fn validation_errors_carry_locations() {
    let g = gateway().await;
    // Per error, its (line, column) locations.
    type Locations = Vec<Vec<(u64, u64)>>;
    let cases: Vec<(&str, Locations)> = vec![
        // An unknown field, an unknown argument and a missing required argument: all reported.
        (
            "{\n  products {\n    nope\n    name(arg: 1)\n  }\n  product { name }\n}",
            vec![vec![(3, 5)], vec![(4, 10)], vec![(6, 3)]],
        ),
        // A fragment that can never apply.
        ("{ items {\n  ... on User { name } } }", vec![vec![(2, 3)]]),
        // An undefined variable.
        ("{ product(upc: $upc) { name } }", vec![vec![(1, 16)]]),
        // A variable of the wrong type for its position.
        (
            "query($upc: Int) { product(upc: $upc) { name } }",
            vec![vec![(1, 28)]],
        ),
        // A selection on a leaf; a composite field without one.
        ("{ me { name { first } } }", vec![vec![(1, 8)]]),
        ("{ me }", vec![vec![(1, 3)]]),
        // An unknown type in a fragment.
        ("{ me { ... on Robot { id } } }", vec![vec![(1, 15)]]),
        // An unused fragment.
        (
            "{ me { id } }\nfragment F on User { id }",
            vec![vec![(2, 1)]],
        ),
    ];
    for (query, expected) in cases {
        let response = g.query(query, json!({})).await;
        let parsed = value(&response);
        assert!(parsed.get("data").is_none(), "{query}: {parsed:#}");
        let errors = parsed["errors"].as_array().unwrap();
        let locations: Locations = errors
            .iter()
            .map(|e| {
                assert_eq!(
                    e["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
                    "{parsed:#}"
                );
                assert!(!e["message"].as_str().unwrap().is_empty());
                e["locations"]
                    .as_array()
                    .map(|ls| {
                        ls.iter()
                            .map(|l| (l["line"].as_u64().unwrap(), l["column"].as_u64().unwrap()))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(locations, expected, "{query}: {parsed:#}");
    }
    assert!(g.request_counts().is_empty());
}

#[tokio::test]
async fn an_anonymous_operation_must_be_alone_and_names_unique() {
    let g = gateway().await;
    for query in [
        "{ me { id } }\nquery Other { me { id } }",
        "query A { me { id } }\nquery A { me { name } }",
    ] {
        let response = g.query(query, json!({})).await;
        assert_request_error(&response, "GRAPHQL_VALIDATION_FAILED", &[]);
        let parsed = value(&response);
        assert!(
            parsed["errors"][0]["locations"]
                .as_array()
                .is_some_and(|l| !l.is_empty()),
            "{parsed:#}"
        );
    }
    assert!(g.request_counts().is_empty());
}
