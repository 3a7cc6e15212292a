//! The "full SDL" form of a subgraph: what many subgraph libraries print in `_service { sdl }`.
//! Every federation directive of the linked version (under its local name: imported, renamed
//! or `federation__`-namespaced, in the signature that version of the spec has), `@link` and its
//! types, the field set scalar, and the `_Any`, `_Service`, `_Entity` machinery with the
//! `_service` and `_entities` queries are added, except what the subgraph already defines.
//! Written independently of the composer's own definitions, from the federation spec.

use std::collections::{BTreeSet, HashMap, HashSet};

use apollo_compiler::ast;

const FEDERATION_URL: &str = "https://specs.apollo.dev/federation/v";
const ALL_LOCATIONS: &str = "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION";
const AUTH_LOCATIONS: &str = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM";

/// The definition of a federation 2 directive in spec version `2.minor` (with `$FieldSet`,
/// `$Scope`, `$Policy` and `$ContextFieldValue` for the spec's types), if that version has it.
fn federation_2_directive(name: &str, minor: u32) -> Option<String> {
    let definition = match name {
        "key" => "(fields: $FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE".to_owned(),
        "requires" | "provides" => "(fields: $FieldSet!) on FIELD_DEFINITION".to_owned(),
        "external" => "(reason: String) on OBJECT | FIELD_DEFINITION".to_owned(),
        "tag" if minor >= 1 => format!("(name: String!) repeatable on {ALL_LOCATIONS} | SCHEMA"),
        "tag" => format!("(name: String!) repeatable on {ALL_LOCATIONS}"),
        "extends" => "on OBJECT | INTERFACE".to_owned(),
        "shareable" if minor >= 2 => "repeatable on OBJECT | FIELD_DEFINITION".to_owned(),
        "shareable" => "on OBJECT | FIELD_DEFINITION".to_owned(),
        "inaccessible" => format!("on {ALL_LOCATIONS}"),
        "override" if minor >= 7 => "(from: String!, label: String) on FIELD_DEFINITION".to_owned(),
        "override" => "(from: String!) on FIELD_DEFINITION".to_owned(),
        "composeDirective" if minor >= 1 => "(name: String) repeatable on SCHEMA".to_owned(),
        "interfaceObject" if minor >= 3 => "on OBJECT".to_owned(),
        "authenticated" if minor >= 5 => format!("on {AUTH_LOCATIONS}"),
        "requiresScopes" if minor >= 5 => format!("(scopes: [[$Scope!]!]!) on {AUTH_LOCATIONS}"),
        "policy" if minor >= 6 => format!("(policies: [[$Policy!]!]!) on {AUTH_LOCATIONS}"),
        "context" if minor >= 8 => "(name: String!) repeatable on INTERFACE | OBJECT | UNION".to_owned(),
        "fromContext" if minor >= 8 => "(field: $ContextFieldValue) on ARGUMENT_DEFINITION".to_owned(),
        "cost" if minor >= 9 => "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR".to_owned(),
        "listSize" if minor >= 9 => "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION".to_owned(),
        _ => return None,
    };
    Some(definition)
}

const FEDERATION_2_DIRECTIVES: [&str; 18] = [
    "key",
    "requires",
    "provides",
    "external",
    "tag",
    "extends",
    "shareable",
    "inaccessible",
    "override",
    "composeDirective",
    "interfaceObject",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "fromContext",
    "cost",
    "listSize",
];

/// Spec types and the minor version that introduced them.
const FEDERATION_2_TYPES: [(&str, u32); 4] = [
    ("FieldSet", 0),
    ("Scope", 5),
    ("Policy", 6),
    ("ContextFieldValue", 8),
];

/// What a Federation 1 library prints.
const FEDERATION_1_DEFINITIONS: [(&str, &str); 6] = [
    (
        "key",
        "directive @key(fields: _FieldSet!) repeatable on OBJECT | INTERFACE",
    ),
    (
        "requires",
        "directive @requires(fields: _FieldSet!) on FIELD_DEFINITION",
    ),
    (
        "provides",
        "directive @provides(fields: _FieldSet!) on FIELD_DEFINITION",
    ),
    (
        "external",
        "directive @external on FIELD_DEFINITION | OBJECT",
    ),
    ("extends", "directive @extends on OBJECT | INTERFACE"),
    (
        "tag",
        "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION",
    ),
];

/// The federation `@link` of a document: version, namespace, imports (spec name to local name,
/// directives without `@`).
struct FederationLink {
    minor: u32,
    namespace: String,
    imports: HashMap<String, String>,
}

fn federation_link(document: &ast::Document) -> Option<FederationLink> {
    let directives = document.definitions.iter().flat_map(|d| match d {
        ast::Definition::SchemaDefinition(def) => def.directives.iter(),
        ast::Definition::SchemaExtension(ext) => ext.directives.iter(),
        _ => [].iter(),
    });
    for directive in directives {
        if directive.name != "link" {
            continue;
        }
        let url = directive.specified_argument_by_name("url")?.as_str()?;
        let Some(version) = url.strip_prefix(FEDERATION_URL) else {
            continue;
        };
        let minor = version.strip_prefix("2.")?.parse().ok()?;
        let namespace = directive
            .specified_argument_by_name("as")
            .and_then(|v| v.as_str())
            .unwrap_or("federation")
            .to_owned();
        let items = directive
            .specified_argument_by_name("import")
            .and_then(|v| v.as_list())
            .unwrap_or_default();
        let imports = items.iter().filter_map(|item| import_names(item)).collect();
        return Some(FederationLink {
            minor,
            namespace,
            imports,
        });
    }
    None
}

/// `(name, local name)` of one `@link(import:)` item, both without `@`: `"@key"` or
/// `{ name: "@key", as: "@primaryKey" }`.
fn import_names(item: &ast::Value) -> Option<(String, String)> {
    let bare = |text: &str| text.trim_start_matches('@').to_owned();
    if let Some(name) = item.as_str() {
        return Some((bare(name), bare(name)));
    }
    let ast::Value::Object(fields) = item else {
        return None;
    };
    let text_of = |key: &str| {
        let (_, value) = fields.iter().find(|(field, _)| field == key)?;
        value.as_str().map(bare)
    };
    let name = text_of("name")?;
    Some((name.clone(), text_of("as").unwrap_or(name)))
}

/// `sdl` with the definitions a full-printing subgraph library adds. SDL that does not parse
/// is returned unchanged (its errors are what is compared).
pub(super) fn full_sdl(sdl: &str) -> String {
    let Ok(document) = ast::Document::parse(sdl, "subgraph.graphql") else {
        return sdl.to_owned();
    };
    let mut defined_directives = HashSet::new();
    let mut defined_types = HashSet::new();
    for definition in &document.definitions {
        match definition {
            ast::Definition::DirectiveDefinition(def) => {
                defined_directives.insert(def.name.to_string());
            }
            other if !other.is_extension_definition() => {
                if let Some(name) = other.name() {
                    defined_types.insert(name.to_string());
                }
            }
            _ => {}
        }
    }
    let mut added = String::new();
    let add = |name: &str, definition: String, added: &mut String| {
        if !defined_directives.contains(name) && !defined_types.contains(name) {
            added.push_str(&definition);
            added.push_str("\n\n");
        }
    };
    let key_name = match federation_link(&document) {
        Some(link) => {
            let local = |name: &str| {
                link.imports
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| format!("{}__{name}", link.namespace))
            };
            let mut types: Vec<(&str, String)> = Vec::new();
            for (ty, since) in FEDERATION_2_TYPES {
                if since <= link.minor {
                    types.push((ty, local(ty)));
                }
            }
            for directive in FEDERATION_2_DIRECTIVES {
                let Some(shape) = federation_2_directive(directive, link.minor) else {
                    continue;
                };
                let shape = types.iter().fold(shape, |text, (ty, local)| {
                    text.replace(&format!("${ty}"), local)
                });
                let name = local(directive);
                add(
                    &name.clone(),
                    format!(
                        "directive @{name}{}{shape}",
                        if shape.starts_with('(') { "" } else { " " }
                    ),
                    &mut added,
                );
            }
            add(
                "link",
                "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA".to_owned(),
                &mut added,
            );
            // A subgraph defining `@link` itself prints its own link types (or lacks them).
            let add_link_type = |name: &str, definition: String, added: &mut String| {
                if !defined_directives.contains("link") {
                    add(name, definition, added);
                }
            };
            add_link_type(
                "link__Purpose",
                "enum link__Purpose {\n  \"\"\"\n  `SECURITY` features provide metadata necessary to securely resolve fields.\n  \"\"\"\n  SECURITY\n\n  \"\"\"\n  `EXECUTION` features provide metadata necessary for operation execution.\n  \"\"\"\n  EXECUTION\n}".to_owned(),
                &mut added,
            );
            add_link_type("link__Import", "scalar link__Import".to_owned(), &mut added);
            for (_, local) in &types {
                add(local, format!("scalar {local}"), &mut added);
            }
            local("key")
        }
        None => {
            for (name, definition) in FEDERATION_1_DEFINITIONS {
                add(name, definition.to_owned(), &mut added);
            }
            add("_FieldSet", "scalar _FieldSet".to_owned(), &mut added);
            "key".to_owned()
        }
    };
    let entities: BTreeSet<String> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            ast::Definition::ObjectTypeDefinition(def) => {
                Some((&def.name, def.directives.get_all(&key_name).count()))
            }
            ast::Definition::ObjectTypeExtension(ext) => {
                Some((&ext.name, ext.directives.get_all(&key_name).count()))
            }
            _ => None,
        })
        .filter(|(_, keys)| *keys > 0)
        .map(|(name, _)| name.to_string())
        .collect();
    add("_Any", "scalar _Any".to_owned(), &mut added);
    add(
        "_Service",
        "type _Service {\n  sdl: String\n}".to_owned(),
        &mut added,
    );
    let query = query_root(&document);
    let query_fields: HashSet<String> = document
        .definitions
        .iter()
        .flat_map(|d| match d {
            ast::Definition::ObjectTypeDefinition(def) if def.name.as_str() == query => {
                def.fields.iter().map(|f| f.name.to_string()).collect()
            }
            ast::Definition::ObjectTypeExtension(ext) if ext.name.as_str() == query => {
                ext.fields.iter().map(|f| f.name.to_string()).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    if query_fields.contains("_service") {
        // The subgraph prints the machinery itself.
        return format!("{}\n\n{added}", sdl.trim_end());
    }
    let has_query = document
        .definitions
        .iter()
        .any(|d| d.name().is_some_and(|n| n.as_str() == query));
    let keyword = if has_query { "extend type" } else { "type" };
    if entities.is_empty() {
        added.push_str(&format!(
            "{keyword} {query} {{\n  _service: _Service!\n}}\n"
        ));
    } else {
        let members: Vec<&str> = entities.iter().map(String::as_str).collect();
        added.push_str(&format!("union _Entity = {}\n\n", members.join(" | ")));
        added.push_str(&format!(
            "{keyword} {query} {{\n  _entities(representations: [_Any!]!): [_Entity]!\n  _service: _Service!\n}}\n"
        ));
    }
    format!("{}\n\n{added}", sdl.trim_end())
}

/// The name of the query root type: `schema { query: X }` or `Query`.
fn query_root(document: &ast::Document) -> String {
    document
        .definitions
        .iter()
        .find_map(|d| match d {
            ast::Definition::SchemaDefinition(def) => def
                .root_operations
                .iter()
                .find(|r| r.0 == ast::OperationType::Query)
                .map(|r| r.1.to_string()),
            ast::Definition::SchemaExtension(ext) => ext
                .root_operations
                .iter()
                .find(|r| r.0 == ast::OperationType::Query)
                .map(|r| r.1.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "Query".to_owned())
}
