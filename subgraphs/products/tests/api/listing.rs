//! `products(first:, after:, filter:, orderBy:)` and `categories`: keyset pagination over every ordering
//! (with ties), `totalCount`, each filter and combinations, literal and case-insensitive search, and the
//! refusal of bad cursors and page sizes.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Duration};
use serde_json::{Value, json};
use shopgraph_products::entity::product::Model;

use crate::support::{Fixture, TestApp, error_code, spawn_app};

const ORDERS: [&str; 5] = ["NAME_ASC", "NAME_DESC", "PRICE_ASC", "PRICE_DESC", "NEWEST"];

const PAGE: &str =
    "query($first: Int!, $after: String, $filter: ProductFilter, $orderBy: ProductOrder!) {
    products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id name } }
        nodes { id }
    }
}";

/// 26 products with repeated names, prices and creation times, so every ordering has ties.
fn catalogue() -> Vec<Fixture> {
    const NAMES: [&str; 9] = [
        "Anchor Lamp",
        "Birch Stool",
        "Cedar Box",
        "Delta Kettle",
        "Ember Candle",
        "Fjord Mug",
        "Granite Bowl",
        "Harbor Rope",
        "Iris Vase",
    ];
    const PRICES: [i64; 6] = [1500, 500, 2500, 1500, 0, 9900];
    const CATEGORIES: [&str; 3] = ["Garden", "Kitchen", "Tools"];
    let base = DateTime::from_timestamp_micros(1_750_000_000_000_000).unwrap();
    (0..26_usize)
        .map(|i| {
            let name = NAMES[(i * 4) % NAMES.len()];
            let stock = if i % 4 == 0 {
                0
            } else {
                i32::try_from(i).unwrap()
            };
            let mut fixture = Fixture::new(
                &format!("CAT-{i:02}"),
                name,
                PRICES[i % PRICES.len()],
                CATEGORIES[(i / 2) % CATEGORIES.len()],
                stock,
            );
            // Creation times in groups of three equal ones, with sub-second parts.
            fixture.created_at =
                base + Duration::microseconds(i64::try_from(i / 3).unwrap() * 1_234_567);
            if i % 5 == 0 {
                fixture = fixture.described("Hand-made in Birch county.");
            }
            fixture
        })
        .collect()
}

/// `rows` in `order` (ties broken by id, as the service promises).
fn sorted<'a>(rows: impl IntoIterator<Item = &'a Model>, order: &str) -> Vec<String> {
    let mut rows: Vec<&Model> = rows.into_iter().collect();
    rows.sort_by(|a, b| -> Ordering {
        match order {
            "NAME_ASC" => (&a.name, a.id).cmp(&(&b.name, b.id)),
            "NAME_DESC" => (&b.name, b.id).cmp(&(&a.name, a.id)),
            "PRICE_ASC" => (a.price_amount, a.id).cmp(&(b.price_amount, b.id)),
            "PRICE_DESC" => (b.price_amount, b.id).cmp(&(a.price_amount, a.id)),
            "NEWEST" => (b.created_at, b.id).cmp(&(a.created_at, a.id)),
            other => panic!("unknown order {other}"),
        }
    });
    rows.into_iter().map(|row| row.id.to_string()).collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every product of the listing, page by page, checking each page's shape on the way; returns the ids
/// in listing order and the `totalCount` (the same on every page).
async fn walk(app: &TestApp, order: &str, first: usize, filter: &Value) -> (Vec<String>, i64) {
    let mut all = Vec::new();
    let mut after = Value::Null;
    let mut total = None;
    loop {
        let variables =
            json!({ "first": first, "after": after, "filter": filter, "orderBy": order });
        let products = app.query(PAGE, variables).await["products"].clone();
        let page_total = products["totalCount"].as_i64().unwrap();
        assert_eq!(*total.get_or_insert(page_total), page_total);
        let edges = products["edges"].as_array().unwrap();
        let edge_ids: Vec<String> = edges
            .iter()
            .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            edge_ids,
            ids(&products["nodes"]),
            "nodes are the edges' nodes"
        );
        assert!(edges.len() <= first);
        let info = &products["pageInfo"];
        assert_eq!(info["hasPreviousPage"], !after.is_null(), "{order} {first}");
        assert_eq!(
            info["startCursor"],
            edges.first().map_or(Value::Null, |e| e["cursor"].clone())
        );
        assert_eq!(
            info["endCursor"],
            edges.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        all.extend(edge_ids);
        if info["hasNextPage"] == false {
            break;
        }
        assert_eq!(edges.len(), first, "only the last page may be short");
        after = info["endCursor"].clone();
        assert!(all.len() <= 1000, "runaway pagination");
    }
    (all, total.unwrap_or_default())
}

#[tokio::test]
async fn pagination_walks_every_order_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let rows = app.insert(&catalogue()).await;
    for order in ORDERS {
        let expected = sorted(&rows, order);
        for first in [1, 4, 7, 26, 100] {
            let (walked, total) = walk(&app, order, first, &Value::Null).await;
            assert_eq!(walked, expected, "orderBy {order}, first {first}");
            assert_eq!(total, 26);
        }
    }
}

#[tokio::test]
async fn defaults_are_twenty_by_name() {
    let app = spawn_app().await;
    let rows = app.insert(&catalogue()).await;
    let products = app
        .query(
            "{ products { totalCount nodes { id } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await["products"]
        .clone();
    assert_eq!(
        ids(&products["nodes"]),
        sorted(&rows, "NAME_ASC")[..20].to_vec()
    );
    assert_eq!(products["totalCount"], 26);
    assert_eq!(products["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn products_added_before_the_cursor_do_not_shift_later_pages() {
    let app = spawn_app().await;
    let rows = app.insert(&catalogue()).await;
    let first_page = app
        .query(PAGE, json!({ "first": 10, "orderBy": "NAME_ASC" }))
        .await["products"]
        .clone();
    let cursor = first_page["pageInfo"]["endCursor"].clone();
    // Sorts before everything already listed.
    app.insert(&[Fixture::new("NEW-FIRST", "Aardvark Plush", 100, "Toys", 1)])
        .await;
    let rest = app
        .query(
            PAGE,
            json!({ "first": 100, "after": cursor, "orderBy": "NAME_ASC" }),
        )
        .await["products"]
        .clone();
    assert_eq!(
        ids(&rest["nodes"]),
        sorted(&rows, "NAME_ASC")[10..].to_vec()
    );
    assert_eq!(rest["totalCount"], 27);
}

#[tokio::test]
async fn filters_and_their_combinations_select_the_right_products() {
    let app = spawn_app().await;
    let rows = app.insert(&catalogue()).await;
    let contains = |row: &Model, text: &str| {
        row.name.to_lowercase().contains(text) || row.description.to_lowercase().contains(text)
    };
    type Keep = Box<dyn Fn(&Model) -> bool>;
    let cases: Vec<(Value, Keep)> = vec![
        (
            json!({ "category": "Kitchen" }),
            Box::new(|r| r.category == "Kitchen"),
        ),
        (
            json!({ "minPrice": 1500 }),
            Box::new(|r| r.price_amount >= 1500),
        ),
        (
            json!({ "maxPrice": 1500 }),
            Box::new(|r| r.price_amount <= 1500),
        ),
        (
            json!({ "minPrice": 500, "maxPrice": 1500 }),
            Box::new(|r| (500..=1500).contains(&r.price_amount)),
        ),
        (json!({ "inStock": true }), Box::new(|r| r.stock > 0)),
        (json!({ "inStock": false }), Box::new(|r| r.stock == 0)),
        (
            json!({ "search": "birch" }),
            Box::new(move |r| contains(r, "birch")),
        ),
        (
            json!({ "search": "  BIRCH st " }),
            Box::new(move |r| contains(r, "birch st")),
        ),
        (
            json!({ "category": "Tools", "inStock": true }),
            Box::new(|r| r.category == "Tools" && r.stock > 0),
        ),
        (
            json!({ "search": "birch", "category": "Garden", "maxPrice": 2500, "inStock": true }),
            Box::new(move |r| {
                contains(r, "birch")
                    && r.category == "Garden"
                    && r.price_amount <= 2500
                    && r.stock > 0
            }),
        ),
        (json!({ "category": "garden" }), Box::new(|_| false)),
        (json!({ "search": "" }), Box::new(|_| true)),
    ];
    for (filter, keep) in cases {
        let matching: Vec<&Model> = rows.iter().filter(|row| keep(row)).collect();
        for (order, first) in [("NAME_ASC", 3), ("PRICE_DESC", 5), ("NEWEST", 100)] {
            let (walked, total) = walk(&app, order, first, &filter).await;
            assert_eq!(
                walked,
                sorted(matching.iter().copied(), order),
                "{filter} {order}"
            );
            assert_eq!(total, i64::try_from(matching.len()).unwrap(), "{filter}");
        }
    }
}

#[tokio::test]
async fn search_takes_wildcards_literally_and_ignores_case() {
    let app = spawn_app().await;
    app.insert(&[
        Fixture::new("S-1", "100% Cotton Tee", 1500, "Apparel", 3)
            .described("Soft and breathable."),
        Fixture::new("S-2", "Cotton Candy Machine", 4900, "Kitchen", 2)
            .described("Makes 100 cones an hour."),
        Fixture::new("S-3", "snake_case Mug", 1200, "Kitchen", 8).described("For programmers."),
        Fixture::new("S-4", "Snake-case Poster", 900, "Decor", 1).described("Wall art."),
        Fixture::new("S-5", "Discount Rack", 100, "Decor", 1)
            .described("Everything 50% OFF today."),
        Fixture::new("S-6", "Wow! Sparkler", 300, "Party", 40).described("Bright."),
        Fixture::new("S-7", r"C:\Temp Sticker", 150, "Decor", 9).described("Nerd humour."),
        Fixture::new("S-8", "Plain Widget", 700, "Tools", 4).described("Nothing special."),
    ])
    .await;
    let cases: [(&str, &[&str]); 10] = [
        ("%", &["100% Cotton Tee", "Discount Rack"]),
        ("100%", &["100% Cotton Tee"]),
        ("50% off", &["Discount Rack"]),
        ("e_c", &["snake_case Mug"]),
        ("_", &["snake_case Mug"]),
        ("COTTON", &["100% Cotton Tee", "Cotton Candy Machine"]),
        ("sNaKe", &["Snake-case Poster", "snake_case Mug"]),
        ("w!", &["Wow! Sparkler"]),
        (r"\t", &[r"C:\Temp Sticker"]),
        ("PROGRAMMERS", &["snake_case Mug"]),
    ];
    for (search, expected) in cases {
        let products = app
            .query(
                PAGE,
                json!({ "first": 100, "orderBy": "NAME_ASC", "filter": { "search": search } }),
            )
            .await["products"]
            .clone();
        let names: Vec<&str> = products["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["name"].as_str().unwrap())
            .collect();
        let mut expected = expected.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "search {search:?}");
        assert_eq!(products["totalCount"], expected.len(), "search {search:?}");
    }
}

#[tokio::test]
async fn bad_cursors_page_sizes_and_price_ranges_are_refused() {
    let app = spawn_app().await;
    app.insert(&catalogue()).await;
    let first_page = app
        .query(PAGE, json!({ "first": 2, "orderBy": "PRICE_ASC" }))
        .await["products"]
        .clone();
    let price_cursor = first_page["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let bad_requests = [
        json!({ "first": 5, "after": "garbage!", "orderBy": "NAME_ASC" }),
        json!({ "first": 5, "after": "eyJhIjoxfQ", "orderBy": "NAME_ASC" }),
        json!({ "first": 5, "after": price_cursor, "orderBy": "NAME_ASC" }),
        json!({ "first": 5, "after": price_cursor, "orderBy": "PRICE_DESC" }),
        json!({ "first": -1, "orderBy": "NAME_ASC" }),
        json!({ "first": 101, "orderBy": "NAME_ASC" }),
        json!({ "first": 5, "orderBy": "NAME_ASC", "filter": { "minPrice": 10, "maxPrice": 9 } }),
    ];
    for variables in bad_requests {
        let response = app.graphql(PAGE, variables.clone(), None).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{variables}");
    }

    // The same cursor is fine with its own ordering.
    let next = app
        .query(
            PAGE,
            json!({ "first": 2, "after": price_cursor, "orderBy": "PRICE_ASC" }),
        )
        .await;
    assert_eq!(next["products"]["pageInfo"]["hasPreviousPage"], true);

    let empty = app
        .query(PAGE, json!({ "first": 0, "orderBy": "NEWEST" }))
        .await["products"]
        .clone();
    assert_eq!(empty["edges"], json!([]));
    assert_eq!(
        empty["pageInfo"],
        json!({ "hasNextPage": true, "hasPreviousPage": false, "startCursor": null, "endCursor": null })
    );
    assert_eq!(empty["totalCount"], 26);

    let nothing = app
        .query(
            PAGE,
            json!({ "first": 5, "orderBy": "NAME_ASC", "filter": { "category": "None" } }),
        )
        .await["products"]
        .clone();
    assert_eq!(nothing["totalCount"], 0);
    assert_eq!(nothing["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn categories_are_distinct_and_sorted() {
    let app = spawn_app().await;
    assert_eq!(
        app.query("{ categories }", json!({})).await["categories"],
        json!([])
    );
    let rows = app.insert(&catalogue()).await;
    let categories = app.query("{ categories }", json!({})).await["categories"].clone();
    let mut expected: Vec<String> = rows
        .iter()
        .map(|row| row.category.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    expected.sort();
    assert_eq!(categories, json!(expected));
    assert_eq!(categories, json!(["Garden", "Kitchen", "Tools"]));
}
