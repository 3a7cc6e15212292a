//! A service started on its own (`shopgraph serve <service>`, as its container runs it) refuses to start
//! with a JWT secret anyone could know — none (the public development one), an empty one, one shorter
//! than 32 bytes — unless `SHOPGRAPH_ENV=development` says this is a developer's machine.

use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

/// Runs `shopgraph serve users` with exactly `env` (and a database in a fresh directory); returns its
/// exit status and output if it stops within 20 s, or `None` once it answers `/health` (it is then
/// killed).
async fn serve_users(env: &[(&str, &str)]) -> Option<(std::process::ExitStatus, String)> {
    let dir = std::env::temp_dir().join(format!("shopgraph-start-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let log = dir.join("users.log");
    let stdout = std::fs::File::create(&log).expect("log file");
    let stderr = stdout.try_clone().expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopgraph"))
        .args(["serve", "users"])
        .env_clear()
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/users.db?mode=rwc", dir.display()),
        )
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("shopgraph serve starts");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let outcome = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some((status, std::fs::read_to_string(&log).unwrap_or_default()));
        }
        if http
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            break None;
        }
        assert!(
            Instant::now() < deadline,
            "users neither started nor stopped within 20 s:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

const STRONG: &str = "a-random-secret-of-well-over-32-bytes-0123456789";

#[tokio::test]
async fn a_service_refuses_a_weak_jwt_secret_outside_development() {
    let development_secret = shopgraph_kit::config::DEVELOPMENT_JWT_SECRET;
    for (env, problem) in [
        (vec![], "is not set"),
        (vec![("JWT_SECRET", "")], "is empty"),
        (vec![("JWT_SECRET", development_secret)], "is not set"),
        (
            vec![("JWT_SECRET", "only-31-bytes-long-0123456789ab")],
            "is too short",
        ),
        (
            vec![
                ("JWT_SECRET", "only-31-bytes-long-0123456789ab"),
                ("SHOPGRAPH_ENV", "production"),
            ],
            "is too short",
        ),
        (
            vec![("JWT_SECRET", STRONG), ("ROUTER_SECRET", "short")],
            "ROUTER_SECRET is too short",
        ),
    ] {
        let (status, output) = serve_users(&env)
            .await
            .unwrap_or_else(|| panic!("users started with {env:?}"));
        assert!(!status.success(), "{env:?}: {status}");
        assert!(
            output.contains("refusing to start") && output.contains(problem),
            "{env:?}: {output}"
        );
    }
}

#[tokio::test]
async fn a_service_starts_with_a_strong_secret_or_in_development() {
    for env in [
        vec![("JWT_SECRET", STRONG)],
        vec![("SHOPGRAPH_ENV", "development")],
        vec![("SHOPGRAPH_ENV", "development"), ("JWT_SECRET", "short")],
    ] {
        if let Some((status, output)) = serve_users(&env).await {
            panic!("users stopped with {env:?}: {status}\n{output}");
        }
    }
}
