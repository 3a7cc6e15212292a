//! The `@link`s on the supergraph's schema definition: which specs it uses, under which namespace, and
//! which of their elements are imported under local names — enough to find the join spec's directives
//! and to tell machinery types from API types.

use apollo_compiler::ast::{self, Value};
use apollo_compiler::{Name, Schema};

use super::SupergraphError;

/// One `@link(url:, as:, import:)`.
#[derive(Debug, Clone)]
struct LinkedSpec {
    /// Spec name from the URL: `join` in `https://specs.apollo.dev/join/v0.3`.
    name: String,
    version: String,
    /// Prefix of the spec's elements: `as:` or the spec name.
    namespace: String,
    /// (element name in the spec, local name), directives with their `@`.
    imports: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Links {
    specs: Vec<LinkedSpec>,
    join_namespace: String,
}

impl Links {
    pub(crate) fn read(schema: &Schema) -> Result<Links, SupergraphError> {
        let mut specs = Vec::new();
        let link_directive_names = ["link", "core"];
        for directive in schema.schema_definition.directives.iter() {
            if !link_directive_names.contains(&directive.name.as_str()) {
                continue;
            }
            let url = directive
                .specified_argument_by_name("url")
                .or_else(|| directive.specified_argument_by_name("feature"))
                .and_then(|v| v.as_str());
            let Some(url) = url else { continue };
            let Some((name, version)) = parse_spec_url(url) else {
                continue;
            };
            let namespace = directive
                .specified_argument_by_name("as")
                .and_then(|v| v.as_str())
                .map_or_else(|| name.clone(), str::to_owned);
            let imports = directive
                .specified_argument_by_name("import")
                .and_then(|v| v.as_list())
                .map(|items| items.iter().filter_map(|item| import_entry(item)).collect())
                .unwrap_or_default();
            specs.push(LinkedSpec {
                name,
                version,
                namespace,
                imports,
            });
        }
        let join = specs
            .iter()
            .find(|s| s.name == "join")
            .ok_or(SupergraphError::NotASupergraph)?;
        let supported = ["v0.2", "v0.3", "v0.4", "v0.5"];
        if !supported.contains(&join.version.as_str()) {
            return Err(SupergraphError::UnsupportedJoinVersion(
                join.version.clone(),
            ));
        }
        let join_namespace = join.namespace.clone();
        Ok(Links {
            specs,
            join_namespace,
        })
    }

    /// The local name of a join spec element: `join__type` for `type`.
    pub(crate) fn join_name(&self, element: &str) -> Name {
        Name::new_unchecked(&format!("{}__{element}", self.join_namespace))
    }

    /// Whether a type belongs to a linked spec (`join__Graph`, `link__Import`, …).
    pub(crate) fn is_machinery_type(&self, name: &str) -> bool {
        self.specs.iter().any(|spec| {
            name.starts_with(&format!("{}__", spec.namespace))
                || spec
                    .imports
                    .iter()
                    .any(|(element, local)| !element.starts_with('@') && local == name)
        })
    }
}

/// `https://specs.apollo.dev/join/v0.3` → (`join`, `v0.3`).
fn parse_spec_url(url: &str) -> Option<(String, String)> {
    let trimmed = url.trim_end_matches('/');
    let mut segments = trimmed.rsplit('/');
    let version = segments.next()?;
    let name = segments.next()?;
    if !version.starts_with('v') || name.is_empty() {
        return None;
    }
    Some((name.to_owned(), version.to_owned()))
}

/// `"@key"` or `{ name: "@key", as: "@primaryKey" }` → (`@key`, local name without `@`).
fn import_entry(value: &ast::Value) -> Option<(String, String)> {
    match value {
        Value::String(name) => Some((name.clone(), name.trim_start_matches('@').to_owned())),
        Value::Object(fields) => {
            let get = |key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k.as_str() == key)
                    .and_then(|(_, v)| v.as_str())
            };
            let name = get("name")?;
            let local = get("as").unwrap_or(name);
            Some((name.to_owned(), local.trim_start_matches('@').to_owned()))
        }
        _ => None,
    }
}
