//! The GraphQL API: `User.notifications` (pagination, `unreadOnly`, counts, who may read them) and
//! `markNotificationRead` (owner only, idempotent, NOT_FOUND for other people's ids).

use std::sync::Arc;

use serde_json::{Value, json};
use shopgraph_events::{InProcessBus, OrderFailed, SharedTransport, UserRegistered};
use uuid::Uuid;

use crate::support::*;
use crate::{assert_no_errors, error_code};

const NOTIFICATIONS: &str = "query($id: ID!, $first: Int, $after: String, $unreadOnly: Boolean) {
    _entities(representations: [{ __typename: \"User\", id: $id }]) {
        ... on User {
            id
            notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
                edges { cursor node { id kind channel subject body status readAt createdAt } }
                nodes { id }
                pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                totalCount
                unreadCount
            }
        }
    }
}";

const MARK_READ: &str = "mutation($id: ID!) {
    markNotificationRead(id: $id) { id kind status readAt }
}";

/// A user with a welcome and `orders` order-failed notifications, all sent; returns the user id.
async fn user_with_notifications(app: &TestApp, bus: &SharedTransport, orders: usize) -> Uuid {
    let user = Uuid::now_v7();
    publish(
        bus,
        "users",
        UserRegistered {
            user_id: user,
            email: format!("{}@example.com", user.simple()),
            name: "Reader".into(),
        },
    )
    .await;
    for index in 0..orders {
        publish(
            bus,
            "orders",
            OrderFailed {
                order_id: Uuid::now_v7(),
                user_id: user,
                reason: format!("reason {index}"),
            },
        )
        .await;
    }
    app.wait_for_notifications(user, orders + 1, "SENT").await;
    user
}

async fn notifications(app: &TestApp, user: Uuid, variables: Value, token: Option<&str>) -> Value {
    let mut variables = variables;
    variables["id"] = json!(user.to_string());
    app.graphql(NOTIFICATIONS, variables, token).await
}

fn connection(response: &Value) -> &Value {
    assert_no_errors(response);
    &response["data"]["_entities"][0]["notifications"]
}

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn notifications_page_newest_first_with_cursors_and_counts() {
    let app = spawn_app().await;
    let bus: SharedTransport = Arc::new(InProcessBus::new());
    let _running = app.start_with_files(bus.clone());
    let user = user_with_notifications(&app, &bus, 4).await;
    let token = app.token(user);
    let stored = app.notifications_of(user).await;
    let newest_first: Vec<String> = stored.iter().rev().map(|row| row.id.to_string()).collect();

    let first = notifications(&app, user, json!({ "first": 2 }), Some(&token)).await;
    let page = connection(&first);
    assert_eq!(ids(page), newest_first[..2]);
    assert_eq!(page["nodes"][1]["id"], json!(newest_first[1]));
    assert_eq!(
        page["pageInfo"],
        json!({
            "hasNextPage": true,
            "hasPreviousPage": false,
            "startCursor": page["edges"][0]["cursor"],
            "endCursor": page["edges"][1]["cursor"],
        })
    );
    assert_eq!(page["totalCount"], 5);
    assert_eq!(page["unreadCount"], 5);
    let node = &page["edges"][0]["node"];
    assert_eq!(node["kind"], "ORDER_FAILED");
    assert_eq!(node["channel"], "EMAIL");
    assert_eq!(node["status"], "SENT");
    assert_eq!(
        node["subject"],
        "Your shopgraph order could not be completed"
    );
    assert!(node["body"].as_str().unwrap().contains("Reason: reason 3"));
    assert_eq!(node["readAt"], Value::Null);
    assert!(
        node["createdAt"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .is_ok()
    );

    let second = notifications(
        &app,
        user,
        json!({ "first": 2, "after": page["pageInfo"]["endCursor"] }),
        Some(&token),
    )
    .await;
    let second = connection(&second);
    assert_eq!(ids(second), newest_first[2..4]);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(second["pageInfo"]["hasNextPage"], true);

    let last = notifications(
        &app,
        user,
        json!({ "first": 2, "after": second["pageInfo"]["endCursor"] }),
        Some(&token),
    )
    .await;
    let last = connection(&last);
    assert_eq!(ids(last), newest_first[4..]);
    assert_eq!(last["edges"][0]["node"]["kind"], "WELCOME");
    assert_eq!(last["pageInfo"]["hasNextPage"], false);

    let default = notifications(&app, user, json!({}), Some(&token)).await;
    assert_eq!(
        ids(connection(&default)),
        newest_first,
        "first defaults to 20"
    );

    for (variables, what) in [
        (json!({ "first": 0 }), "first 0"),
        (json!({ "first": 101 }), "first 101"),
        (json!({ "after": "not a cursor" }), "garbage cursor"),
        (json!({ "after": "AAAA" }), "short cursor"),
    ] {
        let response = notifications(&app, user, variables, Some(&token)).await;
        assert_eq!(
            error_code(&response),
            "BAD_USER_INPUT",
            "{what}: {response}"
        );
    }
}

#[tokio::test]
async fn mark_read_sets_read_at_once_and_unread_only_leaves_read_ones_out() {
    let app = spawn_app().await;
    let bus: SharedTransport = Arc::new(InProcessBus::new());
    let _running = app.start_with_files(bus.clone());
    let user = user_with_notifications(&app, &bus, 2).await;
    let token = app.token(user);
    let stored = app.notifications_of(user).await;
    let welcome = stored[0].id.to_string();

    let marked = app
        .graphql(MARK_READ, json!({ "id": welcome }), Some(&token))
        .await;
    assert_no_errors(&marked);
    let marked = &marked["data"]["markNotificationRead"];
    assert_eq!(marked["id"], json!(welcome));
    assert_eq!(marked["kind"], "WELCOME");
    let read_at = marked["readAt"].as_str().unwrap().to_owned();
    let again = app
        .graphql(MARK_READ, json!({ "id": welcome }), Some(&token))
        .await;
    assert_no_errors(&again);
    assert_eq!(
        again["data"]["markNotificationRead"]["readAt"],
        json!(read_at),
        "marking again keeps the first read time"
    );

    let unread = notifications(&app, user, json!({ "unreadOnly": true }), Some(&token)).await;
    let unread = connection(&unread);
    let unread_ids = ids(unread);
    assert_eq!(unread_ids.len(), 2);
    assert!(!unread_ids.contains(&welcome));
    assert_eq!(unread["totalCount"], 2);
    assert_eq!(unread["unreadCount"], 2);
    let all = notifications(&app, user, json!({}), Some(&token)).await;
    let all = connection(&all);
    assert_eq!(all["totalCount"], 3);
    assert_eq!(all["unreadCount"], 2);
    assert_eq!(all["edges"][2]["node"]["readAt"], json!(read_at));

    let page = notifications(
        &app,
        user,
        json!({ "unreadOnly": true, "first": 1 }),
        Some(&token),
    )
    .await;
    let page = connection(&page);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = notifications(
        &app,
        user,
        json!({ "unreadOnly": true, "first": 1, "after": page["pageInfo"]["endCursor"] }),
        Some(&token),
    )
    .await;
    let next = connection(&next);
    assert_eq!(
        next["pageInfo"]["hasNextPage"], false,
        "the read welcome is left out"
    );
    assert_eq!(ids(next).len(), 1);
}

#[tokio::test]
async fn only_the_user_themself_reads_and_marks_their_notifications() {
    let app = spawn_app().await;
    let bus: SharedTransport = Arc::new(InProcessBus::new());
    let _running = app.start_with_files(bus.clone());
    let owner = user_with_notifications(&app, &bus, 1).await;
    let stranger = Uuid::now_v7();
    let their_id = app.notifications_of(owner).await[0].id.to_string();

    let anonymous = notifications(&app, owner, json!({}), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let forbidden = notifications(&app, owner, json!({}), Some(&app.token(stranger))).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let admin = notifications(&app, owner, json!({}), Some(&app.admin_token(stranger))).await;
    assert_eq!(error_code(&admin), "FORBIDDEN", "not even administrators");
    let bad_token = notifications(&app, owner, json!({}), Some("not.a.token")).await;
    assert_eq!(error_code(&bad_token), "UNAUTHENTICATED");

    let others = app
        .graphql(
            MARK_READ,
            json!({ "id": their_id }),
            Some(&app.token(stranger)),
        )
        .await;
    assert_eq!(error_code(&others), "NOT_FOUND");
    let missing_id = Uuid::now_v7().to_string();
    let missing = app
        .graphql(
            MARK_READ,
            json!({ "id": missing_id }),
            Some(&app.token(stranger)),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    assert_eq!(
        others["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&their_id, "<id>"),
        missing["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&missing_id, "<id>"),
        "someone else's notification looks exactly like a missing one"
    );
    assert!(app.notifications_of(owner).await[0].read_at.is_none());
    let anonymous = app
        .graphql(MARK_READ, json!({ "id": their_id }), None)
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let malformed = app
        .graphql(MARK_READ, json!({ "id": "42" }), Some(&app.token(owner)))
        .await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");

    let empty = notifications(&app, stranger, json!({}), Some(&app.token(stranger))).await;
    let empty = connection(&empty);
    assert_eq!(empty["edges"], json!([]));
    assert_eq!(empty["totalCount"], 0);
    assert_eq!(empty["pageInfo"]["endCursor"], Value::Null);
}

#[tokio::test]
async fn user_entities_resolve_for_well_formed_ids_and_null_otherwise() {
    let app = spawn_app().await;
    let id = Uuid::now_v7().to_string();
    let response = app
        .graphql(
            "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id } } }",
            json!({ "reps": [
                { "__typename": "User", "id": id },
                { "__typename": "User", "id": "not-a-uuid" },
            ] }),
            None,
        )
        .await;
    assert_no_errors(&response);
    assert_eq!(response["data"]["_entities"], json!([{ "id": id }, null]));
}
