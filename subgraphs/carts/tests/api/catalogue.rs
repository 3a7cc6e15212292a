//! The catalogue projection and what carts does with it: `addToCart` refuses products the catalogue never
//! announced (`NOT_FOUND`) and archived ones (`PRODUCT_UNAVAILABLE`) without asking products; a line whose
//! product was archived after it was added leaves the cart readable, shows `available: false` and is left
//! out of the subtotal; each event is applied once and an older event never rolls a product back; a
//! restarted consumer catches up with what it missed, and a new database rebuilds the projection from
//! the event stream's history.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use shopgraph_carts::catalogue::{CATALOGUE_GROUP_PREFIX, consumer_group};
use shopgraph_carts::entity::catalogue_product;
use shopgraph_events::processed::{self, entity as processed_entity};
use shopgraph_events::{
    DomainEvent, EventEnvelope, Money, ProductArchived, ProductCreated, ProductRestored,
    ProductUpdated, Shutdown,
};
use uuid::Uuid;

use super::{SUBTOTAL_QUERY, TestApp, add, add_mutation, codes, priced};

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn created(product_id: Uuid, amount: i64, at: DateTime<Utc>) -> ProductCreated {
    ProductCreated {
        product_id,
        sku: format!("SKU-{product_id}"),
        name: String::from("Product"),
        price: Money::new(amount, "USD"),
        archived: false,
        changed_at: at,
    }
}

impl TestApp {
    /// Publishes a catalogue `event` as products would; returns its envelope.
    pub async fn publish_catalogue(&self, event: impl Into<DomainEvent>) -> EventEnvelope {
        let envelope = EventEnvelope::new("products", &event.into(), None).unwrap();
        self.transport.publish(&envelope).await.unwrap();
        envelope
    }

    /// Waits until the catalogue consumer has processed `envelope`.
    pub async fn catalogued(&self, envelope: &EventEnvelope) {
        let group = consumer_group(&self.db).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !processed::is_processed(&self.db, &group, envelope.id)
            .await
            .unwrap()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the catalogue consumer"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Announces `product` (price 1000 USD) and waits until the projection knows it.
    pub async fn announce(&self, product: Uuid) {
        let known = catalogue_product::Entity::find_by_id(product)
            .one(&self.db)
            .await
            .unwrap();
        if known.is_none() {
            let envelope = self.publish_catalogue(created(product, 1000, now())).await;
            self.catalogued(&envelope).await;
        }
    }

    async fn projected(&self, product: Uuid) -> catalogue_product::Model {
        catalogue_product::Entity::find_by_id(product)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
    }
}

async fn try_add(app: &TestApp, token: &str, product: Uuid) -> Value {
    app.graphql(
        Some(token),
        &add_mutation(),
        json!({ "p": product, "q": 1 }),
    )
    .await
}

#[tokio::test]
async fn unknown_and_archived_products_cannot_be_added() {
    let app = TestApp::spawn().await;
    let token = app.token(Uuid::new_v4());

    let unknown = Uuid::new_v4();
    let body = try_add(&app, &token, unknown).await;
    assert_eq!(codes(&body), ["NOT_FOUND"], "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&unknown.to_string())
    );

    let product = Uuid::new_v4();
    app.announce(product).await;
    let archived = app
        .publish_catalogue(ProductArchived {
            product_id: product,
            changed_at: now(),
        })
        .await;
    app.catalogued(&archived).await;
    let body = try_add(&app, &token, product).await;
    assert_eq!(codes(&body), ["PRODUCT_UNAVAILABLE"], "{body}");

    let restored = app
        .publish_catalogue(ProductRestored {
            product_id: product,
            price: Money::new(1500, "USD"),
            changed_at: now(),
        })
        .await;
    app.catalogued(&restored).await;
    let body = try_add(&app, &token, product).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(app.projected(product).await.price_amount, Some(1500));
}

#[tokio::test]
async fn a_line_archived_after_it_was_added_leaves_the_cart_readable() {
    let app = TestApp::spawn().await;
    let user = Uuid::new_v4();
    let token = app.token(user);
    let (kept, retired) = (Uuid::new_v4(), Uuid::new_v4());
    add(&app, &token, kept, 2).await;
    let cart = add(&app, &token, retired, 3).await;
    let id = cart["id"].clone();

    let archived = app
        .publish_catalogue(ProductArchived {
            product_id: retired,
            changed_at: now(),
        })
        .await;
    app.catalogued(&archived).await;

    let data = app
        .ok(
            Some(&token),
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { hasUnavailableItems items { product { id } available quantity } } } } }",
            json!({ "r": [{ "__typename": "User", "id": user }] }),
        )
        .await;
    assert_eq!(
        data["_entities"][0]["cart"],
        json!({ "hasUnavailableItems": true, "items": [
            { "product": { "id": kept }, "available": true, "quantity": 2 },
            { "product": { "id": retired }, "available": false, "quantity": 3 },
        ] })
    );
    // The router supplies every line's price (an archived product still resolves); only the available
    // line counts, and a line products could not resolve at all (null) does not break the subtotal.
    for retired_price in [priced(999, "USD"), json!({ "product": null })] {
        let data = app
            .ok(
                Some(&token),
                SUBTOTAL_QUERY,
                json!({ "r": [{ "__typename": "Cart", "id": id, "items": [priced(250, "USD"), retired_price] }] }),
            )
            .await;
        assert_eq!(
            data["_entities"][0]["subtotal"],
            json!({ "amount": 500, "currency": "USD" })
        );
    }
    // The line can still be removed, and then nothing is unavailable.
    let data = app
        .ok(
            Some(&token),
            "mutation($p: ID!) { removeFromCart(productId: $p) { hasUnavailableItems items { available } } }",
            json!({ "p": retired }),
        )
        .await;
    assert_eq!(
        data["removeFromCart"],
        json!({ "hasUnavailableItems": false, "items": [{ "available": true }] })
    );
}

#[tokio::test]
async fn events_apply_once_and_never_roll_a_product_back() {
    let app = TestApp::spawn().await;
    let product = Uuid::new_v4();
    let t0 = now();
    let later = |seconds| t0 + chrono::Duration::seconds(seconds);
    let created = app.publish_catalogue(created(product, 1000, t0)).await;
    let archived = app
        .publish_catalogue(ProductArchived {
            product_id: product,
            changed_at: later(2),
        })
        .await;
    // Delivered again, and an update older than the archiving arriving after it.
    app.transport.publish(&created).await.unwrap();
    let stale = app
        .publish_catalogue(ProductUpdated {
            product_id: product,
            name: String::from("Old"),
            price: Money::new(700, "USD"),
            changed_at: later(1),
        })
        .await;
    let newer = app
        .publish_catalogue(ProductUpdated {
            product_id: product,
            name: String::from("New"),
            price: Money::new(1200, "USD"),
            changed_at: later(3),
        })
        .await;
    for envelope in [&created, &archived, &stale, &newer] {
        app.catalogued(envelope).await;
    }
    let row = app.projected(product).await;
    assert!(row.archived, "the stale update did not undo the archiving");
    assert_eq!(row.price_amount, Some(1200));
    assert_eq!(row.changed_at, later(3));
    let group = consumer_group(&app.db).await.unwrap();
    assert!(group.starts_with(CATALOGUE_GROUP_PREFIX), "{group}");
    let records = processed_entity::Entity::find()
        .filter(processed_entity::Column::ConsumerGroup.eq(group))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(records, 4, "each event recorded once");
}

#[tokio::test]
async fn a_restarted_consumer_catches_up_and_a_new_database_rebuilds_from_the_history() {
    let mut app = TestApp::spawn().await;
    let token = app.token(Uuid::new_v4());
    let (early, late) = (Uuid::new_v4(), Uuid::new_v4());
    app.announce(early).await;
    // The service stops; the catalogue goes on without it.
    app.stop_background().await;
    let archived = app
        .publish_catalogue(ProductArchived {
            product_id: early,
            changed_at: now(),
        })
        .await;
    let created = app.publish_catalogue(created(late, 300, now())).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !app.projected(early).await.archived,
        "nobody consumed while stopped"
    );

    let (_running, shutdown) = Shutdown::channel();
    let _tasks = shopgraph_carts::spawn_background(
        app.db.clone(),
        &app.config,
        Some(Arc::clone(&app.transport)),
        shutdown,
    );
    app.catalogued(&archived).await;
    app.catalogued(&created).await;
    assert_eq!(
        codes(&try_add(&app, &token, early).await),
        ["PRODUCT_UNAVAILABLE"]
    );
    let body = try_add(&app, &token, late).await;
    assert!(body.get("errors").is_none(), "{body}");

    // A carts database that starts empty over the same event stream joins as a group of its own and
    // learns the whole catalogue from the history.
    let fresh = TestApp::spawn_on(Arc::clone(&app.transport)).await;
    assert_ne!(
        consumer_group(&fresh.db).await.unwrap(),
        consumer_group(&app.db).await.unwrap()
    );
    fresh.catalogued(&created).await;
    assert!(fresh.projected(early).await.archived);
    assert_eq!(fresh.projected(late).await.price_amount, Some(300));
    let fresh_token = fresh.token(Uuid::new_v4());
    assert_eq!(
        codes(&try_add(&fresh, &fresh_token, early).await),
        ["PRODUCT_UNAVAILABLE"]
    );
}
