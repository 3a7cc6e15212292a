//! `deploy/k8s/` cannot be applied here (no cluster), so every overlay is rendered with `kubectl
//! kustomize` (when kubectl is on the PATH; CI requires it) and checked against the code: each
//! subgraph and the router runs the one image with `shopgraph serve <service>`, listens on the port
//! its Service and the router's config name, takes its secrets and database from Secrets (the dev
//! overlay's generated ones load into a configuration the service accepts in production mode), is
//! probed on `/health` and `/ready`, runs unprivileged; only the router reaches the subgraphs
//! (besides orders reaching carts and products); the router's ConfigMap holds the committed
//! supergraph and a config file the router loads. Schema validation of every object is `.ci/run`'s
//! (`kubernetes-validate`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use serde_yaml::Value;
use shopgraph_kit::Config;
use shopgraph_router::RouterConfig;
use shopgraph_router::supergraph::Supergraph;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The objects of `deploy/k8s/overlays/<overlay>`, or `None` (with the reason printed) without kubectl.
fn render(overlay: &str) -> Option<Vec<Value>> {
    let dir = root().join("deploy/k8s/overlays").join(overlay);
    let output = match Command::new("kubectl").arg("kustomize").arg(&dir).output() {
        Ok(output) => output,
        Err(error) => {
            assert!(
                std::env::var_os("SHOPGRAPH_KUBECTL_REQUIRED").is_none(),
                "kubectl is required here: {error}"
            );
            eprintln!("skipped: kubectl is not on the PATH ({error}); .ci/run installs it");
            return None;
        }
    };
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    Some(
        text.split("\n---\n")
            .map(|document| serde_yaml::from_str(document).expect("rendered YAML"))
            .collect(),
    )
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The object of `kind` whose name is `name` or `name-<hash>` (kustomize's generated names).
fn generated<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| {
            o["kind"].as_str() == Some(kind)
                && o["metadata"]["name"].as_str().is_some_and(|n| {
                    n == name
                        || n.strip_prefix(name)
                            .is_some_and(|rest| rest.starts_with('-'))
                })
        })
        .unwrap_or_else(|| panic!("no generated {kind} {name}"))
}

fn container(deployment: &Value) -> &Value {
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .expect("containers");
    assert_eq!(containers.len(), 1);
    &containers[0]
}

/// The container's environment, secrets resolved from the rendered Secrets (`None` for a Secret the
/// overlay leaves to the operator).
fn environment(objects: &[Value], container: &Value) -> BTreeMap<String, Option<String>> {
    let mut env = BTreeMap::new();
    for var in container["env"].as_sequence().expect("env") {
        let name = var["name"].as_str().expect("name").to_owned();
        let value = if let Some(value) = var["value"].as_str() {
            Some(value.to_owned())
        } else {
            let reference = &var["valueFrom"]["secretKeyRef"];
            let secret = reference["name"].as_str().expect("secretKeyRef name");
            let key = reference["key"].as_str().expect("secretKeyRef key");
            objects
                .iter()
                .find(|o| {
                    o["kind"].as_str() == Some("Secret")
                        && o["metadata"]["name"].as_str() == Some(secret)
                })
                .map(|secret| {
                    let encoded = secret["data"][key]
                        .as_str()
                        .unwrap_or_else(|| panic!("{name}: no key {key}"));
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(encoded.split_whitespace().collect::<String>())
                        .expect("base64");
                    String::from_utf8(bytes).expect("UTF-8")
                })
        };
        env.insert(name, value);
    }
    env
}

fn assert_hardened(name: &str, deployment: &Value) {
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"]["runAsNonRoot"].as_bool(),
        Some(true),
        "{name}"
    );
    assert_eq!(
        pod["automountServiceAccountToken"].as_bool(),
        Some(false),
        "{name}"
    );
    let container = container(deployment);
    let security = &container["securityContext"];
    assert_eq!(
        security["allowPrivilegeEscalation"].as_bool(),
        Some(false),
        "{name}"
    );
    assert_eq!(
        security["readOnlyRootFilesystem"].as_bool(),
        Some(true),
        "{name}"
    );
    assert_eq!(
        security["capabilities"]["drop"][0].as_str(),
        Some("ALL"),
        "{name}"
    );
    for (probe, path) in [("livenessProbe", "/health"), ("readinessProbe", "/ready")] {
        assert_eq!(
            container[probe]["httpGet"]["path"].as_str(),
            Some(path),
            "{name} {probe}"
        );
        assert_eq!(
            container[probe]["httpGet"]["port"].as_str(),
            Some("http"),
            "{name} {probe}"
        );
    }
    for limit in ["cpu", "memory"] {
        assert!(
            !container["resources"]["requests"][limit].is_null(),
            "{name} requests {limit}"
        );
        assert!(
            !container["resources"]["limits"][limit].is_null(),
            "{name} limits {limit}"
        );
    }
}

fn container_port(deployment: &Value) -> u64 {
    let port = &container(deployment)["ports"][0];
    assert_eq!(port["name"].as_str(), Some("http"));
    port["containerPort"].as_u64().expect("containerPort")
}

#[test]
fn every_service_runs_the_one_image_hardened_and_probed() {
    let init =
        std::fs::read_to_string(root().join("deploy/postgres-init.sql")).expect("init script");
    for overlay in ["dev", "prod"] {
        let Some(objects) = render(overlay) else {
            return;
        };
        let image = container(find(&objects, "Deployment", "router"))["image"]
            .as_str()
            .expect("image")
            .to_owned();
        for (name, port) in shopgraph::SUBGRAPHS {
            let deployment = find(&objects, "Deployment", name);
            let container = container(deployment);
            assert_eq!(
                container["image"].as_str(),
                Some(image.as_str()),
                "{overlay} {name}: one image"
            );
            assert_eq!(container["args"][0].as_str(), Some("serve"));
            assert_eq!(container["args"][1].as_str(), Some(name));
            assert_hardened(name, deployment);
            assert_eq!(container_port(deployment), u64::from(port), "{name}");
            let service = find(&objects, "Service", name);
            assert_eq!(
                service["spec"]["ports"][0]["port"].as_u64(),
                Some(u64::from(port))
            );
            assert_eq!(
                service["spec"]["ports"][0]["targetPort"].as_str(),
                Some("http")
            );

            let env = environment(&objects, container);
            for secret in ["JWT_SECRET", "ROUTER_SECRET", "DATABASE_URL", "REDIS_URL"] {
                assert!(env.contains_key(secret), "{overlay} {name} reads {secret}");
            }
            if overlay == "dev" {
                // The generated secrets make a configuration the service accepts in production mode.
                let mut config = Config::defaults(name, port);
                config
                    .apply_env(|var| env.get(var).cloned().flatten())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                config
                    .check_secrets()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(config.listen.port(), port);
                assert!(config.database_url.ends_with(&format!("/{name}")), "{name}");
                assert!(init.contains(&format!("CREATE DATABASE {name};")));
                let dev_init =
                    find(&objects, "ConfigMap", "postgres-init")["data"]["10-databases.sql"]
                        .as_str()
                        .expect("init script");
                assert_eq!(
                    dev_init, init,
                    "the dev PostgreSQL creates the databases deploy/postgres-init.sql does"
                );
            } else {
                // Production secrets and databases are the operator's: nothing is generated.
                assert!(
                    env.values()
                        .all(|v| v.as_ref().is_none_or(|v| !v.contains("dev-only")))
                );
            }
        }
        let router = find(&objects, "Deployment", "router");
        assert_hardened("router", router);
        assert_eq!(container(router)["args"][1].as_str(), Some("router"));
        assert!(
            objects
                .iter()
                .all(|o| o["kind"].as_str() != Some("Secret") || overlay == "dev")
        );
    }
}

#[test]
fn the_router_loads_its_configmap_and_finds_every_subgraph_service() {
    let Some(objects) = render("dev") else { return };
    let router = find(&objects, "Deployment", "router");
    let container = container(router);
    let env = environment(&objects, container);
    let config_map = generated(&objects, "ConfigMap", "shopgraph-router");
    // The pod mounts the ConfigMap (by its generated name) where CONFIG_FILE and SUPERGRAPH_PATH point.
    let volume = router["spec"]["template"]["spec"]["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .find(|v| v["configMap"]["name"] == config_map["metadata"]["name"])
        .expect("the router mounts its ConfigMap");
    let mount = container["volumeMounts"]
        .as_sequence()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == volume["name"])
        .expect("mounted");
    let dir = Path::new(mount["mountPath"].as_str().expect("mountPath"));
    let file = |var: &str| {
        let path = env
            .get(var)
            .cloned()
            .flatten()
            .unwrap_or_else(|| panic!("{var}"));
        let key = Path::new(&path)
            .strip_prefix(dir)
            .unwrap_or_else(|_| panic!("{var} {path} is in the ConfigMap"))
            .to_str()
            .expect("key")
            .to_owned();
        config_map["data"][key.as_str()]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in the ConfigMap"))
            .to_owned()
    };
    let committed =
        std::fs::read_to_string(root().join("schema/supergraph.graphql")).expect("supergraph");
    assert_eq!(
        file("SUPERGRAPH_PATH"),
        committed,
        "deploy/k8s/base/supergraph.graphql is the committed supergraph: \
         cp schema/supergraph.graphql deploy/k8s/base/"
    );
    let scratch = std::env::temp_dir().join(format!("shopgraph-k8s-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&scratch, file("CONFIG_FILE")).expect("scratch file");
    let loaded = RouterConfig::from_file(&scratch);
    let _ = std::fs::remove_file(&scratch);
    let mut config = loaded.unwrap_or_else(|e| panic!("{e}"));
    config
        .apply_env(
            env.iter()
                .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())),
        )
        .expect("router environment");
    assert_eq!(config.listen.port() as u64, container_port(router));
    assert!(
        config.listen.ip().is_unspecified(),
        "reachable from other pods"
    );
    let secrets = find(&objects, "Deployment", "users");
    let users_env = environment(&objects, self::container(secrets));
    assert_eq!(
        config.subgraph_secret, users_env["ROUTER_SECRET"],
        "the router sends the secret the subgraphs require"
    );
    let supergraph = Supergraph::parse(&committed, "supergraph.graphql").expect("supergraph");
    let endpoints = shopgraph_router::http::endpoints(&supergraph, &config).expect("endpoints");
    assert_eq!(endpoints.len(), shopgraph::SUBGRAPHS.len());
    for (name, port) in shopgraph::SUBGRAPHS {
        let endpoint = endpoints.iter().find(|e| e.name == name).expect("endpoint");
        assert_eq!(
            endpoint.uri.to_string(),
            format!("http://{name}:{port}/graphql")
        );
        find(&objects, "Service", name);
    }
    let service = find(&objects, "Service", "router");
    assert_eq!(
        service["spec"]["ports"][0]["port"].as_u64(),
        Some(container_port(router))
    );
    let hpa = find(&objects, "HorizontalPodAutoscaler", "router");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"]["name"].as_str(),
        Some("router")
    );
    let pdb = find(&objects, "PodDisruptionBudget", "router");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        router["spec"]["selector"]["matchLabels"]
    );
}

/// The pods a NetworkPolicy's peer selects among the rendered Deployments, by name.
fn selected(objects: &[Value], selector: &Value) -> Vec<String> {
    objects
        .iter()
        .filter(|o| o["kind"].as_str() == Some("Deployment"))
        .filter(|deployment| {
            let labels = &deployment["spec"]["template"]["metadata"]["labels"];
            let labels_match = selector["matchLabels"].as_mapping().is_none_or(|wanted| {
                wanted
                    .iter()
                    .all(|(k, v)| &labels[k.as_str().unwrap_or_default()] == v)
            });
            let expressions_match =
                selector["matchExpressions"]
                    .as_sequence()
                    .is_none_or(|expressions| {
                        expressions.iter().all(|e| {
                            assert_eq!(e["operator"].as_str(), Some("In"));
                            let value = &labels[e["key"].as_str().unwrap_or_default()];
                            e["values"]
                                .as_sequence()
                                .is_some_and(|values| values.contains(value))
                        })
                    });
            labels_match && expressions_match
        })
        .map(|d| {
            d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn only_the_router_reaches_the_subgraphs() {
    let Some(objects) = render("prod") else {
        return;
    };
    let mut allowed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for policy in objects
        .iter()
        .filter(|o| o["kind"].as_str() == Some("NetworkPolicy"))
    {
        let targets = selected(&objects, &policy["spec"]["podSelector"]);
        assert!(
            !targets.is_empty(),
            "{:?} selects pods",
            policy["metadata"]["name"]
        );
        for rule in policy["spec"]["ingress"].as_sequence().expect("ingress") {
            let from: Vec<String> = match rule["from"].as_sequence() {
                None => vec!["anyone".to_owned()],
                Some(peers) => peers
                    .iter()
                    .flat_map(|peer| {
                        assert!(peer["namespaceSelector"].is_null() && peer["ipBlock"].is_null());
                        selected(&objects, &peer["podSelector"])
                    })
                    .collect(),
            };
            for target in &targets {
                allowed
                    .entry(target.clone())
                    .or_default()
                    .extend(from.iter().cloned());
            }
        }
    }
    for (name, _) in shopgraph::SUBGRAPHS {
        let mut from = allowed
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} has no policy"));
        from.sort_unstable();
        let expected: &[&str] = if ["carts", "products"].contains(&name) {
            &["orders", "router"]
        } else {
            &["router"]
        };
        assert_eq!(from, expected, "who reaches {name}");
    }
    assert_eq!(allowed["router"], ["anyone"]);
}
