//! The checkout saga end to end through the router: a customer registers, fills the cart and checks out
//! with a card that works; the order goes PENDING → PAYMENT_PENDING → CONFIRMED, the customer gets the
//! welcome and the confirmation (stored, and written as `.eml` files), the ordered items leave the cart
//! while an item added after checkout stays, and the product's stock went down by what was ordered.

use serde_json::json;

use crate::support::{Backend, Platform, eventually, text};

async fn confirmed_checkout(backend: Backend) {
    let platform = Platform::start(&backend).await;
    let mug = platform.product("Checkout Mug", 1250, 10).await;
    let poster = platform.product("Checkout Poster", 900, 4).await;
    let ada = platform.customer("Ada Lovelace").await;

    ada.add_to_cart(&mug, 2).await;
    let order = ada.checkout("tok_visa").await;
    let order_id = text(&order["id"]);
    assert_eq!(order["status"], "PENDING", "{order:#}");
    assert_eq!(order["total"], json!({ "amount": 2500, "currency": "USD" }));
    assert_eq!(
        order["lines"],
        json!([{ "product": { "id": mug }, "quantity": 2 }])
    );
    // Added after checkout: not part of the order, so it must stay in the cart.
    ada.add_to_cart(&poster, 1).await;

    let (status, history) = ada.wait_for_final(&order_id).await;
    assert_eq!(status, "CONFIRMED", "history: {history:#?}");
    let statuses: Vec<&str> = history
        .iter()
        .map(|line| line.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["PENDING", "PAYMENT_PENDING", "CONFIRMED"]);
    let payment = ada
        .client
        .data(
            "query($id: ID!) { order(id: $id) { payment { status reference } } }",
            json!({ "id": order_id }),
        )
        .await;
    assert_eq!(payment["order"]["payment"]["status"], "PAID");
    assert!(
        text(&payment["order"]["payment"]["reference"]).starts_with("sim_ch_"),
        "{payment:#}"
    );

    // The welcome and the confirmation, once each; the confirmation names the order.
    let notifications = ada
        .wait_for_notifications(&["WELCOME", "ORDER_CONFIRMED"])
        .await;
    assert_eq!(notifications.len(), 2, "{notifications:#?}");
    let subjects = ada
        .client
        .data("{ me { notifications { nodes { subject } } } }", json!({}))
        .await;
    let subjects: Vec<String> = subjects["me"]["notifications"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| text(&n["subject"]))
        .collect();
    assert_eq!(
        subjects,
        [
            "Your shopgraph order is confirmed",
            "Welcome to shopgraph, Ada Lovelace!"
        ]
    );
    let (_, _, body) = notifications
        .iter()
        .find(|(kind, _, _)| kind == "ORDER_CONFIRMED")
        .expect("confirmation");
    assert!(body.contains(&order_id), "{body}");

    // The ordered mugs left the cart; the poster added after checkout is still there.
    eventually("the ordered items to leave the cart", || async {
        let cart = ada.cart().await;
        if cart == [(poster.clone(), 1)] {
            Ok(())
        } else {
            Err(format!("the cart holds {cart:?}"))
        }
    })
    .await;

    // The mugs are sold: stock went from 10 to 8 and stays there; the poster's is untouched.
    assert_eq!(platform.stock(&mug).await, 8);
    assert_eq!(platform.stock(&poster).await, 4);

    // Both emails were written as files to the stack's mail directory, addressed to Ada (beside the
    // demo accounts' welcome mails).
    let emails = eventually("Ada's two .eml files", || async {
        let emails: Vec<String> = platform
            .emails()
            .into_iter()
            .filter(|eml| eml.contains(&format!("<{}>", ada.email)))
            .collect();
        if emails.len() == 2 {
            Ok(emails)
        } else {
            Err(format!(
                "{} of Ada's emails in {}",
                emails.len(),
                platform.stack.mail_dir.display()
            ))
        }
    })
    .await;
    for subject in [
        "Your shopgraph order is confirmed",
        "Welcome to shopgraph, Ada Lovelace!",
    ] {
        assert!(
            emails
                .iter()
                .any(|eml| eml.contains(&format!("Subject: {subject}"))),
            "no email {subject:?} to {}: {emails:#?}",
            ada.email
        );
    }
    assert!(platform.stack.mail_dir.starts_with(&platform.dir));
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_checkout_on_sqlite() {
    confirmed_checkout(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_checkout_on_postgres_and_redis() {
    if let Some(backend) = Backend::postgres_from_env("a_confirmed_checkout") {
        confirmed_checkout(backend).await;
    }
}
