//! Canonical text of an API schema and of the join metadata of a supergraph, so that two
//! composers' outputs compare equal when they mean the same: definitions, fields, arguments,
//! values and applications sorted; graphs named by their subgraph name rather than their enum
//! value; field sets with normalised spacing; defaults and implied `@join__field`s made
//! explicit.

use std::collections::{BTreeMap, BTreeSet};

use apollo_compiler::ast;
use apollo_compiler::schema::{ExtendedType, Schema};

/// The API schema with everything sorted. Descriptions are left out (see the differential
/// test's notes on descriptions).
pub(super) fn api(sdl: &str) -> Result<String, String> {
    let schema = Schema::parse(sdl, "api.graphql").map_err(|e| e.errors.to_string())?;
    let mut out = Vec::new();
    for (name, root) in [
        ("query", &schema.schema_definition.query),
        ("mutation", &schema.schema_definition.mutation),
        ("subscription", &schema.schema_definition.subscription),
    ] {
        if let Some(root) = root {
            out.push(format!("schema.{name}: {}", root.name));
        }
    }
    let mut directives: Vec<String> = schema
        .directive_definitions
        .values()
        .filter(|d| !d.is_built_in())
        .map(|d| {
            let mut locations: Vec<&str> = d.locations.iter().map(|l| l.name()).collect();
            locations.sort_unstable();
            format!(
                "directive @{}{}{} on {}",
                d.name,
                arguments(&d.arguments),
                if d.repeatable { " repeatable" } else { "" },
                locations.join(" | ")
            )
        })
        .collect();
    directives.sort();
    out.extend(directives);
    let mut types: Vec<(&str, &ExtendedType)> = schema
        .types
        .iter()
        .filter(|(_, ty)| !ty.is_built_in())
        .map(|(name, ty)| (name.as_str(), ty))
        .collect();
    types.sort_by_key(|(name, _)| *name);
    for (name, ty) in types {
        match ty {
            ExtendedType::Scalar(scalar) => {
                out.push(format!("scalar {name}{}", applied(&scalar.directives)))
            }
            ExtendedType::Object(object) => {
                out.push(format!(
                    "type {name}{}{}",
                    implements(object.implements_interfaces.iter().map(|i| i.as_str())),
                    applied(&object.directives)
                ));
                out.extend(fields(name, object.fields.values().map(|f| &*f.node)));
            }
            ExtendedType::Interface(interface) => {
                out.push(format!(
                    "interface {name}{}{}",
                    implements(interface.implements_interfaces.iter().map(|i| i.as_str())),
                    applied(&interface.directives)
                ));
                out.extend(fields(name, interface.fields.values().map(|f| &*f.node)));
            }
            ExtendedType::Union(union) => {
                let mut members: Vec<&str> = union.members.iter().map(|m| m.as_str()).collect();
                members.sort_unstable();
                out.push(format!(
                    "union {name}{} = {}",
                    applied(&union.directives),
                    members.join(" | ")
                ));
            }
            ExtendedType::Enum(enumeration) => {
                out.push(format!("enum {name}{}", applied(&enumeration.directives)));
                let mut values: Vec<String> = enumeration
                    .values
                    .values()
                    .map(|v| format!("  {name}.{}{}", v.value, applied_ast(&v.directives)))
                    .collect();
                values.sort();
                out.extend(values);
            }
            ExtendedType::InputObject(input) => {
                out.push(format!("input {name}{}", applied(&input.directives)));
                let mut fields: Vec<String> = input
                    .fields
                    .values()
                    .map(|f| format!("  {name}.{}", input_value(f)))
                    .collect();
                fields.sort();
                out.extend(fields);
            }
        }
    }
    Ok(out.join("\n"))
}

fn implements<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.collect();
    if names.is_empty() {
        return String::new();
    }
    names.sort_unstable();
    format!(" implements {}", names.join(" & "))
}

fn fields<'a>(parent: &str, fields: impl Iterator<Item = &'a ast::FieldDefinition>) -> Vec<String> {
    let mut lines: Vec<String> = fields
        .map(|f| {
            format!(
                "  {parent}.{}{}: {}{}",
                f.name,
                arguments(&f.arguments),
                f.ty,
                applied_ast(&f.directives)
            )
        })
        .collect();
    lines.sort();
    lines
}

fn arguments(arguments: &[apollo_compiler::Node<ast::InputValueDefinition>]) -> String {
    if arguments.is_empty() {
        return String::new();
    }
    let mut printed: Vec<String> = arguments.iter().map(|a| input_value(a)).collect();
    printed.sort();
    format!("({})", printed.join(", "))
}

fn input_value(value: &ast::InputValueDefinition) -> String {
    let default = value
        .default_value
        .as_ref()
        .map(|d| format!(" = {}", value_text(d)))
        .unwrap_or_default();
    format!(
        "{}: {}{default}{}",
        value.name,
        value.ty,
        applied_ast(&value.directives)
    )
}

/// Applied directives of a type, sorted, each with its arguments sorted.
fn applied(directives: &apollo_compiler::schema::DirectiveList) -> String {
    applied_all(directives.iter().map(|d| &*d.node))
}

/// Applied directives of a field, argument or value, sorted.
fn applied_ast(directives: &ast::DirectiveList) -> String {
    applied_all(directives.iter().map(|d| &**d))
}

fn applied_all<'a>(directives: impl Iterator<Item = &'a ast::Directive>) -> String {
    let mut printed: Vec<String> = directives.map(directive).collect();
    printed.sort();
    printed.iter().map(|d| format!(" {d}")).collect()
}

fn directive(directive: &ast::Directive) -> String {
    if directive.arguments.is_empty() {
        return format!("@{}", directive.name);
    }
    let mut arguments: Vec<String> = directive
        .arguments
        .iter()
        .map(|a| format!("{}: {}", a.name, value_text(&a.value)))
        .collect();
    arguments.sort();
    format!("@{}({})", directive.name, arguments.join(", "))
}

/// A value printed on one line, object fields sorted.
fn value_text(value: &ast::Value) -> String {
    match value {
        ast::Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| value_text(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ast::Value::Object(fields) => {
            let mut printed: Vec<String> = fields
                .iter()
                .map(|(name, v)| format!("{name}: {}", value_text(v)))
                .collect();
            printed.sort();
            format!("{{{}}}", printed.join(", "))
        }
        other => other.to_string(),
    }
}

/// A field set with normalised spacing: `a{b c}` and `a { b  c }` both give `a { b c }`.
fn field_set(text: &str) -> String {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
        if !c.is_whitespace() && c != ',' {
            tokens.push(c.to_string());
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens.join(" ")
}

/// The join metadata of a supergraph, one sorted line per fact: which graphs define each type
/// (with key, resolvable, interface object), implement each interface, have each union member
/// and enum value, and resolve each field (requires, provides, external, override, type when it
/// differs from the supergraph's); and the demand control directives (`@cost`, `@listSize`)
/// applied to types, fields and arguments.
pub(super) fn join_metadata(sdl: &str) -> Result<String, String> {
    let schema = Schema::parse(sdl, "supergraph.graphql").map_err(|e| e.errors.to_string())?;
    let mut graphs: BTreeMap<String, String> = BTreeMap::new();
    if let Some(ExtendedType::Enum(graph_enum)) = schema.types.get("join__Graph") {
        for value in graph_enum.values.values() {
            let name = value
                .directives
                .get("join__graph")
                .and_then(|d| d.specified_argument_by_name("name"))
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            graphs.insert(value.value.to_string(), name.to_owned());
        }
    }
    let graph = |directive: &ast::Directive| -> String {
        directive
            .specified_argument_by_name("graph")
            .and_then(|v| v.as_enum())
            .map(|g| {
                graphs
                    .get(g.as_str())
                    .cloned()
                    .unwrap_or_else(|| g.to_string())
            })
            .unwrap_or_else(|| "<none>".to_owned())
    };
    let string = |directive: &ast::Directive, name: &str| {
        directive
            .specified_argument_by_name(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let flag = |directive: &ast::Directive, name: &str| {
        directive
            .specified_argument_by_name(name)
            .and_then(|v| v.to_bool())
            .unwrap_or(false)
    };
    let mut facts = BTreeSet::new();
    for (name, ty) in &schema.types {
        let directives = ty.directives();
        let join_types: Vec<&ast::Directive> =
            directives.get_all("join__type").map(|d| &*d.node).collect();
        if join_types.is_empty() {
            continue;
        }
        for applied in directives.iter().filter(|d| is_demand_control(&d.name)) {
            facts.insert(format!("{name} {}", directive(applied)));
        }
        let mut defining = BTreeSet::new();
        for join in &join_types {
            let mut fact = format!("{name} @join__type({}", graph(join));
            defining.insert(graph(join));
            if let Some(key) = string(join, "key") {
                fact.push_str(&format!(", key: \"{}\"", field_set(&key)));
            }
            if join
                .specified_argument_by_name("resolvable")
                .and_then(|v| v.to_bool())
                == Some(false)
            {
                fact.push_str(", resolvable: false");
            }
            if flag(join, "isInterfaceObject") {
                fact.push_str(", isInterfaceObject");
            }
            fact.push(')');
            facts.insert(fact);
        }
        for join in directives.get_all("join__implements") {
            facts.insert(format!(
                "{name} @join__implements({}, {})",
                graph(join),
                string(join, "interface").unwrap_or_default()
            ));
        }
        for join in directives.get_all("join__unionMember") {
            facts.insert(format!(
                "{name} @join__unionMember({}, {})",
                graph(join),
                string(join, "member").unwrap_or_default()
            ));
        }
        if let ExtendedType::Enum(enumeration) = ty {
            for value in enumeration.values.values() {
                for join in value.directives.get_all("join__enumValue") {
                    facts.insert(format!(
                        "{name}.{} @join__enumValue({})",
                        value.value,
                        graph(join)
                    ));
                }
            }
        }
        let arguments: Vec<(&apollo_compiler::Name, &ast::InputValueDefinition)> = match ty {
            ExtendedType::Object(o) => o
                .fields
                .values()
                .flat_map(|f| f.arguments.iter().map(move |a| (&f.name, &**a)))
                .collect(),
            ExtendedType::Interface(i) => i
                .fields
                .values()
                .flat_map(|f| f.arguments.iter().map(move |a| (&f.name, &**a)))
                .collect(),
            _ => Vec::new(),
        };
        for (field, argument) in arguments {
            for applied in argument
                .directives
                .iter()
                .filter(|d| is_demand_control(&d.name))
            {
                facts.insert(format!(
                    "{name}.{field}({}:) {}",
                    argument.name,
                    directive(applied)
                ));
            }
        }
        let field_list: Vec<(&apollo_compiler::Name, &ast::Type, &ast::DirectiveList)> = match ty {
            ExtendedType::Object(o) => o
                .fields
                .values()
                .map(|f| (&f.name, &f.ty, &f.directives))
                .collect(),
            ExtendedType::Interface(i) => i
                .fields
                .values()
                .map(|f| (&f.name, &f.ty, &f.directives))
                .collect(),
            ExtendedType::InputObject(i) => i
                .fields
                .values()
                .map(|f| (&f.name, &*f.ty, &f.directives))
                .collect(),
            _ => Vec::new(),
        };
        for (field, field_type, field_directives) in field_list {
            for applied in field_directives
                .iter()
                .filter(|d| is_demand_control(&d.name))
            {
                facts.insert(format!("{name}.{field} {}", directive(applied)));
            }
            let joins: Vec<&ast::Directive> = field_directives
                .get_all("join__field")
                .map(|d| &**d)
                .collect();
            if joins.is_empty() {
                // No @join__field: every graph defining the type resolves the field.
                for graph in &defining {
                    facts.insert(format!("{name}.{field} @join__field({graph})"));
                }
                continue;
            }
            for join in joins {
                let mut fact = format!("{name}.{field} @join__field({}", graph(join));
                for argument in ["requires", "provides"] {
                    if let Some(set) = string(join, argument) {
                        fact.push_str(&format!(", {argument}: \"{}\"", field_set(&set)));
                    }
                }
                if let Some(ty) = string(join, "type")
                    && ty != field_type.to_string()
                {
                    fact.push_str(&format!(", type: {ty}"));
                }
                for argument in ["external", "usedOverridden"] {
                    if flag(join, argument) {
                        fact.push_str(&format!(", {argument}"));
                    }
                }
                for argument in ["override", "overrideLabel"] {
                    if let Some(value) = string(join, argument) {
                        fact.push_str(&format!(", {argument}: \"{value}\""));
                    }
                }
                fact.push(')');
                facts.insert(fact);
            }
        }
    }
    Ok(facts.into_iter().collect::<Vec<_>>().join("\n"))
}

/// `@cost` and `@listSize`, which the supergraph carries for routers (not for the API).
fn is_demand_control(name: &str) -> bool {
    name == "cost" || name == "listSize"
}
