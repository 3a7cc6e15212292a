//! `docker-compose.yml` and `deploy/` cannot be run here (no container engine), so they are parsed and
//! checked against the code: one image (deploy/Dockerfile builds the `shopgraph` binary once, runs it
//! unprivileged, probes it with `shopgraph healthcheck`) serves every subgraph and the router, each
//! with a command the binary accepts; every service listens where the others look for it, owns its own database, reaches the one Redis that carries the
//! events (all on the same stream), and reads settings the code accepts — orders finds carts and
//! products, notifications writes its mail to a volume its user may write.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;
use shopgraph_events::transport::redis_options_from_env;
use shopgraph_kit::Config;
use shopgraph_notifications::MailConfig;
use shopgraph_orders::OrdersConfig;
use shopgraph_router::RouterConfig;
use shopgraph_router::supergraph::Supergraph;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn compose() -> Value {
    let text =
        std::fs::read_to_string(root().join("docker-compose.yml")).expect("docker-compose.yml");
    let mut value: Value = serde_yaml::from_str(&text).expect("docker-compose.yml is YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_mapping()
        .expect("environment mapping")
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("unexpected environment value {other:?}"),
            };
            (k.as_str().expect("key").to_owned(), value)
        })
        .collect()
}

/// What the deployer sets JWT_SECRET to in these checks (like `openssl rand -base64 48`).
const LONG_RANDOM_SECRET: &str = "q3Zr8vJ0mX2yLk5tN7pB9wC1dF4gH6jK8lM0nP2rS4tV6xZ8";

/// `${NAME:?message}` and `${NAME}` replaced as compose would, with `value`.
fn substitute(text: &str, value: &str) -> String {
    match (text.find("${"), text.find('}')) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{value}{}", &text[..start], &text[end + 1..])
        }
        _ => text.to_owned(),
    }
}

#[test]
fn every_subgraph_is_its_own_service_with_its_own_database() {
    let compose = compose();
    let services = &compose["services"];
    let init =
        std::fs::read_to_string(root().join("deploy/postgres-init.sql")).expect("init script");
    for (name, port) in shopgraph::SUBGRAPHS {
        let service = &services[name];
        assert!(service.is_mapping(), "no compose service for {name}");

        let env = environment(service);
        // Compose refuses to start without JWT_SECRET, and the services run in production mode, where
        // they refuse a weak one.
        assert!(
            env.get("JWT_SECRET")
                .is_some_and(|value| value.starts_with("${JWT_SECRET:?")),
            "{name} requires JWT_SECRET"
        );
        assert_ne!(
            env.get("SHOPGRAPH_ENV").map(String::as_str),
            Some("development"),
            "{name} runs in production mode"
        );
        let mut config = Config::defaults(name, port);
        config
            .apply_env(|var| env.get(var).map(|v| substitute(v, LONG_RANDOM_SECRET)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        config
            .check_secrets()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        config.jwt.secret = "short".into();
        assert!(
            config.check_secrets().is_err(),
            "{name} refuses a short secret"
        );
        config.jwt.secret = LONG_RANDOM_SECRET.into();
        assert!(
            service["ports"].is_null(),
            "{name} publishes no port: only the compose network reaches it"
        );
        assert!(
            env.get("ROUTER_SECRET")
                .is_some_and(|value| value.starts_with("${ROUTER_SECRET:?")),
            "{name} requires ROUTER_SECRET"
        );
        if name == shopgraph_users::SERVICE {
            assert!(
                config.trust_forwarded_for,
                "users counts sign-ins by the address the router forwards"
            );
        }
        assert_eq!(config.listen.port(), port, "{name} listens on its port");
        assert!(config.database_url.starts_with("postgres://"));
        assert!(
            config.database_url.ends_with(&format!("/{name}")),
            "{name} has its own database"
        );
        assert!(init.contains(&format!("CREATE DATABASE {name};")));
        assert_eq!(
            config.jwt.secret, LONG_RANDOM_SECRET,
            "{name} takes JWT_SECRET from the environment"
        );
        // The health probe asks /ready on the port of LISTEN_ADDR.
        assert!(env.contains_key("LISTEN_ADDR"), "{name} sets LISTEN_ADDR");
    }
}

/// `(host, port)` a compose service answers on, from a URL naming it.
fn host_and_port(url: &str) -> (String, u16) {
    let parsed = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    (
        parsed.host_str().expect("host").to_owned(),
        parsed.port_or_known_default().unwrap_or(6379),
    )
}

#[test]
fn every_subgraph_carries_its_events_over_the_one_redis() {
    let compose = compose();
    let services = &compose["services"];
    let redis = &services["redis"];
    assert!(
        redis["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("redis"))
    );
    assert!(
        redis["healthcheck"]["test"]
            .as_sequence()
            .is_some_and(|test| test.iter().any(|v| v.as_str() == Some("ping"))),
        "redis has a health check"
    );
    let mut streams = Vec::new();
    for (name, port) in shopgraph::SUBGRAPHS {
        let service = &services[name];
        let env = environment(service);
        let mut config = Config::defaults(name, port);
        config
            .apply_env(|var| env.get(var).map(|v| substitute(v, "secret")))
            .unwrap();
        let url = config
            .redis_url
            .unwrap_or_else(|| panic!("{name} has no REDIS_URL"));
        assert_eq!(
            host_and_port(&url),
            ("redis".to_owned(), 6379),
            "{name} reaches the compose redis"
        );
        assert_eq!(
            service["depends_on"]["redis"]["condition"].as_str(),
            Some("service_healthy"),
            "{name} starts after redis"
        );
        assert_eq!(
            service["depends_on"]["postgres"]["condition"].as_str(),
            Some("service_healthy"),
            "{name} starts after postgres"
        );
        let options = redis_options_from_env(|var| env.get(var).cloned())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        streams.push((name, options.stream));
    }
    assert!(
        streams.windows(2).all(|w| w[0].1 == w[1].1),
        "every service on the same event stream: {streams:?}"
    );
}

#[test]
fn orders_finds_carts_and_products() {
    let compose = compose();
    let env = environment(&compose["services"]["orders"]);
    let mut config = OrdersConfig::defaults(Config::defaults("orders", 4004));
    config
        .apply_env(|var| env.get(var).cloned())
        .expect("orders environment");
    for (url, upstream) in [
        (&config.carts_url, shopgraph_carts::SERVICE),
        (&config.products_url, shopgraph_products::SERVICE),
    ] {
        let port = shopgraph::SUBGRAPHS
            .iter()
            .find(|(name, _)| *name == upstream)
            .map(|(_, port)| *port)
            .expect("a subgraph");
        assert_eq!(url, &format!("http://{upstream}:{port}/graphql"));
        assert!(compose["services"][upstream].is_mapping());
    }
}

#[test]
fn notifications_writes_its_mail_to_a_volume() {
    let compose = compose();
    let service = &compose["services"]["notifications"];
    let env = environment(service);
    let mail = MailConfig::from_vars(|var| env.get(var).cloned()).expect("mail settings");
    assert_eq!(mail.smtp, None, "mail goes to files");
    let mounts: Vec<&str> = service["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let volume = mounts
        .iter()
        .find_map(|mount| {
            let (source, target) = mount.split_once(':')?;
            (Path::new(target.trim_end_matches(":rw")) == mail.dir).then_some(source)
        })
        .unwrap_or_else(|| panic!("no volume at MAIL_DIR {}: {mounts:?}", mail.dir.display()));
    assert!(
        compose["volumes"]
            .as_mapping()
            .is_some_and(|volumes| volumes.contains_key(volume)),
        "{volume} is declared"
    );
    // The image creates the directory for its unprivileged user, so the fresh volume is writable.
    let dockerfile = dockerfile();
    let dir = mail.dir.display().to_string();
    let runtime = dockerfile.last().expect("a runtime stage");
    let user = runtime.user().expect("the runtime stage sets USER");
    assert!(
        dockerfile[0]
            .run_commands()
            .iter()
            .any(|run| run.contains(&format!("install -d /out{dir}"))),
        "the build stage creates {dir}"
    );
    assert!(
        runtime
            .instructions
            .iter()
            .any(|(keyword, args)| keyword == "COPY"
                && args.contains(&format!("--chown={user}"))
                && args.split_whitespace().any(|part| part.starts_with("/out")
                    && dir.starts_with(part.trim_start_matches("/out")))),
        "the runtime stage gives {dir} to the service user {user}"
    );
}

#[test]
fn the_router_finds_every_subgraph_and_the_supergraph() {
    let compose = compose();
    let router = &compose["services"]["router"];
    assert_eq!(command(router), ["serve", "router"]);
    let env = environment(router);
    let mut config = RouterConfig::default();
    config
        .apply_env(
            env.iter()
                .map(|(name, value)| (name.clone(), substitute(value, LONG_RANDOM_SECRET))),
        )
        .expect("router environment");
    assert_eq!(config.listen.port(), 4000);
    // It sends the secret the subgraphs require (both from ROUTER_SECRET).
    assert_eq!(
        env.get("SUBGRAPH_SECRET").map(String::as_str),
        Some("${ROUTER_SECRET:?set ROUTER_SECRET to a random string of at least 32 bytes}")
    );
    assert_eq!(config.subgraph_secret.as_deref(), Some(LONG_RANDOM_SECRET));

    // The mounted supergraph is the committed one, and it names exactly the compose services.
    let mount = router["volumes"][0].as_str().expect("supergraph volume");
    let (source, target) = mount.trim_end_matches(":ro").split_once(':').unwrap();
    assert_eq!(Path::new(target), config.supergraph);
    let sdl = std::fs::read_to_string(root().join(source)).expect("mounted supergraph exists");
    let supergraph = Supergraph::parse(&sdl, source).expect("supergraph loads");
    let endpoints = shopgraph_router::http::endpoints(&supergraph, &config).expect("endpoints");
    assert_eq!(endpoints.len(), shopgraph::SUBGRAPHS.len());
    for (name, port) in shopgraph::SUBGRAPHS {
        let endpoint = endpoints
            .iter()
            .find(|e| e.name == name)
            .expect("subgraph in supergraph");
        assert_eq!(
            endpoint.uri.to_string(),
            format!("http://{name}:{port}/graphql")
        );
        assert_eq!(
            router["depends_on"][name]["condition"].as_str(),
            Some("service_healthy"),
            "the router starts after {name}"
        );
    }
}

/// One build stage or the runtime stage of a Dockerfile: its `FROM` line and its instructions
/// (keyword in upper case, arguments with continuation lines joined).
struct Stage {
    from: String,
    instructions: Vec<(String, String)>,
}

impl Stage {
    fn run_commands(&self) -> Vec<&str> {
        self.arguments("RUN")
    }

    fn arguments(&self, keyword: &str) -> Vec<&str> {
        self.instructions
            .iter()
            .filter(|(k, _)| k == keyword)
            .map(|(_, args)| args.as_str())
            .collect()
    }

    /// The last `USER` of the stage.
    fn user(&self) -> Option<&str> {
        self.arguments("USER").last().copied()
    }
}

/// `deploy/Dockerfile` split into stages (comments dropped, `\` continuations joined).
fn dockerfile() -> Vec<Stage> {
    let text = std::fs::read_to_string(root().join("deploy/Dockerfile")).expect("Dockerfile");
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let keyword = keyword.to_ascii_uppercase();
        let args = args.trim().to_owned();
        if keyword == "FROM" {
            stages.push(Stage {
                from: args,
                instructions: Vec::new(),
            });
        } else {
            stages
                .last_mut()
                .unwrap_or_else(|| panic!("{keyword} before FROM"))
                .instructions
                .push((keyword, args));
        }
    }
    stages
}

/// A JSON-array (exec form) argument, such as `["/usr/local/bin/shopgraph", "healthcheck"]`.
fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|e| panic!("not exec form: {args}: {e}"))
}

fn command(service: &Value) -> Vec<&str> {
    service["command"]
        .as_sequence()
        .expect("a command list")
        .iter()
        .map(|part| part.as_str().expect("a string"))
        .collect()
}

#[test]
fn one_image_builds_the_one_binary_and_runs_it_unprivileged() {
    let stages = dockerfile();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&stages[0], &stages[1]);
    assert!(build.from.ends_with(" AS build"), "{}", build.from);

    // One cargo build, of the shopgraph binary only, reproducibly.
    let builds: Vec<&str> = stages
        .iter()
        .flat_map(Stage::run_commands)
        .filter(|run| run.contains("cargo build"))
        .collect();
    assert_eq!(builds.len(), 1, "{builds:?}");
    for flag in ["--release", "--locked", "-p shopgraph", "--bin shopgraph"] {
        assert!(builds[0].contains(flag), "{flag} in {}", builds[0]);
    }
    assert!(
        builds[0]
            .contains("install -D -m 0755 target/release/shopgraph /out/usr/local/bin/shopgraph")
    );

    // The runtime stage: no toolchain, the binary from the build stage, a user that is not root.
    assert!(!runtime.from.contains("rust"), "{}", runtime.from);
    assert!(
        runtime
            .instructions
            .iter()
            .all(|(keyword, _)| keyword != "RUN"),
        "nothing runs at build time in the runtime image (it has no shell)"
    );
    assert!(runtime.arguments("COPY").iter().any(|args| {
        args.starts_with("--from=build /out/usr/local/bin/shopgraph /usr/local/bin/shopgraph")
    }));
    let user = runtime.user().expect("USER in the runtime stage");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        !["", "0", "root"].contains(&uid),
        "the service runs unprivileged, not as {user}"
    );
    let entrypoint = exec_form(runtime.arguments("ENTRYPOINT")[0]);
    assert_eq!(entrypoint, ["/usr/local/bin/shopgraph"]);

    // HEALTHCHECK runs the binary's own probe.
    let healthcheck = runtime.arguments("HEALTHCHECK");
    assert_eq!(healthcheck.len(), 1);
    let probe = healthcheck[0]
        .split_once("CMD ")
        .map(|(_, cmd)| exec_form(cmd))
        .expect("HEALTHCHECK … CMD [...]");
    assert_eq!(probe, ["/usr/local/bin/shopgraph", "healthcheck"]);

    // The build context: everything the build copies passes .dockerignore, nothing else does.
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    let rules: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    assert_eq!(
        rules.first(),
        Some(&"*"),
        "everything is ignored unless allowed"
    );
    let allowed: Vec<&str> = rules
        .iter()
        .filter_map(|rule| rule.strip_prefix('!'))
        .collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "src/main.rs",
        "subgraphs/kit/Cargo.toml",
        "schema/supergraph.graphql",
        "router/Cargo.toml",
    ] {
        assert!(root().join(needed).exists(), "{needed}");
        assert!(
            allowed
                .iter()
                .any(|rule| needed.starts_with(rule.trim_end_matches('/'))),
            "{needed} reaches the build"
        );
    }
    for kept_out in ["**/target", "**/node_modules", "router/fuzz"] {
        assert!(rules.contains(&kept_out), "{kept_out} is ignored");
    }
    for member in ["tests", "data", ".git", "docker-compose.yml"] {
        assert!(
            !allowed.iter().any(|rule| rule.starts_with(member)),
            "{member}"
        );
    }
}

#[test]
fn every_service_runs_the_one_image_with_a_command_the_binary_accepts() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    let mut runs = Vec::new();
    for (name, service) in services {
        let name = name.as_str().expect("service name");
        if ["postgres", "redis"].contains(&name) {
            continue;
        }
        assert_eq!(service["image"].as_str(), Some("shopgraph:local"), "{name}");
        assert_eq!(service["build"]["context"].as_str(), Some("."), "{name}");
        assert_eq!(
            service["build"]["dockerfile"].as_str(),
            Some("deploy/Dockerfile"),
            "{name}"
        );
        assert!(
            service["build"]["args"].is_null(),
            "{name}: one build, no per-service arguments"
        );
        let command = command(service);
        assert_eq!(command, ["serve", name], "{name}");
        // The binary accepts the command (clap checks the service name before --help answers).
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopgraph"))
            .args(&command)
            .arg("--help")
            .output()
            .expect("shopgraph runs");
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let health: Vec<&str> = service["healthcheck"]["test"]
            .as_sequence()
            .expect("health check")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            health,
            ["CMD", "/usr/local/bin/shopgraph", "healthcheck"],
            "{name}"
        );
        runs.push(name);
    }
    let mut expected: Vec<&str> = shopgraph::SUBGRAPHS.iter().map(|(name, _)| *name).collect();
    expected.push("router");
    runs.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        runs, expected,
        "every subgraph and the router, nothing else"
    );
    // A command the binary does not know would fail the same check.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shopgraph"))
        .args(["serve", "payments", "--help"])
        .output()
        .expect("shopgraph runs");
    assert!(!output.status.success());
}
