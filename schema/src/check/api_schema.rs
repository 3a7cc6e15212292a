//! The API schema of a supergraph: what clients see. Everything the supergraph's `@link`s bring
//! in (join, link, tag, inaccessible, composed custom directives: their types, directive
//! definitions and applications) is removed, and so is every `@inaccessible` element, along
//! with union members, implemented interfaces and fields that refer to removed types.

use std::collections::HashSet;

use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema, ast};

/// One `@link` of the supergraph: the prefix of its elements and its imports (local names).
struct Link {
    spec: String,
    namespace: String,
    /// (name in the spec, local name), directives with their `@`, locals without it.
    imports: Vec<(String, String)>,
}

struct Links(Vec<Link>);

impl Links {
    fn read(schema: &Schema) -> Self {
        let mut links = Vec::new();
        for directive in schema.schema_definition.directives.iter() {
            if directive.name != "link" {
                continue;
            }
            let Some(url) = directive
                .specified_argument_by_name("url")
                .and_then(|v| v.as_str())
            else {
                continue;
            };
            let mut segments = url.trim_end_matches('/').rsplit('/');
            let (Some(_version), Some(spec)) = (segments.next(), segments.next()) else {
                continue;
            };
            let namespace = directive
                .specified_argument_by_name("as")
                .and_then(|v| v.as_str())
                .unwrap_or(spec)
                .to_owned();
            let imports = directive
                .specified_argument_by_name("import")
                .and_then(|v| v.as_list())
                .map(|items| items.iter().filter_map(|item| import(item)).collect())
                .unwrap_or_default();
            links.push(Link {
                spec: spec.to_owned(),
                namespace,
                imports,
            });
        }
        Links(links)
    }

    fn is_machinery_type(&self, name: &str) -> bool {
        self.0.iter().any(|link| {
            name.starts_with(&format!("{}__", link.namespace))
                || link
                    .imports
                    .iter()
                    .any(|(element, local)| !element.starts_with('@') && local == name)
        })
    }

    fn is_machinery_directive(&self, name: &str) -> bool {
        name == "link"
            || self.0.iter().any(|link| {
                name == link.namespace
                    || name.starts_with(&format!("{}__", link.namespace))
                    || link
                        .imports
                        .iter()
                        .any(|(element, local)| element.starts_with('@') && local == name)
            })
    }

    /// The local name of `@inaccessible`, when the supergraph links the inaccessible spec.
    fn inaccessible(&self) -> Option<String> {
        let link = self.0.iter().find(|link| link.spec == "inaccessible")?;
        Some(
            link.imports
                .iter()
                .find(|(element, _)| element == "@inaccessible")
                .map_or_else(|| link.namespace.clone(), |(_, local)| local.clone()),
        )
    }
}

/// `"@key"` or `{ name: "@key", as: "@primaryKey" }` → (`@key`, `primaryKey`).
fn import(value: &ast::Value) -> Option<(String, String)> {
    match value {
        ast::Value::String(name) => Some((name.clone(), name.trim_start_matches('@').to_owned())),
        ast::Value::Object(fields) => {
            let get = |key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.as_str())
            };
            let name = get("name")?;
            let local = get("as").unwrap_or(name);
            Some((name.to_owned(), local.trim_start_matches('@').to_owned()))
        }
        _ => None,
    }
}

/// Derives the API schema from supergraph SDL. The error describes why the SDL is not a valid
/// supergraph (or why its API schema is not valid).
pub fn api_schema(supergraph_sdl: &str, path: &str) -> Result<Valid<Schema>, String> {
    let supergraph = Schema::parse_and_validate(supergraph_sdl, path)
        .map_err(|invalid| format!("not a valid schema:\n{}", invalid.errors))?;
    derive_api_schema(&supergraph)
}

/// Derives the API schema from a parsed supergraph: the one derivation the router serves and
/// `schema check` compares. The error says why the result is not a valid schema.
pub fn derive_api_schema(supergraph: &Schema) -> Result<Valid<Schema>, String> {
    let links = Links::read(supergraph);
    let inaccessible = links.inaccessible();
    let hidden = |directives: &ast::DirectiveList| {
        inaccessible
            .as_deref()
            .is_some_and(|name| directives.get(name).is_some())
    };
    let mut schema = supergraph.clone();
    let removed: HashSet<Name> = schema
        .types
        .iter()
        .filter(|(name, ty)| {
            !ty.is_built_in()
                && (links.is_machinery_type(name)
                    || inaccessible
                        .as_deref()
                        .is_some_and(|d| ty.directives().get(d).is_some()))
        })
        .map(|(name, _)| name.clone())
        .collect();
    let gone = |ty: &ast::Type| removed.contains(ty.inner_named_type());
    let strip = |directives: &mut ast::DirectiveList| {
        directives
            .0
            .retain(|d| !links.is_machinery_directive(&d.name));
    };
    schema.types.retain(|name, _| !removed.contains(name));
    schema
        .directive_definitions
        .retain(|name, _| !links.is_machinery_directive(name));
    schema
        .schema_definition
        .make_mut()
        .directives
        .0
        .retain(|d| !links.is_machinery_directive(&d.name));
    for definition in schema.directive_definitions.values_mut() {
        let definition = definition.make_mut();
        definition
            .arguments
            .retain(|a| !hidden(&a.directives) && !gone(&a.ty));
        for argument in &mut definition.arguments {
            strip(&mut argument.make_mut().directives);
        }
    }
    // Objects and interfaces: no machinery directives, no removed interfaces, no hidden or orphaned
    // fields and arguments.
    let clean_composite = |directives: &mut apollo_compiler::schema::DirectiveList,
                           interfaces: &mut apollo_compiler::collections::IndexSet<
        apollo_compiler::schema::ComponentName,
    >,
                           fields: &mut apollo_compiler::collections::IndexMap<
        Name,
        apollo_compiler::schema::Component<ast::FieldDefinition>,
    >| {
        directives
            .0
            .retain(|d| !links.is_machinery_directive(&d.name));
        interfaces.retain(|i| !removed.contains(&i.name));
        fields.retain(|_, f| !hidden(&f.directives) && !gone(&f.ty));
        for field in fields.values_mut() {
            let field = field.make_mut();
            strip(&mut field.directives);
            field
                .arguments
                .retain(|a| !hidden(&a.directives) && !gone(&a.ty));
            for argument in &mut field.arguments {
                strip(&mut argument.make_mut().directives);
            }
        }
    };
    for ty in schema.types.values_mut() {
        match ty {
            ExtendedType::Object(object) => {
                let object = object.make_mut();
                clean_composite(
                    &mut object.directives,
                    &mut object.implements_interfaces,
                    &mut object.fields,
                );
            }
            ExtendedType::Interface(interface) => {
                let interface = interface.make_mut();
                clean_composite(
                    &mut interface.directives,
                    &mut interface.implements_interfaces,
                    &mut interface.fields,
                );
            }
            ExtendedType::Union(union) => {
                let union = union.make_mut();
                union
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                union.members.retain(|m| !removed.contains(&m.name));
            }
            ExtendedType::Enum(enumeration) => {
                let enumeration = enumeration.make_mut();
                enumeration
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                enumeration.values.retain(|_, v| !hidden(&v.directives));
                for value in enumeration.values.values_mut() {
                    strip(&mut value.make_mut().directives);
                }
            }
            ExtendedType::InputObject(input) => {
                let input = input.make_mut();
                input
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                input
                    .fields
                    .retain(|_, f| !hidden(&f.directives) && !gone(&f.ty));
                for field in input.fields.values_mut() {
                    strip(&mut field.make_mut().directives);
                }
            }
            ExtendedType::Scalar(scalar) => {
                scalar
                    .make_mut()
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
            }
        }
    }
    schema
        .validate()
        .map_err(|invalid| format!("its API schema is not valid:\n{}", invalid.errors))
}
