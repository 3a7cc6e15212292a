//! The join v0.5 and link v1.0 specs as a supergraph carries them (and the tag, inaccessible
//! and cost specs when used): the spec URLs, their
//! directive and type definitions, and how subgraph names become `join__Graph` enum values.

use std::collections::HashMap;

pub(super) const LINK_URL: &str = "https://specs.apollo.dev/link/v1.0";
pub(super) const JOIN_URL: &str = "https://specs.apollo.dev/join/v0.5";
pub(super) const TAG_URL: &str = "https://specs.apollo.dev/tag/v0.3";
pub(super) const INACCESSIBLE_URL: &str = "https://specs.apollo.dev/inaccessible/v0.2";
/// The demand control spec of `@cost` and `@listSize`.
pub(super) const COST_URL: &str = "https://specs.apollo.dev/cost/v0.1";

/// `(name, definition)` of the directives every supergraph defines.
pub(super) const DIRECTIVE_DEFINITIONS: [(&str, &str); 8] = [
    (
        "join__directive",
        "directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION",
    ),
    (
        "join__enumValue",
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
    ),
    (
        "join__field",
        "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
    ),
    (
        "join__graph",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    ),
    (
        "join__implements",
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE",
    ),
    (
        "join__type",
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
    ),
    (
        "join__unionMember",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
    ),
    (
        "link",
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA",
    ),
];

pub(super) const INACCESSIBLE_DEFINITION: &str = "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION";

pub(super) const TAG_DEFINITION: &str = "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA";

pub(super) const COST_DEFINITION: &str = "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR";

pub(super) const LIST_SIZE_DEFINITION: &str = "directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION";

/// `(name, definition)` of the types every supergraph defines, except `join__Graph` which
/// depends on the subgraphs.
pub(super) const TYPE_DEFINITIONS: [(&str, &str); 6] = [
    (
        "join__ContextArgument",
        "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n  selection: join__FieldValue!\n}",
    ),
    (
        "join__DirectiveArguments",
        "scalar join__DirectiveArguments",
    ),
    ("join__FieldSet", "scalar join__FieldSet"),
    ("join__FieldValue", "scalar join__FieldValue"),
    ("link__Import", "scalar link__Import"),
    (
        "link__Purpose",
        "enum link__Purpose {\n  \"\"\"\n  `SECURITY` features provide metadata necessary to securely resolve fields.\n  \"\"\"\n  SECURITY\n\n  \"\"\"\n  `EXECUTION` features provide metadata necessary for operation execution.\n  \"\"\"\n  EXECUTION\n}",
    ),
];

/// The `join__Graph` enum value for each subgraph name, in the given order: the name made a
/// valid GraphQL name (other characters become `_`, a leading digit gets a `_` before it, a
/// trailing `_<digits>` gets a `_` after it) and upper-cased; names that end up equal get `_1`,
/// `_2`, ... suffixes.
pub(crate) fn graph_enum_values(names: &[&str]) -> Vec<String> {
    let sanitized: Vec<String> = names.iter().map(|name| sanitize(name)).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for value in &sanitized {
        *counts.entry(value).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    sanitized
        .iter()
        .map(|value| {
            if counts[value.as_str()] == 1 {
                value.clone()
            } else {
                let index = seen.entry(value).or_default();
                *index += 1;
                format!("{value}_{index}")
            }
        })
        .collect()
}

fn sanitize(name: &str) -> String {
    let mut value: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if value.is_empty() || value.starts_with(|c: char| c.is_ascii_digit()) {
        value.insert(0, '_');
    }
    let trailing_digits = value.len() - value.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if trailing_digits > 0 && value[..value.len() - trailing_digits].ends_with('_') {
        value.push('_');
    }
    value.to_ascii_uppercase()
}
