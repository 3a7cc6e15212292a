//! `schema check`: change classification (one case per change class), recorded operations,
//! accepted changes, and the command's output and exit codes.

use std::collections::BTreeSet;
use std::fs;

use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;
use serde_json::Value;
use shopgraph_schema::check::{
    self, ChangeCode, CheckReport, OperationFile, Severity, Status, check_schemas,
};
use shopgraph_schema::{SubgraphInput, compose};

use super::{Scratch, copy_shop_case, schema_command};

fn schema(sdl: &str) -> Valid<Schema> {
    Schema::parse_and_validate(sdl, "schema.graphql").unwrap()
}

/// `(id, severity)` of every change from `old` to `new`.
fn changes(old: &str, new: &str) -> Vec<(String, Severity)> {
    check::diff(&schema(old), &schema(new))
        .into_iter()
        .map(|c| (c.id(), c.severity))
        .collect()
}

fn ids(list: &[(&str, Severity)]) -> Vec<(String, Severity)> {
    list.iter().map(|(id, s)| (id.to_string(), *s)).collect()
}

/// Every pair below, with the changes it must produce; together they cover every change code.
/// An old schema, a new one, and the changes between them.
type Case = (&'static str, &'static str, Vec<(String, Severity)>);

fn cases() -> Vec<Case> {
    use Severity::{Breaking, Dangerous, Safe};
    vec![
        (
            "type Query { a: Int } type Old { x: Int } enum Kind { A }",
            "type Query { a: Int } type New { x: Int } scalar Kind",
            ids(&[
                ("TYPE_ADDED:New", Safe),
                ("TYPE_KIND_CHANGED:Kind", Breaking),
                ("TYPE_REMOVED:Old", Breaking),
            ]),
        ),
        (
            "\"Before\" type Query { a: Int }",
            "\"After\" type Query { a: Int }",
            ids(&[("TYPE_DESCRIPTION_CHANGED:Query", Safe)]),
        ),
        (
            "schema { query: Q mutation: M } type Q { a: Int } type M { b: Int }",
            "schema { query: Query subscription: S } type Query { a: Int } type S { c: Int }",
            ids(&[
                ("ROOT_TYPE_ADDED:schema.subscription", Safe),
                ("ROOT_TYPE_CHANGED:schema.query", Breaking),
                ("ROOT_TYPE_REMOVED:schema.mutation", Breaking),
                ("TYPE_ADDED:Query", Safe),
                ("TYPE_ADDED:S", Safe),
                ("TYPE_REMOVED:M", Breaking),
                ("TYPE_REMOVED:Q", Breaking),
            ]),
        ),
        (
            // Outputs: removing, loosening nullability and changing the type break; adding
            // fields and tightening nullability are safe.
            r#"type Query {
                gone: Int
                loose: Int!
                tight: Int
                list: [Int]
                other: Int
                "doc" described: Int
                deprecate: Int
                undeprecate: Int @deprecated
                reason: Int @deprecated(reason: "a")
            }"#,
            r#"type Query {
                loose: Int
                tight: Int!
                list: [Int!]!
                other: String
                "new doc" described: Int
                deprecate: Int @deprecated
                undeprecate: Int
                reason: Int @deprecated(reason: "b")
                added: Int
            }"#,
            ids(&[
                ("FIELD_ADDED:Query.added", Safe),
                ("FIELD_DESCRIPTION_CHANGED:Query.described", Safe),
                ("FIELD_DEPRECATED:Query.deprecate", Safe),
                ("FIELD_REMOVED:Query.gone", Breaking),
                ("FIELD_TYPE_CHANGED:Query.list", Safe),
                ("FIELD_TYPE_CHANGED:Query.loose", Breaking),
                ("FIELD_TYPE_CHANGED:Query.other", Breaking),
                ("FIELD_DEPRECATION_REASON_CHANGED:Query.reason", Safe),
                ("FIELD_TYPE_CHANGED:Query.tight", Safe),
                ("FIELD_DEPRECATION_REMOVED:Query.undeprecate", Safe),
            ]),
        ),
        (
            // Inputs: removing, tightening nullability and new required ones break; loosening
            // and new optional ones are safe; changed defaults are dangerous.
            r#"type Query {
                f(gone: Int, tighten: Int, loosen: Int!, retype: Int, default: Int = 1, "d" doc: Int): Int
            }"#,
            r#"type Query {
                f(tighten: Int!, loosen: Int, retype: String, default: Int = 2, "e" doc: Int, required: Int!, optional: Int, requiredWithDefault: Int! = 3): Int
            }"#,
            ids(&[
                ("ARGUMENT_DEFAULT_CHANGED:Query.f(default:)", Dangerous),
                ("ARGUMENT_DESCRIPTION_CHANGED:Query.f(doc:)", Safe),
                ("ARGUMENT_REMOVED:Query.f(gone:)", Breaking),
                ("ARGUMENT_TYPE_CHANGED:Query.f(loosen:)", Safe),
                ("OPTIONAL_ARGUMENT_ADDED:Query.f(optional:)", Safe),
                ("REQUIRED_ARGUMENT_ADDED:Query.f(required:)", Breaking),
                (
                    "OPTIONAL_ARGUMENT_ADDED:Query.f(requiredWithDefault:)",
                    Safe,
                ),
                ("ARGUMENT_TYPE_CHANGED:Query.f(retype:)", Breaking),
                ("ARGUMENT_TYPE_CHANGED:Query.f(tighten:)", Breaking),
            ]),
        ),
        (
            r#"type Query { f(i: I): Int }
               input I { gone: Int tighten: Int loosen: Int! default: Int = 1 "d" doc: Int }"#,
            r#"type Query { f(i: I): Int }
               input I { tighten: Int! loosen: Int default: Int = 2 "e" doc: Int required: Int! optional: Int }"#,
            ids(&[
                ("INPUT_FIELD_DEFAULT_CHANGED:I.default", Dangerous),
                ("INPUT_FIELD_DESCRIPTION_CHANGED:I.doc", Safe),
                ("INPUT_FIELD_REMOVED:I.gone", Breaking),
                ("INPUT_FIELD_TYPE_CHANGED:I.loosen", Safe),
                ("OPTIONAL_INPUT_FIELD_ADDED:I.optional", Safe),
                ("REQUIRED_INPUT_FIELD_ADDED:I.required", Breaking),
                ("INPUT_FIELD_TYPE_CHANGED:I.tighten", Breaking),
            ]),
        ),
        (
            r#"type Query { e: E } enum E { KEEP GONE "d" DOC OLD @deprecated }"#,
            r#"type Query { e: E } enum E { KEEP @deprecated NEW "e" DOC OLD KEEP2 @deprecated }"#,
            ids(&[
                ("ENUM_VALUE_DESCRIPTION_CHANGED:E.DOC", Safe),
                ("ENUM_VALUE_DEPRECATED:E.KEEP", Safe),
                ("ENUM_VALUE_REMOVED:E.GONE", Breaking),
                ("ENUM_VALUE_ADDED:E.KEEP2", Dangerous),
                ("ENUM_VALUE_ADDED:E.NEW", Dangerous),
                ("ENUM_VALUE_DEPRECATION_REMOVED:E.OLD", Safe),
            ]),
        ),
        (
            r#"type Query { u: U n: N } union U = A | B interface N { id: ID }
               type A implements N { id: ID } type B { id: ID } type C implements N { id: ID }"#,
            r#"type Query { u: U n: N } union U = A | C interface N { id: ID }
               type A { id: ID } type B implements N { id: ID } type C implements N { id: ID }"#,
            ids(&[
                ("IMPLEMENTED_INTERFACE_REMOVED:A.N", Breaking),
                ("IMPLEMENTED_INTERFACE_ADDED:B.N", Dangerous),
                ("UNION_MEMBER_REMOVED:U.B", Breaking),
                ("UNION_MEMBER_ADDED:U.C", Dangerous),
            ]),
        ),
        (
            r#"type Query { d: D } scalar D @specifiedBy(url: "https://a.example")"#,
            r#"type Query { d: D } scalar D @specifiedBy(url: "https://b.example")"#,
            ids(&[("SCALAR_SPECIFIED_BY_CHANGED:D", Dangerous)]),
        ),
        (
            r#"type Query { a: Int }
               directive @gone on FIELD
               directive @trace(level: Int, gone: Int, retype: Int, default: Int = 1) repeatable on FIELD | QUERY
               directive @once on FIELD"#,
            r#"type Query { a: Int }
               directive @new on FIELD
               directive @trace(level: Int, retype: String, default: Int = 2, required: Int!, optional: Int) on FIELD | MUTATION
               directive @once repeatable on FIELD"#,
            ids(&[
                ("DIRECTIVE_REMOVED:@gone", Breaking),
                ("DIRECTIVE_ADDED:@new", Safe),
                ("DIRECTIVE_REPEATABLE_ADDED:@once", Safe),
                ("DIRECTIVE_REPEATABLE_REMOVED:@trace", Breaking),
                (
                    "DIRECTIVE_ARGUMENT_DEFAULT_CHANGED:@trace(default:)",
                    Dangerous,
                ),
                ("DIRECTIVE_ARGUMENT_REMOVED:@trace(gone:)", Breaking),
                ("OPTIONAL_DIRECTIVE_ARGUMENT_ADDED:@trace(optional:)", Safe),
                (
                    "REQUIRED_DIRECTIVE_ARGUMENT_ADDED:@trace(required:)",
                    Breaking,
                ),
                ("DIRECTIVE_ARGUMENT_TYPE_CHANGED:@trace(retype:)", Breaking),
                ("DIRECTIVE_LOCATION_ADDED:@trace.MUTATION", Safe),
                ("DIRECTIVE_LOCATION_REMOVED:@trace.QUERY", Breaking),
            ]),
        ),
    ]
}

#[test]
fn every_change_class_is_classified() {
    let mut seen = BTreeSet::new();
    for (old, new, expected) in cases() {
        let mut found = changes(old, new);
        let mut expected = expected;
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "from:\n{old}\nto:\n{new}");
        for change in check::diff(&schema(old), &schema(new)) {
            seen.insert(change.code);
            assert!(!change.message.is_empty());
        }
    }
    let missing: Vec<&str> = ChangeCode::ALL
        .iter()
        .filter(|code| !seen.contains(code))
        .map(|code| code.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "change codes without a case: {missing:?}"
    );
}

#[test]
fn messages_say_what_changed() {
    let messages: Vec<String> = check::diff(
        &schema("type Query { a: Int! f(x: Int): Int }"),
        &schema("type Query { a: Int f(x: Int!): Int }"),
    )
    .into_iter()
    .map(|c| c.message)
    .collect();
    assert_eq!(
        messages,
        [
            "Field \"Query.a\" changed type from \"Int!\" to \"Int\": it may be null now.",
            "Argument \"Query.f(x:)\" changed type from \"Int\" to \"Int!\": it is required now.",
        ]
    );
}

/// The API schema of composing one subgraph `sdl`.
fn api(sdl: &str) -> Valid<Schema> {
    let supergraph = compose(&[SubgraphInput::new("a", "http://a", sdl)]).unwrap();
    check::api_schema(supergraph.sdl(), "supergraph.graphql").unwrap()
}

const LINK: &str = r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@inaccessible", "@tag"])"#;

#[test]
fn the_api_schema_leaves_out_machinery_and_inaccessible_elements() {
    let old = api(&format!("{LINK}\ntype Query {{ a: Int }}"));
    let new = api(&format!(
        "{LINK}\ntype Query {{ a: Int @tag(name: \"x\") secret: Int @inaccessible hidden: Hidden @inaccessible }}\ntype Hidden @inaccessible {{ x: Int }}"
    ));
    assert_eq!(check::diff(&old, &new), []);
    assert!(!new.types.keys().any(|name| name.starts_with("join__")));
    let added = check::diff(
        &old,
        &api(&format!("{LINK}\ntype Query {{ a: Int b: Int }}")),
    );
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].id(), "FIELD_ADDED:Query.b");
}

const OLD: &str = r#"
type Query {
  products(first: Int, filter: Filter, order: Order): [Product!]!
  search: [Result!]!
  node: Node
}
interface Node { id: ID! }
type Product implements Node { id: ID! name: String! weight: Int price: Int }
type Review implements Node { id: ID! body: String }
union Result = Product | Review
input Filter { name: String category: String }
enum Order { NAME PRICE }
directive @trace(level: Int) on FIELD
"#;

const NEW: &str = r#"
type Query {
  products(first: Int, filter: Filter, order: Order, region: String!): [Product!]!
  search: [Result!]!
  node: Node
}
interface Node { id: ID! }
type Product implements Node { id: ID! name: String! price: String }
type Review { id: ID! body: String }
union Result = Product
input Filter { name: String }
enum Order { NAME }
"#;

fn operation(name: &str, text: &str) -> OperationFile {
    OperationFile {
        path: format!("ops/{name}.graphql").into(),
        text: text.to_owned(),
    }
}

fn report(operations: &[OperationFile], accepted: &[&str]) -> CheckReport {
    let accepted: Vec<String> = accepted.iter().map(|s| s.to_string()).collect();
    check_schemas(&schema(OLD), &schema(NEW), Some(operations), &accepted).unwrap()
}

/// `id -> (status, operation names)` of every breaking change.
fn breaking(report: &CheckReport) -> Vec<(String, Status, Vec<String>)> {
    report
        .changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .map(|c| {
            (
                c.id.clone(),
                c.status,
                c.operations.iter().map(|o| o.name.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn recorded_operations_decide_which_breaking_changes_matter() {
    let operations = [
        operation(
            "names",
            "query Names { products(first: 2, filter: { name: \"x\" }) { name } }",
        ),
        operation(
            "weights",
            "query Weights($filter: Filter) { products(filter: $filter) { weight } }\nquery Prices { products(order: PRICE) { price } }",
        ),
        operation(
            "search",
            "query Search { search { ... on Review { body } ...P } node { ... on Review { id } } }\nfragment P on Product { name @trace(level: 1) }",
        ),
    ];
    let report = report(&operations, &[]);
    let mut expected: Vec<(String, Status, Vec<String>)> = [
        ("INPUT_FIELD_REMOVED:Filter.category", vec!["Weights"]),
        ("IMPLEMENTED_INTERFACE_REMOVED:Review.Node", vec!["Search"]),
        ("ENUM_VALUE_REMOVED:Order.PRICE", vec!["Prices"]),
        ("FIELD_TYPE_CHANGED:Product.price", vec!["Prices"]),
        ("FIELD_REMOVED:Product.weight", vec!["Weights"]),
        (
            "REQUIRED_ARGUMENT_ADDED:Query.products(region:)",
            vec!["Names", "Weights", "Prices"],
        ),
        ("UNION_MEMBER_REMOVED:Result.Review", vec!["Search"]),
        ("DIRECTIVE_REMOVED:@trace", vec!["Search"]),
    ]
    .into_iter()
    .map(|(id, names)| {
        (
            id.to_owned(),
            Status::Breaking,
            names.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect();
    let mut found = breaking(&report);
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
    assert!(report.fails());
    assert_eq!(report.exit_code(), 1);

    let operations = report.operations.as_ref().unwrap();
    assert_eq!(operations.checked, 4);
    let broken: Vec<(&str, usize)> = operations
        .broken
        .iter()
        .map(|b| (b.name.as_str(), b.errors.len()))
        .collect();
    assert_eq!(
        broken,
        [("Names", 1), ("Weights", 3), ("Prices", 2), ("Search", 3)],
        "{:#?}",
        operations.broken
    );
    assert!(
        operations.broken[1]
            .errors
            .iter()
            .any(|e| e.contains("does not have a field `weight`")),
        "{:?}",
        operations.broken[1]
    );
}

#[test]
fn breaking_changes_no_operation_uses_are_safe_for_now() {
    let report = report(&[operation("nodes", "query Nodes { node { id } }")], &[]);
    assert!(
        report
            .changes
            .iter()
            .filter(|c| c.severity == Severity::Breaking)
            .all(|c| c.status == Status::SafeForNow && c.operations.is_empty())
    );
    assert!(!report.fails());
    assert_eq!(report.exit_code(), 0);
    let human = check::render_human(&report);
    assert!(
        human.contains("Breaking changes no recorded operation uses (safe for now) (8):"),
        "{human}"
    );
    assert!(
        human.contains("Result: PASS (0 breaking, 8 safe for now"),
        "{human}"
    );
}

#[test]
fn accepted_breaking_changes_do_not_fail_the_check() {
    let operations = [operation(
        "weights",
        "query Weights { products { weight } }",
    )];
    let one = report(&operations, &["FIELD_REMOVED:Product.weight"]);
    // The operation also misses the new required argument, which is not accepted.
    assert!(one.fails(), "{}", check::render_human(&one));
    let partly = report(
        &operations,
        &[
            "FIELD_REMOVED:Product.weight",
            "REQUIRED_ARGUMENT_ADDED:Query.products(region:)",
        ],
    );
    assert!(!partly.fails(), "{}", check::render_human(&partly));
    let accepted = partly
        .changes
        .iter()
        .find(|c| c.id == "FIELD_REMOVED:Product.weight")
        .unwrap();
    assert_eq!(accepted.status, Status::Accepted);
    assert!(partly.operations.as_ref().unwrap().broken[0].accepted);

    // Without operations, every breaking change must be accepted.
    let accepted_all: Vec<String> = check::diff(&schema(OLD), &schema(NEW))
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .map(|c| c.id())
        .collect();
    let mut ids: Vec<&str> = accepted_all.iter().map(String::as_str).collect();
    let last = ids.pop().unwrap();
    let some = check_schemas(
        &schema(OLD),
        &schema(NEW),
        None,
        &ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(some.fails());
    assert_eq!(some.count(Status::Breaking), 1);
    ids.push(last);
    ids.push("FIELD_REMOVED:Nope.nothing");
    let all = check_schemas(
        &schema(OLD),
        &schema(NEW),
        None,
        &ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!all.fails());
    assert_eq!(all.unknown_accepted, ["FIELD_REMOVED:Nope.nothing"]);
    assert!(
        check::render_human(&all)
            .contains("warning: --accept FIELD_REMOVED:Nope.nothing matches no change")
    );
}

#[test]
fn operations_invalid_before_are_warnings_and_unparsable_ones_errors() {
    let report = report(
        &[operation(
            "old",
            "query Old { products(region: \"x\") { name } }",
        )],
        &[],
    );
    let operations = report.operations.as_ref().unwrap();
    assert_eq!(operations.invalid_before.len(), 1);
    assert!(operations.broken.is_empty());
    assert!(check::render_human(&report).contains(
        "warning: ops/old.graphql does not validate against the committed API schema either"
    ));

    let error = check_schemas(
        &schema(OLD),
        &schema(NEW),
        Some(&[operation("bad", "query {")]),
        &[],
    )
    .unwrap_err();
    assert!(
        error.starts_with("ops/bad.graphql: not a GraphQL document"),
        "{error}"
    );
}

#[test]
fn json_report_lists_changes_operations_and_result() {
    let report = report(
        &[operation(
            "weights",
            "query Weights { products { weight } }",
        )],
        &["ENUM_VALUE_REMOVED:Order.PRICE"],
    );
    let json: Value = serde_json::from_str(&check::render_json(&report)).unwrap();
    assert_eq!(json["result"], "fail");
    let change = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "FIELD_REMOVED:Product.weight")
        .unwrap();
    assert_eq!(change["code"], "FIELD_REMOVED");
    assert_eq!(change["coordinate"], "Product.weight");
    assert_eq!(change["severity"], "breaking");
    assert_eq!(change["status"], "breaking");
    assert_eq!(change["operations"][0]["name"], "Weights");
    assert_eq!(change["operations"][0]["file"], "ops/weights.graphql");
    let accepted = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "ENUM_VALUE_REMOVED:Order.PRICE")
        .unwrap();
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(json["operations"]["checked"], 1);
    assert_eq!(json["operations"]["broken"][0]["name"], "Weights");
}

// ------------------------------------------------------------------------------------------
// The command

fn shop_with_products_change(scratch: &Scratch, edit: impl Fn(&str) -> String) {
    copy_shop_case(scratch, "schema");
    let composed = schema_command(&scratch.0, &["compose"]);
    assert!(composed.status.success());
    let path = scratch.0.join("schema/products.graphql");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, edit(&text)).unwrap();
}

fn output(out: &std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_check_passes_without_breaking_changes() {
    let scratch = Scratch::new("check-pass");
    copy_shop_case(&scratch, "schema");
    assert!(schema_command(&scratch.0, &["compose"]).status.success());
    let (code, stdout, stderr) = output(&schema_command(&scratch.0, &["check"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("No changes to the API schema."), "{stdout}");

    shop_with_products_change(&scratch, |text| {
        text.replace("name: String!", "name: String!\n\tnickname: String")
    });
    let (code, stdout, stderr) = output(&schema_command(&scratch.0, &["check"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("Safe changes (1):\n  FIELD_ADDED:Product.nickname  Field \"Product.nickname\" was added.\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Result: PASS"), "{stdout}");
}

#[test]
fn cli_check_fails_on_breaking_changes_until_accepted() {
    let scratch = Scratch::new("check-breaking");
    shop_with_products_change(&scratch, |text| {
        let mut lines: Vec<&str> = text.lines().collect();
        let created = lines
            .iter()
            .position(|l| l.trim_start().starts_with("createdAt: DateTime!"))
            .unwrap();
        lines.remove(created);
        lines
            .join("\n")
            .replace("name: String!", "name: String!\n\tnickname: String")
    });
    let (code, stdout, _) = output(&schema_command(&scratch.0, &["check"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("Breaking changes (1):\n  FIELD_REMOVED:Product.createdAt  Field \"Product.createdAt\" was removed.\n"), "{stdout}");
    assert!(
        stdout.contains("Safe changes (1):\n  FIELD_ADDED:Product.nickname"),
        "{stdout}"
    );
    assert!(stdout.contains("Result: FAIL"), "{stdout}");

    let (code, stdout, _) = output(&schema_command(
        &scratch.0,
        &[
            "check",
            "--accept",
            "FIELD_REMOVED:Product.createdAt",
            "--format=json",
        ],
    ));
    assert_eq!(code, 0, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["result"], "pass");

    scratch.write(
        "ops/product.graphql",
        "query ProductName { product(id: \"1\") { name } }",
    );
    let (code, stdout, _) = output(&schema_command(
        &scratch.0,
        &["check", "--operations", "ops"],
    ));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("(safe for now) (1):"), "{stdout}");

    scratch.write(
        "ops/sku.graphql",
        "query ProductSku { product(id: \"1\") { createdAt } }",
    );
    let (code, stdout, _) = output(&schema_command(
        &scratch.0,
        &["check", "--operations", "ops"],
    ));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("      breaks operation ProductSku (ops/sku.graphql)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Operation ProductSku (ops/sku.graphql) no longer validates (because of FIELD_REMOVED:Product.createdAt):"),
        "{stdout}"
    );
}

#[test]
fn cli_check_exits_2_when_the_subgraphs_do_not_compose_or_inputs_are_missing() {
    let scratch = Scratch::new("check-errors");
    shop_with_products_change(&scratch, |text| {
        text.replace("type Product", "type Product @shareable @nope")
    });
    let (code, stdout, stderr) = output(&schema_command(&scratch.0, &["check"]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("error[INVALID_GRAPHQL]"), "{stderr}");
    assert!(stderr.contains("do not compose (1 error)"), "{stderr}");

    let (code, stdout, _) = output(&schema_command(&scratch.0, &["check", "--format", "json"]));
    assert_eq!(code, 2);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["result"], "error");
    assert_eq!(json["compositionErrors"][0]["code"], "INVALID_GRAPHQL");
    assert_eq!(
        json["compositionErrors"][0]["locations"][0]["subgraph"],
        "products"
    );

    copy_shop_case(&scratch, "schema");
    let (code, _, stderr) = output(&schema_command(
        &scratch.0,
        &["check", "--against", "missing.graphql"],
    ));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("missing.graphql: cannot read the committed supergraph"),
        "{stderr}"
    );

    let (code, _, stderr) = output(&schema_command(&scratch.0, &["check", "--format", "xml"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--format must be `human` or `json`"),
        "{stderr}"
    );
}
