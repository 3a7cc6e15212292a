//! The `shopgraph` command line: unknown arguments are refused by name, `--version` prints the
//! version, `--help` lists the options with their environment variables, and `shopgraph
//! healthcheck` (the container image's HEALTHCHECK) passes only when the service is ready.

use std::process::{Command, Output};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn shopgraph(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopgraph"))
        .args(args)
        .env_remove("DATA_DIR")
        .env_remove("SHOPGRAPH_PORT")
        .env_remove("LISTEN_ADDR")
        .output()
        .expect("shopgraph runs")
}

#[test]
fn unknown_arguments_are_refused_by_name() {
    for (args, named) in [
        (&["--frobnicate"][..], "'--frobnicate'"),
        (&["serve", "users", "--verbose"][..], "'--verbose'"),
        (&["serve", "payments"][..], "'payments'"),
        (&["launch"][..], "'launch'"),
    ] {
        let output = shopgraph(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn version_and_help() {
    let output = shopgraph(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("shopgraph {}", env!("CARGO_PKG_VERSION"))
    );
    let help = String::from_utf8_lossy(&shopgraph(&["--help"]).stdout).into_owned();
    for expected in [
        "[env: DATA_DIR=]",
        "[env: SHOPGRAPH_PORT=]",
        "JWT_SECRET",
        "REDIS_URL",
        "serve",
        "healthcheck",
    ] {
        assert!(help.contains(expected), "{expected} in {help}");
    }
    let help = String::from_utf8_lossy(&shopgraph(&["serve", "--help"]).stdout).into_owned();
    for expected in [
        "users, products, carts, orders, notifications, router",
        "LISTEN_ADDR",
        "DATABASE_URL",
        "ROUTER_SECRET",
        "SUBGRAPH_SECRET",
    ] {
        assert!(help.contains(expected), "{expected} in {help}");
    }
}

/// A server that answers every request on `/ready` with `status`; returns its port.
async fn answering(status: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
            let status = if request.starts_with("GET /ready ") {
                status
            } else {
                "404 Not Found"
            };
            let response =
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    port
}

#[tokio::test]
async fn healthcheck_passes_only_when_the_service_is_ready() {
    let ready = answering("200 OK").await;
    let starting = answering("503 Service Unavailable").await;
    let probe = |listen: String| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_shopgraph"))
                .arg("healthcheck")
                .env("LISTEN_ADDR", listen)
                .output()
                .expect("shopgraph runs")
        })
    };
    // The service listens on all interfaces, as in a container; the probe asks the loopback.
    let output = probe(format!("0.0.0.0:{ready}")).await.expect("probe");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = probe(format!("0.0.0.0:{starting}")).await.expect("probe");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("503"));
    // Nothing listening: unhealthy.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let output = probe(format!("127.0.0.1:{closed}")).await.expect("probe");
    assert!(!output.status.success());
}
