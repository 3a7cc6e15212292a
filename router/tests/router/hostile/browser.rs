//! What a browser on another site could make the router do: forged requests (CSRF), CORS, and
//! the plans, introspection and subgraph internals that stay private by default.

use serde_json::{Value, json};

use super::{Shop, code};
use crate::support::Behaviour;

#[tokio::test]
async fn browsers_cannot_forge_requests_from_other_sites() {
    let shop = Shop::start(|_| {}).await;
    let body = json!({ "query": "{ me { name } }" }).to_string();
    let simple = shop
        .http
        .post(&shop.url)
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(simple.status().as_u16(), 400);
    let refused: Value = simple.json().await.unwrap();
    assert_eq!(code(&refused), "CSRF_PREVENTION");
    let form = shop
        .http
        .post(&shop.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 400);
    let get = shop
        .http
        .get(format!("{}?query=%7Bme%7Bname%7D%7D", shop.url))
        .send()
        .await
        .unwrap();
    assert_eq!(code(&get.json::<Value>().await.unwrap()), "CSRF_PREVENTION");
    assert!(shop.mock.received().is_empty());
    // A header no simple request can carry makes it fine.
    let get = shop
        .http
        .get(format!("{}?query=%7Bme%7Bname%7D%7D", shop.url))
        .header("shopgraph-preflight", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        get.json::<Value>().await.unwrap(),
        json!({"data": {"me": {"name": "Ada"}}})
    );
}

#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let shop = Shop::start(|config| {
        config.cors.origins = vec!["https://shop.example".to_owned()];
        config.cors.allow_credentials = true;
    })
    .await;
    let preflight = |origin: &'static str| {
        shop.http
            .request(reqwest::Method::OPTIONS, &shop.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert_eq!(headers["access-control-max-age"], "600");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // Without configured origins, no CORS headers at all.
    let closed = Shop::start(|_| {}).await;
    let response = closed
        .http
        .post(&closed.url)
        .header("origin", "https://shop.example")
        .json(&json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn plans_introspection_and_subgraph_internals_stay_private_by_default() {
    let shop = Shop::start(|_| {}).await;
    let (_, _, response) = shop
        .send(
            &json!({ "query": "{ me { name } }" }),
            &[("shopgraph-query-plan", "include")],
        )
        .await;
    assert!(response.get("extensions").is_none(), "{response}");
    shop.mock
        .set_behaviour(Behaviour::Status(502, "bad gateway"));
    let failed = shop.query("{ me { name } }").await;
    assert_eq!(code(&failed), "SUBREQUEST_HTTP_ERROR");
    let message = failed["errors"][0]["message"].as_str().unwrap();
    assert_eq!(message, "the request to subgraph 'shop' failed");
    assert!(!failed.to_string().contains("127.0.0.1"));

    let open = Shop::start(|config| {
        config.expose_query_plan = true;
        config.expose_subgraph_errors = true;
        config.introspection = false;
    })
    .await;
    let (_, _, response) = open
        .send(
            &json!({ "query": "{ me { name } }" }),
            &[("shopgraph-query-plan", "include")],
        )
        .await;
    assert!(
        response["extensions"]["queryPlan"].is_string(),
        "{response}"
    );
    open.mock
        .set_behaviour(Behaviour::Status(502, "bad gateway"));
    let failed = open.query("{ me { name } }").await;
    assert!(
        failed["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("502")
    );
    let introspection = open.query("{ __schema { queryType { name } } }").await;
    assert_eq!(code(&introspection), "INTROSPECTION_DISABLED");
}
