//! `@external` + `@provides` (provided fields need no fetch, on objects, nested, on interfaces and
//! unions; fields beyond them are fetched) and `@requires` (nested selections, chains, fields with
//! arguments on both sides, fragments on abstract types, fields of interface implementations).

use serde_json::{Value, json};

use super::{Gateway, assert_json, compose, counts, fields, paths};
use crate::support::Dataset;

// ----- @provides -----

const ACCOUNTS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Query {
  users: [User!]!
}

type User @key(fields: "id") {
  id: ID!
  name: String!
  username: String! @shareable
}
"#;

const REVIEWS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@provides"])

type Query {
  reviews: [Review!]!
  reviewers: [User!]!
}

type Review @key(fields: "id") {
  id: ID!
  body: String!
  author: User! @provides(fields: "username")
  product: Product @provides(fields: "name vendor { name }")
  media: Media @provides(fields: "... on Book { title } ... on Movie { title }")
  attachment: Attachment @provides(fields: "... on Photo { url }")
}

type User @key(fields: "id") {
  id: ID!
  username: String! @external
}

type Product @key(fields: "upc") {
  upc: String!
  name: String! @external
  vendor: Vendor @external
}

type Vendor @key(fields: "id") {
  id: ID!
  name: String! @external
}

interface Media {
  id: ID!
  title: String!
}

type Book implements Media @key(fields: "id") {
  id: ID!
  title: String! @external
}

type Movie implements Media @key(fields: "id") {
  id: ID!
  title: String! @external
}

union Attachment = Photo | Video

type Photo @key(fields: "id") {
  id: ID!
  url: String! @external
}

type Video @key(fields: "id") {
  id: ID!
}
"#;

const CATALOG: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Product @key(fields: "upc") {
  upc: String!
  name: String! @shareable
  price: Int!
  vendor: Vendor @shareable
}

type Vendor @key(fields: "id") {
  id: ID!
  name: String! @shareable
  country: String!
}
"#;

const MEDIA: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

interface Media {
  id: ID!
  title: String!
}

type Book implements Media @key(fields: "id") {
  id: ID!
  title: String! @shareable
  pages: Int!
}

type Movie implements Media @key(fields: "id") {
  id: ID!
  title: String! @shareable
  minutes: Int!
}
"#;

const PHOTOS: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Photo @key(fields: "id") {
  id: ID!
  url: String! @shareable
  width: Int!
}

type Video @key(fields: "id") {
  id: ID!
  url: String!
  seconds: Int!
}
"#;

fn provides_supergraph() -> String {
    compose(&[
        ("accounts", ACCOUNTS),
        ("catalog", CATALOG),
        ("media", MEDIA),
        ("photos", PHOTOS),
        ("reviews", REVIEWS),
    ])
}

fn provides_data() -> Vec<(&'static str, Dataset)> {
    let user = |id: &str, name: &str, username: &str| json!({ "__typename": "User", "id": id, "name": name, "username": username });
    // What reviews knows: the provided fields, and nothing else (no url for videos).
    let reviews = json!([
        { "__typename": "Review", "id": "r1", "body": "Love it",
          "author": { "__typename": "User", "id": "u1", "username": "ada" },
          "product": { "__typename": "Product", "upc": "1", "name": "Chess",
                       "vendor": { "__typename": "Vendor", "id": "v1", "name": "Acme" } },
          "media": { "__typename": "Book", "id": "b1", "title": "Dune" },
          "attachment": { "__typename": "Photo", "id": "ph1", "url": "/p1.jpg" } },
        { "__typename": "Review", "id": "r2", "body": "Meh",
          "author": { "__typename": "User", "id": "u2", "username": "alan" },
          "product": { "__typename": "Product", "upc": "2", "name": "Lego",
                       "vendor": { "__typename": "Vendor", "id": "v2", "name": "Globex" } },
          "media": { "__typename": "Movie", "id": "m1", "title": "Alien" },
          "attachment": { "__typename": "Video", "id": "vd1" } }
    ]);
    vec![
        (
            "accounts",
            Dataset::default().entities(
                "User",
                vec!["id"],
                vec![user("u1", "Ada", "ada"), user("u2", "Alan", "alan")],
            ),
        ),
        (
            "reviews",
            Dataset::default()
                .root("reviews", reviews)
                .root(
                    "reviewers",
                    json!([{ "__typename": "User", "id": "u2" }]),
                )
                .possible("Media", &["Book", "Movie"]),
        ),
        (
            "catalog",
            Dataset::default()
                .entities(
                    "Product",
                    vec!["upc"],
                    vec![
                        json!({ "__typename": "Product", "upc": "1", "name": "Chess", "price": 30,
                                "vendor": { "__typename": "Vendor", "id": "v1" } }),
                        json!({ "__typename": "Product", "upc": "2", "name": "Lego", "price": 60,
                                "vendor": { "__typename": "Vendor", "id": "v2" } }),
                    ],
                )
                .entities(
                    "Vendor",
                    vec!["id"],
                    vec![
                        json!({ "__typename": "Vendor", "id": "v1", "name": "Acme", "country": "FR" }),
                        json!({ "__typename": "Vendor", "id": "v2", "name": "Globex", "country": "US" }),
                    ],
                ),
        ),
        (
            "media",
            Dataset::default()
                .entities(
                    "Book",
                    vec!["id"],
                    vec![json!({ "__typename": "Book", "id": "b1", "title": "Dune", "pages": 412 })],
                )
                .entities(
                    "Movie",
                    vec!["id"],
                    vec![json!({ "__typename": "Movie", "id": "m1", "title": "Alien", "minutes": 117 })],
                )
                .possible("Media", &["Book", "Movie"]),
        ),
        (
            "photos",
            Dataset::default()
                .entities(
                    "Photo",
                    vec!["id"],
                    vec![json!({ "__typename": "Photo", "id": "ph1", "url": "/p1.jpg", "width": 640 })],
                )
                .entities(
                    "Video",
                    vec!["id"],
                    vec![json!({ "__typename": "Video", "id": "vd1", "url": "/v1.mp4", "seconds": 30 })],
                ),
        ),
    ]
}

#[tokio::test]
async fn provided_fields_need_no_fetch_on_objects_nested_interfaces_and_unions() {
    let g = Gateway::start(&provides_supergraph(), provides_data()).await;
    let response = g
        .query(
            r#"{ reviews {
                body
                author { username }
                product { name vendor { name } }
                media { title }
                attachment { ... on Photo { url } ... on Video { url } }
            } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"reviews":[
            {"body":"Love it","author":{"username":"ada"},"product":{"name":"Chess","vendor":{"name":"Acme"}},
             "media":{"title":"Dune"},"attachment":{"url":"/p1.jpg"}},
            {"body":"Meh","author":{"username":"alan"},"product":{"name":"Lego","vendor":{"name":"Globex"}},
             "media":{"title":"Alien"},"attachment":{"url":"/v1.mp4"}}
        ]}}"#,
    );
    // Only the video's url is not provided.
    assert_eq!(g.request_counts(), counts(&[("photos", 1), ("reviews", 1)]));
    assert_eq!(
        g.received("photos")[0].representations(),
        &json!([{ "__typename": "Video", "id": "vd1" }])
    );
    assert_eq!(
        fields(&g.received("photos")[0]),
        paths(&["_entities", "_entities.…Video.url"])
    );
}

#[tokio::test]
async fn fields_beyond_the_provided_ones_are_fetched() {
    let g = Gateway::start(&provides_supergraph(), provides_data()).await;
    let response = g
        .query(
            r#"{ reviews {
                author { username name }
                media { ... on Book { title pages } ... on Movie { minutes } }
                attachment { ... on Photo { url width } }
            } }"#,
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"reviews":[
            {"author":{"username":"ada","name":"Ada"},"media":{"title":"Dune","pages":412},"attachment":{"url":"/p1.jpg","width":640}},
            {"author":{"username":"alan","name":"Alan"},"media":{"minutes":117},"attachment":{}}
        ]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("accounts", 1), ("media", 1), ("photos", 1), ("reviews", 1)])
    );
    assert_eq!(
        g.received("accounts")[0].representations(),
        &json!([{ "__typename": "User", "id": "u1" }, { "__typename": "User", "id": "u2" }])
    );
    // Both media types in one request to the subgraph that owns them.
    assert_eq!(
        g.received("media")[0].representations(),
        &json!([{ "__typename": "Book", "id": "b1" }, { "__typename": "Movie", "id": "m1" }])
    );
    assert_eq!(
        g.received("photos")[0].representations(),
        &json!([{ "__typename": "Photo", "id": "ph1" }])
    );
}

#[tokio::test]
async fn without_provides_on_the_path_external_fields_are_fetched() {
    let g = Gateway::start(&provides_supergraph(), provides_data()).await;
    let response = g
        .query(
            "{ reviewers { username } reviews { product { price vendor { country } } } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "reviewers":[{"username":"alan"}],
            "reviews":[{"product":{"price":30,"vendor":{"country":"FR"}}},{"product":{"price":60,"vendor":{"country":"US"}}}]
        }}"#,
    );
    assert_eq!(g.received("reviews").len(), 1);
    assert_eq!(
        g.received("accounts")[0].representations(),
        &json!([{ "__typename": "User", "id": "u2" }])
    );
    let catalog = g.received("catalog");
    assert!(
        !catalog.is_empty() && catalog.len() <= 2,
        "{}",
        catalog.len()
    );
}

// ----- @requires -----

const SHOP: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable"])

type Query {
  products: [Product!]!
  media: [Media!]!
  shelves: [Shelf!]!
}

type Product @key(fields: "upc") {
  upc: String!
  name: String!
  price(currency: String = "EUR"): Int!
  weight: Int!
  dimensions: Dimensions!
}

type Dimensions @shareable {
  width: Int!
  height: Int!
  depth: Int!
}

interface Media {
  id: ID!
  title: String!
}

type Book implements Media @key(fields: "id") {
  id: ID!
  title: String!
  weight: Int!
}

type Movie implements Media @key(fields: "id") {
  id: ID!
  title: String!
  size: Int!
}

type Shelf @key(fields: "id") {
  id: ID!
  items: [Media!]!
}
"#;

const INVENTORY: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@requires", "@shareable"])

type Product @key(fields: "upc") {
  upc: String!
  weight: Int! @external
  dimensions: Dimensions! @external
  price(currency: String = "EUR"): Int! @external
  shippingEstimate: Int! @requires(fields: "weight")
  volume: Int! @requires(fields: "dimensions { width height depth }")
  insurance(level: Int!): Int! @requires(fields: "price(currency: \"USD\")")
}

type Dimensions @shareable {
  width: Int!
  height: Int!
  depth: Int!
}
"#;

const SHIPPING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@external", "@requires"])

type Product @key(fields: "upc") {
  upc: String!
  shippingEstimate: Int! @external
  deliveryDays: Int! @requires(fields: "shippingEstimate")
}

interface Media {
  id: ID!
  shipping: Int!
}

type Book implements Media @key(fields: "id") {
  id: ID!
  weight: Int! @external
  shipping: Int! @requires(fields: "weight")
}

type Movie implements Media @key(fields: "id") {
  id: ID!
  size: Int! @external
  shipping: Int! @requires(fields: "size")
}

type Shelf @key(fields: "id") {
  id: ID!
  items: [Media!]! @external
  load: Int! @requires(fields: "items { ... on Book { weight } ... on Movie { size } }")
}
"#;

fn requires_supergraph() -> String {
    compose(&[
        ("inventory", INVENTORY),
        ("shipping", SHIPPING),
        ("shop", SHOP),
    ])
}

fn requires_data() -> Vec<(&'static str, Dataset)> {
    let product = |upc: &str, name: &str, base: i64, weight: i64, side: i64| {
        json!({ "__typename": "Product", "upc": upc, "name": name, "base": base, "weight": weight,
                "dimensions": { "width": side, "height": side, "depth": 2 } })
    };
    let products = vec![
        product("1", "Chess", 30, 2, 3),
        product("2", "Lego", 60, 5, 10),
    ];
    let book = json!({ "__typename": "Book", "id": "b1", "title": "Dune", "weight": 2 });
    let movie = json!({ "__typename": "Movie", "id": "m1", "title": "Alien", "size": 5 });
    let int = |v: &Value, field: &str| v[field].as_i64().ok_or(format!("{field} missing"));
    vec![
        (
            "shop",
            Dataset::default()
                .root("products", Value::Array(products.clone()))
                .entities("Product", vec!["upc"], products)
                .root("media", json!([book, movie]))
                .entities("Book", vec!["id"], vec![book.clone()])
                .entities("Movie", vec!["id"], vec![movie.clone()])
                .root(
                    "shelves",
                    json!([{ "__typename": "Shelf", "id": "s1", "items": [book, movie] }]),
                )
                .possible("Media", &["Book", "Movie"])
                .resolver("Product", "price", |product, args| {
                    let base = product["base"].as_i64().unwrap();
                    match args
                        .get("currency")
                        .and_then(Value::as_str)
                        .unwrap_or("EUR")
                    {
                        "USD" => Ok(json!(base + base / 10)),
                        _ => Ok(json!(base)),
                    }
                }),
        ),
        (
            "inventory",
            Dataset::default()
                .entities(
                    "Product",
                    vec!["upc"],
                    vec![
                        json!({ "__typename": "Product", "upc": "1" }),
                        json!({ "__typename": "Product", "upc": "2" }),
                    ],
                )
                .resolver("Product", "shippingEstimate", move |rep, _| {
                    Ok(json!(int(rep, "weight")? * 10))
                })
                .resolver("Product", "volume", |rep, _| {
                    let d = &rep["dimensions"];
                    match (
                        d["width"].as_i64(),
                        d["height"].as_i64(),
                        d["depth"].as_i64(),
                    ) {
                        (Some(w), Some(h), Some(d)) => Ok(json!(w * h * d)),
                        _ => Err("dimensions missing".to_owned()),
                    }
                })
                .resolver("Product", "insurance", move |rep, args| {
                    Ok(json!(int(rep, "price")? * args["level"].as_i64().unwrap()))
                }),
        ),
        (
            "shipping",
            Dataset::default()
                .entities(
                    "Product",
                    vec!["upc"],
                    vec![
                        json!({ "__typename": "Product", "upc": "1" }),
                        json!({ "__typename": "Product", "upc": "2" }),
                    ],
                )
                .entities(
                    "Book",
                    vec!["id"],
                    vec![json!({ "__typename": "Book", "id": "b1" })],
                )
                .entities(
                    "Movie",
                    vec!["id"],
                    vec![json!({ "__typename": "Movie", "id": "m1" })],
                )
                .entities(
                    "Shelf",
                    vec!["id"],
                    vec![json!({ "__typename": "Shelf", "id": "s1" })],
                )
                .possible("Media", &["Book", "Movie"])
                .resolver("Product", "deliveryDays", move |rep, _| {
                    Ok(json!(int(rep, "shippingEstimate")? / 10 + 1))
                })
                .resolver("Book", "shipping", move |rep, _| {
                    Ok(json!(int(rep, "weight")? * 100))
                })
                .resolver("Movie", "shipping", move |rep, _| {
                    Ok(json!(int(rep, "size")? * 1000))
                })
                .resolver("Shelf", "load", |rep, _| {
                    let items = rep["items"].as_array().ok_or("items missing")?;
                    let mut load = 0;
                    for item in items {
                        load += match item["__typename"].as_str() {
                            Some("Book") => item["weight"].as_i64().ok_or("weight missing")?,
                            Some("Movie") => item["size"].as_i64().ok_or("size missing")?,
                            _ => return Err(format!("no __typename in {item}")),
                        };
                    }
                    Ok(json!(load))
                }),
        ),
    ]
}

#[tokio::test]
async fn requires_with_nested_selections() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g.query("{ products { name volume } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"products":[{"name":"Chess","volume":18},{"name":"Lego","volume":200}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("inventory", 1), ("shop", 1)]));
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "dimensions": { "width": 3, "height": 3, "depth": 2 } },
            { "__typename": "Product", "upc": "2", "dimensions": { "width": 10, "height": 10, "depth": 2 } }
        ])
    );
}

#[tokio::test]
async fn chains_of_requires_run_in_order() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g.query("{ products { deliveryDays } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"products":[{"deliveryDays":3},{"deliveryDays":6}]}}"#,
    );
    assert_eq!(
        g.request_counts(),
        counts(&[("inventory", 1), ("shipping", 1), ("shop", 1)])
    );
    let inventory = &g.received("inventory")[0];
    let shipping = &g.received("shipping")[0];
    assert_eq!(
        inventory.representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "weight": 2 },
            { "__typename": "Product", "upc": "2", "weight": 5 }
        ])
    );
    assert_eq!(
        shipping.representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "shippingEstimate": 20 },
            { "__typename": "Product", "upc": "2", "shippingEstimate": 50 }
        ])
    );
    assert_eq!(inventory.completed_before, 1);
    assert_eq!(shipping.completed_before, 2);
}

#[tokio::test]
async fn required_fields_the_client_also_selects_appear_once_and_only_when_asked() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g
        .query(
            "{ products { shippingEstimate weight } more: products { shippingEstimate } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{
            "products":[{"shippingEstimate":20,"weight":2},{"shippingEstimate":50,"weight":5}],
            "more":[{"shippingEstimate":20},{"shippingEstimate":50}]
        }}"#,
    );
}

#[tokio::test]
async fn a_required_field_travels_even_when_the_client_uses_its_name_as_an_alias() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g
        .query(
            "{ products { weight: name shippingEstimate dimensions: upc volume } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"products":[
            {"weight":"Chess","shippingEstimate":20,"dimensions":"1","volume":18},
            {"weight":"Lego","shippingEstimate":50,"dimensions":"2","volume":200}
        ]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("inventory", 1), ("shop", 1)]));
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "weight": 2, "dimensions": { "width": 3, "height": 3, "depth": 2 } },
            { "__typename": "Product", "upc": "2", "weight": 5, "dimensions": { "width": 10, "height": 10, "depth": 2 } }
        ])
    );
}

#[tokio::test]
async fn a_required_field_the_client_skips_still_travels() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g
        .query(
            "query($no: Boolean = false) { products { weight @include(if: $no) shippingEstimate } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"products":[{"shippingEstimate":20},{"shippingEstimate":50}]}}"#,
    );
    assert_eq!(
        g.received("inventory")[0].representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "weight": 2 },
            { "__typename": "Product", "upc": "2", "weight": 5 }
        ])
    );
}

#[tokio::test]
async fn when_the_required_data_cannot_be_fetched_the_error_reaches_the_client() {
    let mut data = requires_data();
    let shop = data.iter().position(|(n, _)| *n == "shop").unwrap();
    data[shop].1 = std::mem::take(&mut data[shop].1).resolver("Product", "weight", |product, _| {
        if product["upc"] == "2" {
            return Err("weight of 2 unknown".to_owned());
        }
        Ok(product["weight"].clone())
    });
    let g = Gateway::start(&requires_supergraph(), data).await;
    let response = g
        .query("{ products { name shippingEstimate } }", json!({}))
        .await;
    let parsed = super::value(&response);
    // Product 2's estimate needs its weight: the product cannot be complete (shippingEstimate is
    // non-null, the list items too, the list as well), so data is null; the weight error is there.
    assert_eq!(parsed["data"], Value::Null, "{parsed:#}");
    let errors = parsed["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["message"] == "weight of 2 unknown"
                && e["extensions"]["serviceName"] == "shop"),
        "{parsed:#}"
    );
}

#[tokio::test]
async fn errors_of_required_fields_do_not_show_router_internal_names() {
    let mut data = requires_data();
    let shop = data.iter().position(|(n, _)| *n == "shop").unwrap();
    data[shop].1 = std::mem::take(&mut data[shop].1).resolver("Product", "weight", |product, _| {
        if product["upc"] == "2" {
            return Err("weight of 2 unknown".to_owned());
        }
        Ok(product["weight"].clone())
    });
    let g = Gateway::start(&requires_supergraph(), data).await;
    // The client's `weight` is another field; the required weight travels under another key.
    let response = super::value(
        &g.query("{ products { weight: name shippingEstimate } }", json!({}))
            .await,
    );
    // Product 2 has no estimate (non-null all the way up).
    assert_eq!(response["data"], Value::Null, "{response:#}");
    let errors = response["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["message"] == "weight of 2 unknown"),
        "{response:#}"
    );
    assert!(
        !response["errors"].to_string().contains("__sg"),
        "no internal alias in what the client sees: {response:#}"
    );
}

#[tokio::test]
async fn requires_of_fields_with_arguments() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    // The client's `price` (in EUR, the default) and the USD price `insurance` requires are
    // different values of one field: both must travel, neither may replace the other.
    let response = g
        .query(
            "{ products { price insurance(level: 2) usd: price(currency: \"USD\") } }",
            json!({}),
        )
        .await;
    assert_json(
        &response,
        r#"{"data":{"products":[
            {"price":30,"insurance":66,"usd":33},
            {"price":60,"insurance":132,"usd":66}
        ]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("inventory", 1), ("shop", 1)]));
    let inventory = &g.received("inventory")[0];
    assert_eq!(
        inventory.representations(),
        &json!([
            { "__typename": "Product", "upc": "1", "price": 33 },
            { "__typename": "Product", "upc": "2", "price": 66 }
        ])
    );
    assert_eq!(
        fields(inventory),
        paths(&["_entities", "_entities.…Product.insurance(level: 2)"])
    );
}

#[tokio::test]
async fn requires_with_fragments_on_abstract_types() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g.query("{ shelves { load } }", json!({})).await;
    assert_json(&response, r#"{"data":{"shelves":[{"load":7}]}}"#);
    assert_eq!(g.request_counts(), counts(&[("shipping", 1), ("shop", 1)]));
    assert_eq!(
        g.received("shipping")[0].representations(),
        &json!([{ "__typename": "Shelf", "id": "s1", "items": [
            { "__typename": "Book", "weight": 2 },
            { "__typename": "Movie", "size": 5 }
        ] }])
    );
}

#[tokio::test]
async fn requires_on_fields_of_interface_implementations() {
    let g = Gateway::start(&requires_supergraph(), requires_data()).await;
    let response = g.query("{ media { title shipping } }", json!({})).await;
    assert_json(
        &response,
        r#"{"data":{"media":[{"title":"Dune","shipping":200},{"title":"Alien","shipping":5000}]}}"#,
    );
    assert_eq!(g.request_counts(), counts(&[("shipping", 1), ("shop", 1)]));
    assert_eq!(
        g.received("shipping")[0].representations(),
        &json!([
            { "__typename": "Book", "id": "b1", "weight": 2 },
            { "__typename": "Movie", "id": "m1", "size": 5 }
        ])
    );
}

// ----- plans -----

#[test]
fn plan_for_a_chain_of_requires() {
    insta::assert_snapshot!(super::plan(
        &requires_supergraph(),
        "{ products { name deliveryDays volume } }"
    ));
}

#[test]
fn plan_for_requires_with_arguments_next_to_the_same_field() {
    insta::assert_snapshot!(super::plan(
        &requires_supergraph(),
        "{ products { price insurance(level: 2) weight: name shippingEstimate } }"
    ));
}

#[test]
fn plan_for_provides_on_objects_interfaces_and_unions() {
    insta::assert_snapshot!(super::plan(
        &provides_supergraph(),
        "{ reviews { author { username name } media { title } attachment { ... on Photo { url } ... on Video { url } } } }"
    ));
}
