//! The `router` command line: unknown flags are refused by name, `--version` prints the version, and
//! `--listen`/`--supergraph` override the environment, which overrides the config file.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn router() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_router"));
    command
        .env_remove("CONFIG_FILE")
        .env_remove("SUPERGRAPH_PATH")
        .env_remove("LISTEN_ADDR");
    command
}

#[test]
fn unknown_flags_are_refused_by_name() {
    let output = router().args(["--confg", "x.toml"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unexpected argument '--confg'"), "{stderr}");

    let output = router()
        .args(["plan", "--supergraph", "s", "--operation", "o", "--verbose"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("'--verbose'"), "{stderr}");
}

#[test]
fn version_and_help() {
    let output = router().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("router {}", env!("CARGO_PKG_VERSION"))
    );
    let output = router().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--config <FILE>",
        "[env: CONFIG_FILE=]",
        "--supergraph <FILE>",
        "[env: SUPERGRAPH_PATH=]",
        "--listen <ADDR>",
        "[env: LISTEN_ADDR=]",
        "SUBGRAPH_<NAME>_URL",
        "SUBGRAPH_SECRET",
        "LOG_FORMAT",
        "plan",
    ] {
        assert!(help.contains(expected), "{expected} in {help}");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the router answers `/health` on `port`, or its process ends.
fn answers_on(running: &mut Running, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = running.0.try_wait() {
            panic!("router exited with {status}");
        }
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ =
                stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            return response.starts_with("HTTP/1.1 200");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn flags_override_the_environment_which_overrides_the_file() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/router/fixtures");
    let supergraph = fixtures.join("shop-handwritten.graphql");
    let dir = std::env::temp_dir().join(format!("router-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("router.toml");
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{file_port}\"\nsupergraph = \"/nonexistent/file.graphql\"\n"),
    )
    .unwrap();

    // The environment beats the file: the supergraph from SUPERGRAPH_PATH, the port from LISTEN_ADDR.
    let mut running = Running(
        router()
            .args(["--config", config.to_str().unwrap()])
            .env("SUPERGRAPH_PATH", &supergraph)
            .env("LISTEN_ADDR", format!("127.0.0.1:{env_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(answers_on(&mut running, env_port));
    drop(running);

    // Flags beat both.
    let mut running = Running(
        router()
            .args(["serve", "--config", config.to_str().unwrap()])
            .args(["--supergraph", supergraph.to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{flag_port}")])
            .env("SUPERGRAPH_PATH", "/nonexistent/env.graphql")
            .env("LISTEN_ADDR", format!("127.0.0.1:{env_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(answers_on(&mut running, flag_port));
    drop(running);

    // Without the override, the file's missing supergraph is reported by name.
    let output = router()
        .args(["--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("/nonexistent/file.graphql"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
