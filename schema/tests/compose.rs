//! Composition tests.
//!
//! Each directory under `tests/cases/` holds the subgraph SDLs of one case: listed by its
//! `supergraph.toml` when it has one, otherwise every `*.graphql` file, named after the file
//! stem, served at `http://<name>.example/graphql`. The expected result is an insta snapshot in
//! the same directory: `supergraph.snap` (the composed SDL) or `errors.snap` (the errors as the
//! CLI prints them). Review changed snapshots with `cargo insta review`, or accept them with
//! `INSTA_UPDATE=always cargo test -p shopgraph-schema`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "compose/canonical.rs"]
mod canonical;
#[path = "compose/check.rs"]
mod check;
#[path = "compose/differential.rs"]
mod differential;
#[path = "compose/errors.rs"]
mod errors;
#[path = "compose/fetch.rs"]
mod fetch;
#[path = "compose/full_sdl.rs"]
mod full_sdl;

use apollo_compiler::Schema;
use shopgraph_schema::{
    CompositionError, ConfigError, ErrorCode, SubgraphInput, Supergraph, SupergraphConfig, compose,
};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn case_dir(case: &str) -> PathBuf {
    crate_dir().join("tests/cases").join(case)
}

/// Path of a case file relative to the crate, as error messages show it.
fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(crate_dir()).unwrap_or(path).to_owned()
}

fn inputs(case: &str) -> Vec<SubgraphInput> {
    let dir = case_dir(case);
    let config = dir.join("supergraph.toml");
    if config.exists() {
        return SupergraphConfig::load(relative(&config))
            .unwrap()
            .read_subgraphs()
            .unwrap();
    }
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("case {case}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let sdl = fs::read_to_string(&path).unwrap();
            SubgraphInput::new(&name, format!("http://{name}.example/graphql"), sdl)
                .with_source_path(relative(&path))
        })
        .collect()
}

fn render(errors: &[CompositionError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn compose_case(case: &str) -> Supergraph {
    compose(&inputs(case))
        .unwrap_or_else(|errors| panic!("case {case} should compose:\n{}", render(&errors)))
}

fn snapshot(case: &str, name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => case_dir(case),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("tests/cases/{case}"),
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Composes a valid case: the supergraph must be a valid GraphQL schema and match the snapshot.
fn assert_composes(case: &str) -> Supergraph {
    let supergraph = compose_case(case);
    if let Err(invalid) = Schema::parse_and_validate(supergraph.sdl(), "supergraph.graphql") {
        panic!(
            "case {case}: the supergraph is not valid GraphQL:\n{}",
            invalid.errors
        );
    }
    snapshot(case, "supergraph", supergraph.sdl());
    supergraph
}

/// Composes a failing case: exactly the `expected` codes (in any order), each error naming its
/// subgraph, file and line, and the rendered errors matching the snapshot.
fn assert_fails(case: &str, expected: &[&str]) -> Vec<CompositionError> {
    let errors = match compose(&inputs(case)) {
        Ok(supergraph) => panic!("case {case} should fail, composed:\n{supergraph}"),
        Err(errors) => errors,
    };
    let mut codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    codes.sort_unstable();
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(codes, expected, "case {case}:\n{}", render(&errors));
    for error in &errors {
        if error.code == ErrorCode::NoQueries {
            continue;
        }
        assert!(
            !error.locations.is_empty()
                && error.locations.iter().all(|l| {
                    l.file.as_deref().is_some_and(|f| f.ends_with(".graphql"))
                        && l.position.is_some()
                }),
            "case {case}: error without subgraph file and line: {error}"
        );
    }
    snapshot(case, "errors", &render(&errors));
    errors
}

// ------------------------------------------------------------------------------------------
// Valid compositions

#[test]
fn shop_entities_keys_requires_shareable_scalar_and_enum() {
    let supergraph = assert_composes("shop");
    let sdl = supergraph.sdl();
    // One @join__type per key per subgraph; the stub with resolvable: false keeps it.
    assert!(sdl.contains(
        "type Product\n  @join__type(graph: CARTS, key: \"id\", extension: true)\n  @join__type(graph: PRODUCTS, key: \"id\")\n  @join__type(graph: PRODUCTS, key: \"sku\")\n{"
    ));
    assert!(sdl.contains("@join__type(graph: PRODUCTS, key: \"id\", resolvable: false)"));
    assert!(sdl.contains(
        "price: Money! @join__field(graph: CARTS, external: true) @join__field(graph: PRODUCTS)"
    ));
    assert!(sdl.contains("@join__field(graph: CARTS, requires: \"price { amount currency }\")"));
    assert!(sdl.contains("CUSTOMER @join__enumValue(graph: USERS)"));
    assert_eq!(
        supergraph
            .graphs()
            .iter()
            .map(|g| (g.name.as_str(), g.enum_value.as_str(), g.url.as_str()))
            .collect::<Vec<_>>(),
        [
            ("carts", "CARTS", "http://localhost:4003/graphql"),
            ("products", "PRODUCTS", "http://localhost:4002/graphql"),
            ("users", "USERS", "http://localhost:4001/graphql"),
        ]
    );
}

#[test]
fn renamed_and_namespaced_federation_imports() {
    let sdl = assert_composes("renamed_imports").into_sdl();
    assert!(sdl.contains("@join__type(graph: A, key: \"id\")"));
    assert!(sdl.contains("@join__type(graph: B, key: \"id\")"));
    assert!(sdl.contains("@join__type(graph: C, key: \"id\")"));
    // `schema { query: RootQuery }` becomes the supergraph's Query.
    assert!(sdl.contains("book(id: ID!): Book @join__field(graph: A)"));
    assert!(!sdl.contains("RootQuery"));
}

#[test]
fn federation_machinery_is_stripped() {
    let sdl = assert_composes("federation_machinery").into_sdl();
    for machinery in [
        "_Any",
        "_Entity",
        "_Service",
        "_service",
        "_entities",
        "FieldSet!",
        "federation__",
    ] {
        assert!(
            !sdl.contains(machinery),
            "{machinery} leaked into the supergraph"
        );
    }
}

#[test]
fn type_merging_follows_variance_and_usage() {
    let sdl = assert_composes("type_merging").into_sdl();
    // Output: the more general type; input: the more restrictive; both recorded per graph.
    assert!(sdl.contains(
        "title: String @join__field(graph: A, type: \"String\") @join__field(graph: B, type: \"String!\")"
    ));
    assert!(sdl.contains(
        "featured: Node @join__field(graph: A, type: \"Node\") @join__field(graph: B, type: \"Article\")"
    ));
    // Arguments: intersection (`exact` is only in A), the more restrictive type.
    assert!(sdl.contains("    term: String!\n    limit: Int = 10 @deprecated"));
    assert!(!sdl.contains("exact"));
    // Output enum: union of values; input enum: intersection; input object: intersection.
    assert!(sdl.contains("PODCAST @join__enumValue(graph: B)"));
    assert!(sdl.contains("VIDEO @join__enumValue(graph: A)"));
    assert!(!sdl.contains("OLD"));
    assert!(!sdl.contains("tags:"));
    assert!(sdl.contains("directive @trace(level: Int = 1) on FIELD | QUERY"));
}

#[test]
fn override_moves_fields_between_subgraphs() {
    let sdl = assert_composes("override").into_sdl();
    assert!(sdl.contains(
        "sku: String! @join__field(graph: LEGACY, usedOverridden: true) @join__field(graph: MODERN, override: \"legacy\")"
    ));
    assert!(sdl.contains("inventory: Int! @join__field(graph: MODERN, override: \"legacy\")"));
    assert!(sdl.contains(
        "price: Int! @join__field(graph: LEGACY, overrideLabel: \"percent(25)\") @join__field(graph: MODERN, override: \"legacy\", overrideLabel: \"percent(25)\")"
    ));
}

#[test]
fn provides_of_an_external_field() {
    let sdl = assert_composes("provides").into_sdl();
    assert!(
        sdl.contains("dealsOfTheDay: [Product!]! @join__field(graph: DEALS, provides: \"name\")")
    );
    assert!(sdl.contains(
        "name: String! @join__field(graph: CATALOG) @join__field(graph: DEALS, external: true)"
    ));
}

#[test]
fn federation_1_subgraphs_compose_with_federation_2_ones() {
    let sdl = assert_composes("federation_1").into_sdl();
    assert!(sdl.contains("@join__type(graph: REVIEWS, key: \"id\", extension: true)"));
    // Key fields marked @external on Federation 1 extensions are not really external.
    assert!(!sdl.contains("external: true"));
}

#[test]
fn inaccessible_and_tags_are_carried_over() {
    let sdl = assert_composes("inaccessible_and_tags").into_sdl();
    assert!(sdl.contains("@link(url: \"https://specs.apollo.dev/tag/v0.3\")"));
    assert!(
        sdl.contains("@link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)")
    );
    assert!(sdl.contains("internalCode: String! @join__field(graph: A) @inaccessible"));
    assert!(sdl.contains("HIDDEN @join__enumValue(graph: A) @inaccessible"));
    // Kept although only one subgraph has it, because it is hidden from the API.
    assert!(sdl.contains("legacyCode: String @join__field(graph: A) @inaccessible"));
}

#[test]
fn interfaces_entity_interfaces_scalars_and_subscriptions() {
    let sdl = assert_composes("interfaces_and_scalars").into_sdl();
    assert!(sdl.contains("scalar URL\n  @join__type(graph: MEDIA)\n  @specifiedBy(url: \"https://url.spec.whatwg.org/\")"));
    assert!(sdl.contains("interface Media implements Node\n  @join__type(graph: MEDIA, key: \"id\")\n  @join__type(graph: RATINGS, key: \"id\", resolvable: false)\n  @join__implements(graph: MEDIA, interface: \"Node\")\n{"));
    assert!(sdl.contains("  subscription: Subscription\n"));
}

#[test]
fn composition_does_not_depend_on_subgraph_order() {
    let mut reversed = inputs("shop");
    reversed.reverse();
    assert_eq!(compose(&reversed).unwrap(), compose_case("shop"));
}

#[test]
fn in_process_composition_without_files() {
    let supergraph = compose(&[
        SubgraphInput::new("my-service", "http://one", "type Query { one: Int }"),
        SubgraphInput::new("2nd", "http://two", "type Query { two: Int }"),
        SubgraphInput::new("a.b", "http://three", "type Query { three: Int }"),
        SubgraphInput::new("a_b", "http://four", "type Query { four: Int }"),
        SubgraphInput::new("v_1", "http://five", "type Query { five: Int }"),
    ])
    .unwrap();
    let values: Vec<(&str, &str)> = supergraph
        .graphs()
        .iter()
        .map(|g| (g.name.as_str(), g.enum_value.as_str()))
        .collect();
    assert_eq!(
        values,
        [
            ("2nd", "_2ND"),
            ("a.b", "A_B_1"),
            ("a_b", "A_B_2"),
            ("my-service", "MY_SERVICE"),
            ("v_1", "V_1_"),
        ]
    );

    let errors = compose(&[SubgraphInput::new(
        "solo",
        "http://solo",
        "type Query { a: Nope }",
    )])
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, ErrorCode::InvalidGraphql);
    assert_eq!(errors[0].locations[0].file, None);
    assert!(
        errors[0]
            .to_string()
            .contains("--> subgraph \"solo\", line 1, column 17"),
        "{}",
        errors[0]
    );
}

#[test]
fn subgraph_names_must_be_unique_and_not_empty() {
    let errors = compose(&[
        SubgraphInput::new("a", "http://a", "type Query { a: Int }"),
        SubgraphInput::new("a", "http://a2", "type Query { b: Int }"),
        SubgraphInput::new(" ", "http://b", "type Query { c: Int }"),
    ])
    .unwrap_err();
    let codes: Vec<ErrorCode> = errors.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        [
            ErrorCode::InvalidSubgraphName,
            ErrorCode::InvalidSubgraphName
        ]
    );
}

#[test]
fn interface_objects_contribute_fields_to_every_implementation() {
    let sdl = assert_composes("interface_object").into_sdl();
    assert!(sdl.contains(
        "interface Media\n  @join__type(graph: MEDIA, key: \"id\")\n  @join__type(graph: REVIEWS, key: \"id\", isInterfaceObject: true)\n{"
    ));
    assert!(sdl.contains("reviews: [Review!]! @join__field(graph: REVIEWS)"));
    // Implementations get the field with a bare @join__field: only the interface object has it.
    assert_eq!(sdl.matches("reviews: [Review!]! @join__field\n").count(), 2);
    assert!(sdl.contains("title: String! @join__field(graph: MEDIA)"));
}

#[test]
fn composed_directives_are_linked_defined_and_applied() {
    let supergraph = assert_composes("compose_directive");
    let sdl = supergraph.sdl();
    // The highest minor version of the spec, importing every composed directive by its name.
    assert!(sdl.contains(
        "@link(url: \"https://specs.example.dev/cache/v1.2\", import: [\"@cacheControl\", {name: \"@audit\", as: \"@trace\"}])"
    ));
    // The definition of the subgraph linking that version.
    assert!(sdl.contains("directive @cacheControl(maxAge: Int!, scope: CacheScope = PUBLIC, inheritMaxAge: Boolean) on OBJECT | FIELD_DEFINITION | INTERFACE"));
    assert!(sdl.contains("directive @trace(level: Int = 1) repeatable on FIELD_DEFINITION"));
    // Applications of every subgraph; non-repeatable ones once, repeatable ones all.
    assert!(
        sdl.contains("  @join__type(graph: PRICING, key: \"id\")\n  @cacheControl(maxAge: 60)\n{")
    );
    assert!(!sdl.contains("@cacheControl(maxAge: 30)"));
    assert!(sdl.contains("name: String! @join__field(graph: CATALOG) @trace @trace(level: 2)"));
    assert!(sdl.contains("price: Int! @join__field(graph: PRICING) @cacheControl(maxAge: 5)"));
    // Directives that are not composed stay in their subgraph.
    assert!(!sdl.contains("internal"));
    assert!(supergraph.hints().is_empty());
}

#[test]
fn progressive_override_labels_keep_both_subgraphs() {
    let supergraph = assert_composes("override_labels");
    let sdl = supergraph.sdl();
    // A key field stays used in the overridden subgraph.
    assert!(sdl.contains(
        "sku: String! @join__field(graph: LEGACY, usedOverridden: true, overrideLabel: \"percent(12.5)\") @join__field(graph: MODERN, override: \"legacy\", overrideLabel: \"percent(12.5)\")"
    ));
    assert!(sdl.contains("overrideLabel: \"percent(100)\""));
    assert!(sdl.contains(
        "stock: Int! @join__field(graph: LEGACY, overrideLabel: \"inventory-v2/rollout:eu.1\") @join__field(graph: MODERN, override: \"legacy\", overrideLabel: \"inventory-v2/rollout:eu.1\")"
    ));
    let hints: Vec<(&str, &str)> = supergraph
        .hints()
        .iter()
        .map(|h| (h.code.as_str(), h.element.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(
        hints,
        [
            ("OVERRIDE_MIGRATION_IN_PROGRESS", "Product.sku"),
            ("OVERRIDE_MIGRATION_IN_PROGRESS", "Product.price"),
            ("OVERRIDE_MIGRATION_IN_PROGRESS", "Product.stock"),
            ("FROM_SUBGRAPH_DOES_NOT_EXIST", "Product.rating"),
        ]
    );
    assert!(supergraph.hints()[3].to_string().contains(
        "hint[FROM_SUBGRAPH_DOES_NOT_EXIST]: Source subgraph \"reviews\" for field \"Product.rating\" on subgraph \"modern\" does not exist.\n  --> tests/cases/override_labels/modern.graphql:8:3"
    ));
}

#[test]
fn override_hints_say_what_can_be_removed() {
    let hints: Vec<String> = compose_case("override")
        .hints()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(hints.iter().any(|h| h.starts_with("hint[OVERRIDDEN_FIELD_CAN_BE_REMOVED]: Field \"Product.inventory\" on subgraph \"legacy\" is overridden. Consider removing it.")), "{hints:#?}");
    assert!(hints.iter().any(|h| h.starts_with("hint[OVERRIDDEN_FIELD_CAN_BE_REMOVED]: Field \"Product.sku\" on subgraph \"legacy\" is overridden. It is still used")), "{hints:#?}");
}

#[test]
fn federation_1_subgraphs_follow_the_federation_1_rules() {
    let sdl = assert_composes("federation_1_rules").into_sdl();
    // @key on an interface and @requires on an interface field are ignored.
    assert!(sdl.contains(
        "interface Node\n  @join__type(graph: ACCOUNTS)\n{\n  id: ID!\n  label: String\n}"
    ));
    // @provides of a leaf type is dropped; selections lose the fields that are not external.
    assert!(sdl.contains("email: String @join__field(graph: ACCOUNTS)\n"));
    assert!(sdl.contains("author: User! @join__field(graph: REVIEWS, provides: \"name\")"));
    assert!(sdl.contains("nickname: String @join__field(graph: REVIEWS, requires: \"name\")"));
    // Fields resolved by several Federation 1 subgraphs are shareable; @external on a type is ignored.
    assert!(sdl.contains("name: String! @join__field(graph: ACCOUNTS) @join__field(graph: PROFILES) @join__field(graph: REVIEWS, external: true)"));
    assert!(sdl.contains("type Stats\n  @join__type(graph: PROFILES)\n  @join__type(graph: REVIEWS)\n{\n  count: Int!\n}"));
}

#[test]
fn satisfiability_follows_provides_and_requires() {
    let sdl = assert_composes("satisfiability_through_provides").into_sdl();
    assert!(sdl.contains("@join__type(graph: ACCOUNTS, key: \"id\", resolvable: false)"));
    assert!(sdl.contains("sentiment: Float @join__field(graph: RATINGS, requires: \"body\")"));
}

// ------------------------------------------------------------------------------------------
// The committed supergraph

#[test]
fn committed_supergraph_matches_a_fresh_composition() {
    let config = SupergraphConfig::load(crate_dir().join("supergraph.toml")).unwrap();
    let inputs = config.read_subgraphs().unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let fresh = compose(&inputs).unwrap_or_else(|errors| {
        panic!(
            "schema/supergraph.toml does not compose:\n{}",
            render(&errors)
        )
    });
    let committed = fs::read_to_string(crate_dir().join("supergraph.graphql")).unwrap_or_default();
    if committed != fresh.sdl() {
        let first_difference = committed
            .lines()
            .zip(fresh.sdl().lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(fresh.sdl().lines().count()) + 1,
                |index| index + 1,
            );
        panic!(
            "schema/supergraph.graphql is out of date (first difference at line {first_difference}): \
             recompose with `cargo run -p shopgraph-schema -- compose` from the workspace root"
        );
    }
}

// ------------------------------------------------------------------------------------------
// Config file

#[test]
fn config_errors_name_file_and_line() {
    let path = Path::new("conf/supergraph.toml");
    let error = SupergraphConfig::parse("[subgraphs.users]\nurl = \"http://x\"\nsdl = 42\n", path)
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::Invalid { line: 3, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with("conf/supergraph.toml:3:"),
        "{error}"
    );

    let error =
        SupergraphConfig::parse("[subgraphs.users]\nsdl = \"users.graphql\"\n", path).unwrap_err();
    assert!(error.to_string().contains("missing field `url`"), "{error}");

    let error = SupergraphConfig::parse("", path).unwrap_err();
    assert!(
        matches!(error, ConfigError::NoSubgraphs { .. }),
        "{error:?}"
    );

    let config = SupergraphConfig::parse(
        "[subgraphs.b]\nurl = \"http://b\"\nsdl = \"b.graphql\"\n\n[subgraphs.a]\nurl = \"http://a\"\nsdl = \"sub/a.graphql\"\n",
        path,
    )
    .unwrap();
    let subgraphs: Vec<(&str, Option<&Path>, usize)> = config
        .subgraphs
        .iter()
        .map(|s| (s.name.as_str(), s.sdl.as_deref(), s.line))
        .collect();
    assert_eq!(
        subgraphs,
        [
            ("a", Some(Path::new("conf/sub/a.graphql")), 7),
            ("b", Some(Path::new("conf/b.graphql")), 3),
        ]
    );
    assert_eq!(
        config.default_output(),
        Path::new("conf/supergraph.graphql")
    );
    let errors = config.read_subgraphs().unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .to_string()
            .starts_with("conf/sub/a.graphql: cannot read the SDL of subgraph \"a\" (configured at conf/supergraph.toml:7)"),
        "{}",
        errors[0]
    );
}

// ------------------------------------------------------------------------------------------
// The `schema` command

/// A scratch directory, emptied on creation and removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("shopgraph-schema-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn schema_command(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schema"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn copy_shop_case(scratch: &Scratch, into: &str) {
    for file in [
        "supergraph.toml",
        "users.graphql",
        "products.graphql",
        "carts.graphql",
    ] {
        let text = fs::read_to_string(case_dir("shop").join(file)).unwrap();
        scratch.write(&format!("{into}/{file}"), &text);
    }
}

#[test]
fn cli_composes_the_default_config_from_the_current_directory() {
    let scratch = Scratch::new("default-config");
    copy_shop_case(&scratch, "schema");
    let output = schema_command(&scratch.0, &["compose"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("composed 3 subgraphs (carts, products, users)"),
        "{stderr}"
    );
    let written = fs::read_to_string(scratch.0.join("schema/supergraph.graphql")).unwrap();
    assert_eq!(written, compose_case("shop").sdl());
}

#[test]
fn cli_takes_config_and_output_paths() {
    let scratch = Scratch::new("paths");
    copy_shop_case(&scratch, "conf");
    let output = schema_command(
        &scratch.0,
        &[
            "compose",
            "--config",
            "conf/supergraph.toml",
            "--out=out.graphql",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(scratch.0.join("out.graphql").exists());
    assert!(!scratch.0.join("conf/supergraph.graphql").exists());
}

#[test]
fn cli_reports_composition_errors_with_file_and_line_and_writes_nothing() {
    let scratch = Scratch::new("errors");
    scratch.write(
        "supergraph.toml",
        "[subgraphs.a]\nurl = \"http://a\"\nsdl = \"a.graphql\"\n\n[subgraphs.b]\nurl = \"http://b\"\nsdl = \"b.graphql\"\n",
    );
    scratch.write("a.graphql", "type Query {\n  a: Int\n  b: Strin\n}\n");
    scratch.write("b.graphql", "type Query {\n  a: Int\n}\n");
    let output = schema_command(&scratch.0, &["compose", "--config", "supergraph.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("error[INVALID_GRAPHQL]"), "{stderr}");
    assert!(
        stderr.contains("--> a.graphql:3:6 (subgraph \"a\")"),
        "{stderr}"
    );
    assert!(
        stderr.contains("composition failed with 1 error"),
        "{stderr}"
    );
    assert!(!scratch.0.join("supergraph.graphql").exists());
}

#[test]
fn cli_reports_config_problems_with_file_and_line() {
    let scratch = Scratch::new("config");
    scratch.write("bad.toml", "[subgraphs.a]\nurl = \"http://a\"\nsdl = \n");
    let output = schema_command(&scratch.0, &["compose", "--config", "bad.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("bad.toml:3:"), "{stderr}");

    scratch.write(
        "missing.toml",
        "[subgraphs.a]\nurl = \"http://a\"\nsdl = \"nowhere.graphql\"\n",
    );
    let output = schema_command(&scratch.0, &["compose", "--config", "missing.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("nowhere.graphql"), "{stderr}");
    assert!(stderr.contains("configured at missing.toml:3"), "{stderr}");

    let output = schema_command(&scratch.0, &["compose", "--config", "absent.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("absent.toml: cannot read config file"),
        "{stderr}"
    );

    let output = schema_command(&scratch.0, &["frobnicate"]);
    assert!(!output.status.success());
}

#[test]
fn cli_refuses_unknown_options_by_name_and_prints_its_version() {
    let scratch = Scratch::new("cli-options");
    let output = schema_command(&scratch.0, &["compose", "--outt", "x.graphql"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unexpected argument '--outt'"), "{stderr}");
    // An option of the other command is refused too.
    let output = schema_command(&scratch.0, &["compose", "--against", "x.graphql"]);
    assert_eq!(output.status.code(), Some(2));

    let output = schema_command(&scratch.0, &["--version"]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("schema {}", env!("CARGO_PKG_VERSION"))
    );
    let output = schema_command(&scratch.0, &["check", "--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--config",
        "--against",
        "--operations",
        "--format",
        "--accept",
    ] {
        assert!(help.contains(option), "{option} in {help}");
    }
}

#[test]
fn cli_prints_hints_and_still_writes_the_supergraph() {
    let scratch = Scratch::new("hints");
    scratch.write(
        "supergraph.toml",
        "[subgraphs.legacy]\nurl = \"http://legacy\"\nsdl = \"legacy.graphql\"\n\n[subgraphs.modern]\nurl = \"http://modern\"\nsdl = \"modern.graphql\"\n",
    );
    for name in ["legacy", "modern"] {
        let text =
            fs::read_to_string(case_dir("override").join(format!("{name}.graphql"))).unwrap();
        scratch.write(&format!("{name}.graphql"), &text);
    }
    let output = schema_command(&scratch.0, &["compose", "--config", "supergraph.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("hint[OVERRIDDEN_FIELD_CAN_BE_REMOVED]: Field \"Product.inventory\" on subgraph \"legacy\" is overridden. Consider removing it.\n  --> legacy.graphql:6:3 (subgraph \"legacy\")"),
        "{stderr}"
    );
    assert!(scratch.0.join("supergraph.graphql").exists());
}

// ------------------------------------------------------------------------------------------
// Subgraphs printing every federation definition (issue 10)

#[test]
fn full_printed_sdl_with_every_federation_definition_composes() {
    let full = assert_composes("full_sdl");
    // The same subgraphs written by hand, without the federation definitions.
    let hand_written = compose(&[
        SubgraphInput::new(
            "products",
            "http://products.example/graphql",
            "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.0\", import: [\"@key\"])\n\
             type Query { product: Product }\ntype Product @key(fields: \"id\") { id: ID! }",
        ),
        SubgraphInput::new(
            "reviews",
            "http://reviews.example/graphql",
            "schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\", \"@shareable\", {name: \"@external\", as: \"@remote\"}, \"FieldSet\"]) { query: Query }\n\
             type Query { reviews: [Review!]! @shareable }\ntype Review { body: String! product: Product! }\n\
             type Product @key(fields: \"id\") { id: ID! rating: Int }",
        ),
    ])
    .unwrap_or_else(|errors| panic!("{}", render(&errors)));
    assert_eq!(full.sdl(), hand_written.sdl());
    assert!(!full.sdl().contains("federation__"));
}

#[test]
fn error_federation_definitions_incompatible_with_the_spec() {
    assert_fails(
        "error_federation_definitions",
        &[
            "DIRECTIVE_DEFINITION_INVALID",
            "DIRECTIVE_DEFINITION_INVALID",
            "DIRECTIVE_DEFINITION_INVALID",
            "TYPE_DEFINITION_INVALID",
            "TYPE_DEFINITION_INVALID",
        ],
    );
}

#[test]
fn error_link_import_type_undefined_next_to_a_link_definition() {
    let errors = assert_fails("error_link_import_undefined", &["INVALID_GRAPHQL"]);
    assert!(
        errors[0].message.contains("Unknown type link__Import"),
        "{}",
        errors[0]
    );
}

#[test]
fn satisfiability_key_fields_fetched_from_a_third_subgraph_first() {
    let sdl = assert_composes("satisfiability_key_via_third_subgraph").into_sdl();
    assert!(sdl.contains("@join__type(graph: PRICING, key: \"book { sku }\")"));
}

#[test]
fn satisfiability_interface_without_implementations_is_vacuous() {
    let sdl = assert_composes("satisfiability_interface_without_implementations").into_sdl();
    assert!(sdl.contains(
        "@join__type(graph: LABELS, key: \"id\", resolvable: false, isInterfaceObject: true)"
    ));
}

#[test]
fn provides_through_an_interface_typed_field() {
    let sdl = assert_composes("provides_through_interface").into_sdl();
    assert!(sdl.contains("provides: \"residents { name }\""));
}

#[test]
fn error_satisfiability_key_fields_third_subgraph_not_reachable() {
    let errors = assert_fails(
        "error_satisfiability_key_via_third_subgraph",
        &["SATISFIABILITY_ERROR", "SATISFIABILITY_ERROR"],
    );
    let mut elements: Vec<&str> = errors.iter().filter_map(|e| e.element.as_deref()).collect();
    elements.sort_unstable();
    assert_eq!(elements, ["Book.sku", "Shelf.discount"]);
}

#[test]
fn interface_object_next_to_federation_1_subgraphs_without_interface_keys() {
    let sdl = assert_composes("interface_object_federation_1").into_sdl();
    assert!(sdl.contains("@join__type(graph: B, key: \"id\", isInterfaceObject: true)"));
    assert!(sdl.contains("legacy: Int @join__field(graph: LEGACY)"));
}

// ------------------------------------------------------------------------------------------
// Demand control (issue 9)

#[test]
fn cost_and_list_size_are_composed_for_demand_control() {
    let supergraph = assert_composes("cost_and_list_size");
    let sdl = supergraph.sdl();
    assert!(sdl.contains(
        "@link(url: \"https://specs.apollo.dev/cost/v0.1\", import: [\"@cost\", \"@listSize\"])"
    ));
    // The highest weight; the list sizes combined (largest assumed size, every slicing
    // argument, one required only if every subgraph requires it).
    assert!(sdl.contains("expensive: Int @cost(weight: 20)"), "{sdl}");
    assert!(sdl.contains("@listSize(assumedSize: 7, slicingArguments: [\"first\", \"last\"], requireOneSlicingArgument: false)"), "{sdl}");
    assert!(sdl.contains("  @cost(weight: 2)\n{"), "{sdl}");
    assert!(sdl.contains("@listSize(sizedFields: [\"nodes\"])"));
    assert!(sdl.contains("reason: String @cost(weight: 6)"));
    assert!(sdl.contains("max: Int @cost(weight: 5)"), "{sdl}");
    // Clients never see them.
    let api = shopgraph_schema::check::api_schema(sdl, "supergraph.graphql")
        .unwrap()
        .to_string();
    assert!(
        !api.contains("@cost") && !api.contains("@listSize"),
        "{api}"
    );
}

#[test]
fn satisfiability_composite_key_collected_from_two_subgraphs() {
    let sdl = assert_composes("satisfiability_key_from_two_subgraphs").into_sdl();
    assert!(sdl.contains("@join__type(graph: C, key: \"x y\")"));
}
