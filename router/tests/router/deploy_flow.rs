//! The per-subgraph deploy flow against a running router: a project of subgraph SDL files and a
//! committed contract, a router watching the published supergraph file; one subgraph's SDL gains a
//! field, `deploy/publish-supergraph.sh` checks, composes and publishes it by atomic rename, and the
//! same router serves the new field without a restart. A breaking change or a composition failure
//! publishes nothing and the router keeps serving what it served.
//!
//! The script needs the `schema` binary: `SCHEMA_BIN`, or `schema` built in this target directory
//! (`cargo build -p shopgraph-schema`; `.ci/run` does, and sets `SHOPGRAPH_PUBLISH_SCRIPT_REQUIRED=1`
//! so a missing binary fails). Without it, the flow runs with the same steps done in Rust (our
//! composer, a temporary file renamed over the target; no `schema check`) and says so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use shopgraph_schema::SubgraphInput;

use crate::conformance::compose;
use crate::reload::{COMMON, INVENTORY_V1, INVENTORY_V2, LiveRouter, NEW_FIELD, PRODUCTS, Version};

/// Inventory's key field with a type products does not share: the subgraphs do not compose.
const INVENTORY_CONFLICTING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: Int!
  inStock: Boolean!
  weight: Int!
}
"#;

/// Inventory without `inStock`: composes, but removes a field clients use.
const INVENTORY_BREAKING: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Product @key(fields: "upc") {
  upc: String!
  weight: Int!
}
"#;

/// How a supergraph reaches the routers in this run.
enum Publisher {
    /// `deploy/publish-supergraph.sh` with this `schema` binary.
    Script(PathBuf),
    /// The script's compose and publish steps in Rust (no `schema` binary here).
    InProcess,
}

impl Publisher {
    fn find() -> Publisher {
        let built = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("schema")));
        let bin = std::env::var_os("SCHEMA_BIN")
            .map(PathBuf::from)
            .or(built)
            .filter(|bin| bin.is_file());
        match bin {
            Some(bin) => Publisher::Script(bin),
            None => {
                let required =
                    std::env::var("SHOPGRAPH_PUBLISH_SCRIPT_REQUIRED").is_ok_and(|v| v == "1");
                assert!(
                    !required,
                    "SHOPGRAPH_PUBLISH_SCRIPT_REQUIRED=1 but no `schema` binary (SCHEMA_BIN or target/debug/schema)"
                );
                eprintln!(
                    "deploy_flow: no `schema` binary (SCHEMA_BIN, or `cargo build -p shopgraph-schema`); \
                     publishing in Rust instead of running deploy/publish-supergraph.sh"
                );
                Publisher::InProcess
            }
        }
    }

    /// Publishes the project's composition to `target`; why not, when nothing was published.
    fn publish(&self, project: &Project, target: &Path) -> Result<(), String> {
        match self {
            Publisher::Script(bin) => {
                let script =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/publish-supergraph.sh");
                let output = Command::new("bash")
                    .arg(script)
                    .arg(target)
                    .arg("--config")
                    .arg(project.root.join("supergraph.toml"))
                    .env("SCHEMA_BIN", bin)
                    .output()
                    .map_err(|e| format!("bash: {e}"))?;
                let said = format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
                if output.status.success() {
                    Ok(())
                } else {
                    Err(said)
                }
            }
            Publisher::InProcess => {
                let inputs: Vec<SubgraphInput> = ["products", "inventory"]
                    .iter()
                    .map(|name| {
                        let sdl = std::fs::read_to_string(project.sdl_path(name)).unwrap();
                        SubgraphInput::new(*name, format!("http://{name}.invalid/graphql"), sdl)
                    })
                    .collect();
                let supergraph = shopgraph_schema::compose(&inputs).map_err(|errors| {
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
                let target = if target.is_dir() {
                    target.join("supergraph.graphql")
                } else {
                    target.to_path_buf()
                };
                let staged = target.with_file_name(".supergraph.publishing");
                std::fs::write(&staged, supergraph.sdl()).unwrap();
                std::fs::rename(&staged, &target).unwrap();
                Ok(())
            }
        }
    }

    fn checks(&self) -> bool {
        matches!(self, Publisher::Script(_))
    }
}

/// A temporary project: `subgraphs/<name>.graphql`, `supergraph.toml` listing them, the committed
/// contract `supergraph.graphql`, and `live/`, the directory the routers watch.
struct Project {
    root: PathBuf,
}

impl Project {
    fn new() -> Project {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let root =
            std::env::temp_dir().join(format!("shopgraph-deploy-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(root.join("subgraphs")).unwrap();
        std::fs::create_dir_all(root.join("live")).unwrap();
        let project = Project { root };
        project.write_sdl("products", PRODUCTS);
        project.write_sdl("inventory", INVENTORY_V1);
        std::fs::write(
            project.root.join("supergraph.toml"),
            "[subgraphs.products]\nurl = \"http://products.invalid/graphql\"\nsdl = \"subgraphs/products.graphql\"\n\n\
             [subgraphs.inventory]\nurl = \"http://inventory.invalid/graphql\"\nsdl = \"subgraphs/inventory.graphql\"\n",
        )
        .unwrap();
        project.commit_contract(INVENTORY_V1);
        project
    }

    fn sdl_path(&self, name: &str) -> PathBuf {
        self.root.join("subgraphs").join(format!("{name}.graphql"))
    }

    /// The subgraph's change, as `UPDATE_SCHEMA=1 cargo test -p shopgraph-<name> -- sdl` writes it.
    fn write_sdl(&self, name: &str, sdl: &str) {
        std::fs::write(self.sdl_path(name), sdl).unwrap();
    }

    /// The contract `schema check` compares with, composed with inventory's `sdl`.
    fn commit_contract(&self, inventory: &str) {
        let contract = compose(&[("products", PRODUCTS), ("inventory", inventory)]);
        std::fs::write(self.root.join("supergraph.graphql"), contract).unwrap();
    }

    fn live(&self) -> PathBuf {
        self.root.join("live").join("supergraph.graphql")
    }

    /// The names in `live/`: only the published file, never a leftover temporary one.
    fn live_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join("live"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

const SUCCESSES: &str = "shopgraph_router_supergraph_reloads_total{result=\"success\"}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subgraph_change_published_by_the_script_is_served_without_a_restart() {
    let publisher = Publisher::find();
    let project = Project::new();
    let live = project.live();

    // First publication, to a directory (the file in it is what the routers watch).
    publisher
        .publish(&project, &project.root.join("live"))
        .unwrap();
    assert_eq!(project.live_entries(), ["supergraph.graphql"]);
    let router = LiveRouter::start_watching(live.clone(), |_| {}).await;
    assert_eq!(router.version_of(COMMON).await, Ok(Version::Either));
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V1));

    // Inventory adds `weight`: a safe change, checked, composed, published; the router reloads.
    project.write_sdl("inventory", INVENTORY_V2);
    publisher.publish(&project, &live).unwrap();
    router.wait_for(Version::V2).await;
    router.wait_for_reloads("success", "1").await;
    assert_eq!(router.version_of(COMMON).await, Ok(Version::Either));
    assert_eq!(project.live_entries(), ["supergraph.graphql"]);
    let served = std::fs::read_to_string(&live).unwrap();
    assert!(served.contains("weight"), "{served}");
    // The contract moves with the change, as its commit would.
    project.commit_contract(INVENTORY_V2);

    // Subgraphs that do not compose: nothing published, the router keeps serving.
    project.write_sdl("inventory", INVENTORY_CONFLICTING);
    let refused = publisher
        .publish(&project, &live)
        .expect_err("a composition failure was published");
    assert!(refused.contains("upc"), "{refused}");
    if publisher.checks() {
        assert!(refused.contains("nothing published"), "{refused}");
    }

    // A breaking change (a field removed) is stopped by `schema check` (only the script checks).
    if publisher.checks() {
        project.write_sdl("inventory", INVENTORY_BREAKING);
        let refused = publisher
            .publish(&project, &live)
            .expect_err("a breaking change was published");
        assert!(
            refused.contains("inStock") && refused.contains("schema check failed"),
            "{refused}"
        );
    }

    assert_eq!(std::fs::read_to_string(&live).unwrap(), served);
    assert_eq!(project.live_entries(), ["supergraph.graphql"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(router.metric(SUCCESSES).await, "1");
    assert_eq!(router.version_of(NEW_FIELD).await, Ok(Version::V2));
    assert_eq!(router.version_of(COMMON).await, Ok(Version::Either));
}
