//! `docker-compose.yml` and `deploy/` cannot be run here (no container engine), so they are parsed and
//! checked against the code: every subgraph and the router is a service built from its own package,
//! listens where the others look for it, owns its own database, and reads settings the code accepts.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;
use shopgraph_kit::Config;
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
    let dockerfile = std::fs::read_to_string(root().join("deploy/Dockerfile")).expect("Dockerfile");
    assert!(dockerfile.contains("ARG PACKAGE") && dockerfile.contains("ARG BIN"));
    for (name, port) in shopgraph::SUBGRAPHS {
        let service = &services[name];
        assert!(service.is_mapping(), "no compose service for {name}");
        let args = &service["build"]["args"];
        assert_eq!(
            args["PACKAGE"].as_str(),
            Some(format!("shopgraph-{name}").as_str())
        );
        assert_eq!(args["BIN"].as_str(), Some(name));
        let manifest =
            std::fs::read_to_string(root().join(format!("subgraphs/{name}/Cargo.toml"))).unwrap();
        assert!(manifest.contains(&format!("name = \"shopgraph-{name}\"")));
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} has a binary called {name}"
        );

        let env = environment(service);
        let mut config = Config::defaults(name, port);
        config
            .apply_env(|var| env.get(var).map(|v| substitute(v, "a-long-random-secret")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(config.listen.port(), port, "{name} listens on its port");
        assert!(config.database_url.starts_with("postgres://"));
        assert!(
            config.database_url.ends_with(&format!("/{name}")),
            "{name} has its own database"
        );
        assert!(init.contains(&format!("CREATE DATABASE {name};")));
        assert_eq!(
            config.jwt.secret, "a-long-random-secret",
            "{name} takes JWT_SECRET from the environment"
        );
        let health = service["healthcheck"]["test"].as_sequence().unwrap();
        assert!(
            health
                .iter()
                .any(|v| v.as_str() == Some(format!("http://localhost:{port}/ready").as_str()))
        );
    }
}

#[test]
fn the_router_finds_every_subgraph_and_the_supergraph() {
    let compose = compose();
    let router = &compose["services"]["router"];
    assert_eq!(
        router["build"]["args"]["PACKAGE"].as_str(),
        Some("shopgraph-router")
    );
    let env = environment(router);
    let mut config = RouterConfig::default();
    config.apply_env(env.clone()).expect("router environment");
    assert_eq!(config.listen.port(), 4000);

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
