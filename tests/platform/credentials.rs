//! Sign-in and registration through the router on the stack with the users subgraph's default limits:
//! one operation may carry one `login`/`register` field, and repeated failed sign-ins to one account
//! are answered `RATE_LIMITED` with the seconds to wait — both reach the client as GraphQL errors with
//! their codes.

use serde_json::{Value, json};
use shopgraph::StackOptions;
use uuid::Uuid;

use crate::support::Client;

/// The code of the first error: the users subgraph's (the router may add its own after it, such as
/// `NON_NULL_VIOLATION` for the field left null).
fn first_error_code(response: &Value) -> &str {
    assert!(response["data"].is_null(), "{response:#}");
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {response:#}"))
}

#[tokio::test]
async fn credential_limits_reach_the_client_through_the_router() {
    let dir = std::env::temp_dir().join(format!("shopgraph-credentials-{}", Uuid::new_v4()));
    let stack = shopgraph::start(StackOptions {
        base_port: 0,
        jwt_secret: Some(format!("credentials-{}", Uuid::new_v4())),
        ..StackOptions::in_dir(&dir)
    })
    .await
    .expect("the stack starts");
    let client = Client {
        http: reqwest::Client::new(),
        url: stack.router_url.clone(),
        token: None,
    };
    let email = shopgraph_users::demo::CUSTOMER_EMAIL;

    let two = client
        .post(
            "mutation($email: String!) {
                a: login(email: $email, password: \"guess one\") { token }
                b: login(email: $email, password: \"guess two\") { token }
            }",
            json!({ "email": email }),
        )
        .await;
    assert_eq!(
        first_error_code(&two),
        "TOO_MANY_CREDENTIAL_FIELDS",
        "{two:#}"
    );

    let login = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";
    let mut codes = Vec::new();
    for n in 0..6 {
        let response = client
            .post(
                login,
                json!({ "email": email, "password": format!("guess {n}") }),
            )
            .await;
        codes.push(first_error_code(&response).to_owned());
        if n == 5 {
            let retry_after = response["errors"][0]["extensions"]["retryAfter"].as_u64();
            assert!(retry_after.is_some_and(|s| s >= 1), "{response:#}");
        }
    }
    assert_eq!(
        codes,
        [
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "RATE_LIMITED"
        ]
    );
    // Another account signs in as usual.
    let admin = client
        .post(
            login,
            json!({
                "email": shopgraph_users::demo::ADMIN_EMAIL,
                "password": shopgraph_users::demo::ADMIN_PASSWORD,
            }),
        )
        .await;
    assert!(admin.get("errors").is_none(), "{admin:#}");
    // The subgraphs answer only the router: straight to users, without its secret, is refused.
    let direct = reqwest::Client::new()
        .post(stack.subgraph_url("users").expect("users"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("users answers");
    assert_eq!(direct.status(), 401);
    let body: Value = direct.json().await.expect("JSON");
    assert_eq!(first_error_code(&body), "UNTRUSTED_CALLER", "{body:#}");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
