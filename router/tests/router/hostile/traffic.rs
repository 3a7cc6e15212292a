//! Traffic a router must shape: rate limits per address and user, deadlines and load shedding,
//! per-subgraph caps and response budgets, shared in-flight queries, slow connections, graceful
//! shutdown, tiny caches, and what the subgraphs are told (the router secret, the client address).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Shop, code};
use crate::support::Behaviour;

/// Sends `body` until the router refuses it (at most 20 times); how many were answered, and the
/// refusal.
async fn until_refused(
    shop: &Shop,
    body: &Value,
    headers: &[(&str, &str)],
) -> (usize, (u16, Option<String>, Value)) {
    for answered in 0..20 {
        let response = shop.send(body, headers).await;
        if response.0 != 200 {
            return (answered, response);
        }
    }
    panic!("20 requests and no refusal");
}

#[tokio::test]
async fn each_client_address_and_each_user_has_a_rate() {
    let shop = Shop::start(|config| {
        config.rate_limit.per_ip_per_second = 1;
        config.rate_limit.per_ip_burst = 3;
    })
    .await;
    let body = json!({ "query": "{ me { name } }" });
    // The burst passes; sending on, the bucket runs dry (one token a second cannot keep up).
    let (answered, (status, retry_after, refused)) = until_refused(&shop, &body, &[]).await;
    assert!(answered >= 3, "{answered}");
    assert_eq!(status, 429);
    assert_eq!(code(&refused), "RATE_LIMITED");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(shop.mock.received().len(), answered);

    let users = Shop::start(|config| {
        config.rate_limit.per_subject_per_second = 1;
        config.rate_limit.per_subject_burst = 2;
    })
    .await;
    let token = |sub: &str| {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{{\"sub\":\"{sub}\"}}"));
        format!("Bearer eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")
    };
    let ada = token("ada");
    let bob = token("bob");
    let (answered, (status, _, refused)) =
        until_refused(&users, &body, &[("authorization", &ada)]).await;
    assert!(answered >= 2, "{answered}");
    assert_eq!(status, 429);
    assert_eq!(code(&refused), "RATE_LIMITED");
    assert_eq!(users.send(&body, &[("authorization", &bob)]).await.0, 200);
}

#[tokio::test]
async fn a_stalling_subgraph_meets_the_request_deadline_and_sheds_load() {
    let shop = Shop::start(|config| {
        config.traffic.request_timeout_ms = 600;
        config.traffic.max_concurrent_requests = 2;
    })
    .await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_secs(5)));
    let body = json!({ "query": "{ me { name } }" });
    let other = json!({ "query": "{ me { id } }" });
    let third = json!({ "query": "{ me { id name } }" });
    let started = Instant::now();
    let (a, b, c) = tokio::join!(shop.send(&body, &[]), shop.send(&other, &[]), async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        shop.send(&third, &[]).await
    });
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((a.0, code(&a.2)), (504, "GATEWAY_TIMEOUT"));
    assert_eq!((b.0, code(&b.2)), (504, "GATEWAY_TIMEOUT"));
    assert_eq!((c.0, code(&c.2)), (503, "SERVICE_OVERLOADED"));
    assert_eq!(c.1.as_deref(), Some("1"));
    shop.mock.set_behaviour(Behaviour::Normal);
    shop.still_answers().await;
}

#[tokio::test]
async fn requests_to_one_subgraph_are_capped_and_responses_budgeted() {
    let shop = Shop::start(|config| {
        config.traffic.max_connections_per_subgraph = 1;
        config.deduplicate_inbound = false;
        config.deduplicate_requests = false;
    })
    .await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(100)));
    let body = json!({ "query": "{ me { name } }" });
    let sends: Vec<_> = (0..4).map(|_| shop.send(&body, &[])).collect();
    for (status, _, _) in futures::future::join_all(sends).await {
        assert_eq!(status, 200);
    }
    assert_eq!(shop.concurrency.max(), 1);

    let small = Shop::start(|config| config.traffic.max_response_bytes = 40).await;
    let response = small
        .query("{ products(first: 3) { nodes { id name } } }")
        .await;
    assert_eq!(code(&response), "RESPONSE_TOO_LARGE", "{response}");
}

#[tokio::test]
async fn identical_queries_in_flight_share_one_execution_but_mutations_never() {
    let shop = Shop::start(|config| config.deduplicate_requests = false).await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(700)));
    let body = json!({ "query": "{ me { name } }" });
    let sends: Vec<_> = (0..10).map(|_| shop.send(&body, &[])).collect();
    for (_, _, response) in futures::future::join_all(sends).await {
        assert_eq!(response, json!({"data": {"me": {"name": "Ada"}}}));
    }
    assert_eq!(shop.mock.received().len(), 1);
    // Different forwarded headers are different executions.
    let a = shop.send(&body, &[("authorization", "Bearer a")]);
    let b = shop.send(&body, &[("authorization", "Bearer b")]);
    let _ = tokio::join!(a, b);
    assert_eq!(shop.mock.received().len(), 3);
    let mutation = json!({ "query": "mutation { login(email: \"a@x\") }" });
    let sends: Vec<_> = (0..5).map(|_| shop.send(&mutation, &[])).collect();
    futures::future::join_all(sends).await;
    assert_eq!(shop.mock.received().len(), 8);

    let off = Shop::start(|config| {
        config.deduplicate_requests = false;
        config.deduplicate_inbound = false;
    })
    .await;
    off.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(200)));
    let sends: Vec<_> = (0..10).map(|_| off.send(&body, &[])).collect();
    futures::future::join_all(sends).await;
    assert_eq!(off.mock.received().len(), 10);
}

#[tokio::test]
async fn subgraphs_get_the_router_secret() {
    let shop = Shop::start(|config| {
        config.subgraph_secret = Some("s3cret-s3cret-s3cret-s3cret-s3cret".to_owned());
    })
    .await;
    shop.still_answers().await;
    let received = shop.mock.received();
    assert_eq!(
        received[0].headers["shopgraph-router-secret"],
        "s3cret-s3cret-s3cret-s3cret-s3cret"
    );
    let plain = Shop::start(|_| {}).await;
    plain.still_answers().await;
    assert!(
        plain.mock.received()[0]
            .headers
            .get("shopgraph-router-secret")
            .is_none()
    );
}

#[tokio::test]
async fn slow_or_silent_connections_are_closed() {
    let shop = Shop::start(|config| {
        config.traffic.header_read_timeout_ms = 200;
        config.traffic.request_timeout_ms = 100;
        config.traffic.idle_timeout_ms = 300;
    })
    .await;
    // Headers that never end.
    let mut slow = tokio::net::TcpStream::connect(shop.addr).await.unwrap();
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buffer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    // Nothing at all.
    let mut silent = tokio::net::TcpStream::connect(shop.addr).await.unwrap();
    let closed =
        tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    shop.still_answers().await;
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_then_stops() {
    let mut shop = Shop::start(|config| config.traffic.shutdown_grace_ms = 5_000).await;
    shop.mock
        .set_behaviour(Behaviour::Delay(Duration::from_millis(500)));
    let stop = shop.stop.take().unwrap();
    let served = shop.served.take().unwrap();
    let body = json!({ "query": "{ me { name } }" });
    let in_flight = shop.send(&body, &[]);
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = stop.send(());
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .expect("serve did not return")
            .unwrap()
            .unwrap();
        started.elapsed()
    };
    let ((status, _, response), took) = tokio::join!(in_flight, stopping);
    assert_eq!(status, 200);
    assert_eq!(response, json!({"data": {"me": {"name": "Ada"}}}));
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(
        tokio::net::TcpStream::connect(shop.addr).await.is_err(),
        "still accepting"
    );

    // A request that outlives the grace period does not hold the router up.
    let mut stuck = Shop::start(|config| config.traffic.shutdown_grace_ms = 300).await;
    stuck
        .mock
        .set_behaviour(Behaviour::Delay(Duration::from_secs(10)));
    let stop = stuck.stop.take().unwrap();
    let served = stuck.served.take().unwrap();
    let request = stuck.send(&body, &[]);
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = stop.send(());
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(5), served)
            .await
            .expect("serve did not return")
            .unwrap()
            .unwrap();
        started.elapsed()
    };
    tokio::select! {
        _ = request => panic!("the stuck request finished"),
        took = stopping => assert!(took < Duration::from_secs(2), "{took:?}"),
    }
}

#[tokio::test]
async fn caches_too_small_for_anything_still_give_right_answers() {
    let shop = Shop::start(|config| {
        config.cache.documents_bytes = 1;
        config.cache.plans_bytes = 1;
    })
    .await;
    let query = "query($withName: Boolean!) { me { id name @include(if: $withName) } }";
    for round in 0..3 {
        for with_name in [true, false] {
            let (_, _, response) = shop
                .send(
                    &json!({ "query": query, "variables": { "withName": with_name } }),
                    &[],
                )
                .await;
            let expected = if with_name {
                json!({"data": {"me": {"id": "u1", "name": "Ada"}}})
            } else {
                json!({"data": {"me": {"id": "u1"}}})
            };
            assert_eq!(response, expected, "round {round}");
        }
    }
}

#[tokio::test]
async fn mutations_tell_the_subgraph_the_client_address_and_queries_stay_shareable() {
    let shop = Shop::start(|_| {}).await;
    let (_, _, login) = shop
        .send(
            &json!({ "query": "mutation { login(email: \"a@b.c\") }" }),
            &[("x-forwarded-for", "203.0.113.9")],
        )
        .await;
    assert_eq!(login["data"]["login"], "token-for-a@b.c", "{login}");
    shop.query("{ me { name } }").await;
    let received = shop.mock.received();
    assert_eq!(received.len(), 2);
    // The router is not told to trust forwarded addresses, so the connection's address counts, and
    // it replaces whatever the client claimed.
    assert_eq!(
        received[0].headers.get("x-forwarded-for").unwrap(),
        "127.0.0.1"
    );
    assert!(received[1].headers.get("x-forwarded-for").is_none());

    // Behind a trusted proxy, the first forwarded address is the client's.
    let trusting = Shop::start(|c| c.rate_limit.trust_forwarded_for = true).await;
    trusting
        .send(
            &json!({ "query": "mutation { login(email: \"a@b.c\") }" }),
            &[("x-forwarded-for", "203.0.113.9, 10.0.0.1")],
        )
        .await;
    assert_eq!(
        trusting.mock.received()[0]
            .headers
            .get("x-forwarded-for")
            .unwrap(),
        "203.0.113.9"
    );
}
