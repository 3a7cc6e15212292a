//! Printing the merged model as supergraph SDL, in the layout Apollo's composition prints:
//! the `schema` block with its `@link`s, then directive definitions, then type definitions,
//! each group sorted by name (ASCII case-insensitively, ties broken by exact name). Fields,
//! arguments, enum values and union members keep the order in which they first appear when
//! going through the subgraphs sorted by name. Type-level directives go one per line between
//! the type name and its `{`; field-level ones stay on the field's line.

use std::fmt::Write as _;

use apollo_compiler::ast;

use super::join_spec::{
    COST_DEFINITION, COST_URL, DIRECTIVE_DEFINITIONS, INACCESSIBLE_DEFINITION, INACCESSIBLE_URL,
    JOIN_URL, LINK_URL, LIST_SIZE_DEFINITION, TAG_DEFINITION, TAG_URL, TYPE_DEFINITIONS,
};
use super::{
    JoinField, JoinType, MergedBody, MergedComposite, MergedDirective, MergedField,
    MergedInputValue, MergedSchema, MergedType,
};
use crate::subgraph::Applied;

/// The supergraph SDL of `schema`, ending with a newline.
pub(crate) fn print_supergraph(schema: &MergedSchema) -> String {
    let printer = Printer { schema };
    let uses_tag = schema.any_applied(|applied| !applied.tags.is_empty());
    let uses_inaccessible = schema.any_applied(|applied| applied.inaccessible);
    let uses_cost = schema.any_applied(|applied| applied.cost.is_some());
    let uses_list_size = schema.any_applied(|applied| applied.list_size.is_some());
    let cost_imports: Vec<&str> = [(uses_cost, "\"@cost\""), (uses_list_size, "\"@listSize\"")]
        .into_iter()
        .filter_map(|(used, import)| used.then_some(import))
        .collect();

    let mut blocks = vec![printer.schema_block(uses_tag, uses_inaccessible, &cost_imports)];

    let mut directives: Vec<(String, String)> = DIRECTIVE_DEFINITIONS
        .iter()
        .map(|(name, definition)| (name.to_string(), definition.to_string()))
        .collect();
    if uses_inaccessible {
        directives.push((
            "inaccessible".to_owned(),
            INACCESSIBLE_DEFINITION.to_owned(),
        ));
    }
    if uses_tag {
        directives.push(("tag".to_owned(), TAG_DEFINITION.to_owned()));
    }
    if uses_cost {
        directives.push(("cost".to_owned(), COST_DEFINITION.to_owned()));
    }
    if uses_list_size {
        directives.push(("listSize".to_owned(), LIST_SIZE_DEFINITION.to_owned()));
    }
    for (name, directive) in &schema.directives {
        directives.push((
            name.to_string(),
            printer.directive_definition(name, directive),
        ));
    }
    blocks.extend(sorted(directives));

    let mut types: Vec<(String, String)> = TYPE_DEFINITIONS
        .iter()
        .map(|(name, definition)| (name.to_string(), definition.to_string()))
        .collect();
    types.push(("join__Graph".to_owned(), printer.graph_enum()));
    for ty in schema.types.values() {
        types.push((ty.name.to_string(), printer.named_type(ty)));
    }
    blocks.extend(sorted(types));

    let mut sdl = blocks.join("\n\n");
    sdl.push('\n');
    sdl
}

fn sorted(mut blocks: Vec<(String, String)>) -> impl Iterator<Item = String> {
    blocks.sort_by(|(a, _), (b, _)| {
        a.to_ascii_lowercase()
            .cmp(&b.to_ascii_lowercase())
            .then_with(|| a.cmp(b))
    });
    blocks.into_iter().map(|(_, text)| text)
}

impl MergedSchema {
    fn any_applied(&self, test: impl Fn(&Applied) -> bool) -> bool {
        let input_values = |values: &indexmap::IndexMap<_, MergedInputValue>| {
            values.values().any(|value| test(&value.applied))
        };
        self.types.values().any(|ty| {
            test(&ty.applied)
                || match &ty.body {
                    MergedBody::Object(composite) | MergedBody::Interface(composite) => composite
                        .fields
                        .values()
                        .any(|field| test(&field.applied) || input_values(&field.arguments)),
                    MergedBody::Enum { values } => {
                        values.values().any(|value| test(&value.applied))
                    }
                    MergedBody::InputObject { fields } => input_values(fields),
                    MergedBody::Scalar { .. } | MergedBody::Union { .. } => false,
                }
        })
    }
}

struct Printer<'a> {
    schema: &'a MergedSchema,
}

impl Printer<'_> {
    fn graph(&self, index: usize) -> &str {
        &self.schema.graphs[index].enum_value
    }

    fn schema_block(
        &self,
        uses_tag: bool,
        uses_inaccessible: bool,
        cost_imports: &[&str],
    ) -> String {
        let mut text = String::from("schema\n");
        let _ = writeln!(text, "  @link(url: \"{LINK_URL}\")");
        let _ = writeln!(text, "  @link(url: \"{JOIN_URL}\", for: EXECUTION)");
        if uses_tag {
            let _ = writeln!(text, "  @link(url: \"{TAG_URL}\")");
        }
        if uses_inaccessible {
            let _ = writeln!(text, "  @link(url: \"{INACCESSIBLE_URL}\", for: SECURITY)");
        }
        if !cost_imports.is_empty() {
            let _ = writeln!(
                text,
                "  @link(url: \"{COST_URL}\", import: [{}])",
                cost_imports.join(", ")
            );
        }
        for link in &self.schema.links {
            let _ = writeln!(
                text,
                "  @link(url: {}, import: [{}])",
                string_literal(&link.url),
                link.imports.join(", ")
            );
        }
        text.push_str("{\n");
        for (operation, root) in [
            ("query", "Query"),
            ("mutation", "Mutation"),
            ("subscription", "Subscription"),
        ] {
            if self.schema.types.contains_key(root) {
                let _ = writeln!(text, "  {operation}: {root}");
            }
        }
        text.push('}');
        text
    }

    fn graph_enum(&self) -> String {
        let mut text = String::from("enum join__Graph {\n");
        for graph in &self.schema.graphs {
            let _ = writeln!(
                text,
                "  {} @join__graph(name: {}, url: {})",
                graph.enum_value,
                string_literal(&graph.name),
                string_literal(&graph.url)
            );
        }
        text.push('}');
        text
    }

    fn directive_definition(&self, name: &str, directive: &MergedDirective) -> String {
        let mut text = description(directive.description.as_deref(), "", true);
        let _ = write!(text, "directive @{name}");
        text.push_str(&self.arguments(&directive.arguments, ""));
        if directive.repeatable {
            text.push_str(" repeatable");
        }
        let _ = write!(text, " on {}", directive.locations.join(" | "));
        text
    }

    fn named_type(&self, ty: &MergedType) -> String {
        let mut text = description(ty.description.as_deref(), "", true);
        let mut directives: Vec<String> = ty
            .join_types
            .iter()
            .map(|join| self.join_type(join))
            .collect();
        let (keyword, implements) = match &ty.body {
            MergedBody::Scalar { .. } => ("scalar", &[][..]),
            MergedBody::Object(composite) => ("type", &composite.implements[..]),
            MergedBody::Interface(composite) => ("interface", &composite.implements[..]),
            MergedBody::Union { .. } => ("union", &[][..]),
            MergedBody::Enum { .. } => ("enum", &[][..]),
            MergedBody::InputObject { .. } => ("input", &[][..]),
        };
        match &ty.body {
            MergedBody::Object(composite) | MergedBody::Interface(composite) => {
                directives.extend(composite.join_implements.iter().map(|(graph, interface)| {
                    format!(
                        "@join__implements(graph: {}, interface: {})",
                        self.graph(*graph),
                        string_literal(interface)
                    )
                }));
            }
            MergedBody::Union { join_members, .. } => {
                directives.extend(join_members.iter().map(|(graph, member)| {
                    format!(
                        "@join__unionMember(graph: {}, member: {})",
                        self.graph(*graph),
                        string_literal(member)
                    )
                }));
            }
            _ => {}
        }
        directives.extend(self.applied_directives(&ty.applied));
        if let MergedBody::Scalar {
            specified_by: Some(url),
        } = &ty.body
        {
            directives.push(format!("@specifiedBy(url: {})", string_literal(url)));
        }

        let _ = write!(text, "{keyword} {}", ty.name);
        if !implements.is_empty() {
            let names: Vec<&str> = implements.iter().map(|name| name.as_str()).collect();
            let _ = write!(text, " implements {}", names.join(" & "));
        }
        for directive in &directives {
            let _ = write!(text, "\n  {directive}");
        }
        let body = match &ty.body {
            MergedBody::Scalar { .. } => return text,
            MergedBody::Union { members, .. } => {
                let names: Vec<&str> = members.iter().map(|name| name.as_str()).collect();
                let separator = if directives.is_empty() { " " } else { "\n " };
                let _ = write!(text, "{separator}= {}", names.join(" | "));
                return text;
            }
            MergedBody::Object(composite) | MergedBody::Interface(composite) => {
                self.fields(composite)
            }
            MergedBody::Enum { values } => values
                .iter()
                .enumerate()
                .map(|(index, (name, value))| {
                    let mut line = description(value.description.as_deref(), "  ", index == 0);
                    let _ = write!(line, "  {name}");
                    for graph in &value.graphs {
                        let _ = write!(line, " @join__enumValue(graph: {})", self.graph(*graph));
                    }
                    for directive in self.applied_directives(&value.applied) {
                        let _ = write!(line, " {directive}");
                    }
                    line
                })
                .collect(),
            MergedBody::InputObject { fields } => fields
                .values()
                .enumerate()
                .map(|(index, field)| {
                    let mut line = description(field.description.as_deref(), "  ", index == 0);
                    line.push_str("  ");
                    line.push_str(&self.input_value(field));
                    line
                })
                .collect(),
        };
        text.push_str(if directives.is_empty() {
            " {\n"
        } else {
            "\n{\n"
        });
        for line in body {
            text.push_str(&line);
            text.push('\n');
        }
        text.push('}');
        text
    }

    fn fields(&self, composite: &MergedComposite) -> Vec<String> {
        composite
            .fields
            .values()
            .enumerate()
            .map(|(index, field)| self.field(field, index == 0))
            .collect()
    }

    fn field(&self, field: &MergedField, first: bool) -> String {
        let mut line = description(field.description.as_deref(), "  ", first);
        let _ = write!(
            line,
            "  {}{}: {}",
            field.name,
            self.arguments(&field.arguments, "  "),
            field.ty
        );
        for join in &field.join_fields {
            let _ = write!(line, " {}", self.join_field(join));
        }
        for directive in self.applied_directives(&field.applied) {
            let _ = write!(line, " {directive}");
        }
        line
    }

    /// `(a: Int, b: String)` inline, or one argument per line when any has a description.
    fn arguments(
        &self,
        arguments: &indexmap::IndexMap<apollo_compiler::Name, MergedInputValue>,
        indent: &str,
    ) -> String {
        if arguments.is_empty() {
            return String::new();
        }
        if arguments
            .values()
            .all(|argument| argument.description.is_none())
        {
            let printed: Vec<String> = arguments
                .values()
                .map(|argument| self.input_value(argument))
                .collect();
            return format!("({})", printed.join(", "));
        }
        let inner = format!("{indent}  ");
        let mut text = String::from("(\n");
        for (index, argument) in arguments.values().enumerate() {
            text.push_str(&description(
                argument.description.as_deref(),
                &inner,
                index == 0,
            ));
            let _ = writeln!(text, "{inner}{}", self.input_value(argument));
        }
        let _ = write!(text, "{indent})");
        text
    }

    fn input_value(&self, value: &MergedInputValue) -> String {
        let mut text = format!("{}: {}", value.name, value.ty);
        if let Some(default) = &value.default {
            let _ = write!(text, " = {}", print_value(default));
        }
        for join in &value.join_fields {
            let _ = write!(text, " {}", self.join_field(join));
        }
        for directive in self.applied_directives(&value.applied) {
            let _ = write!(text, " {directive}");
        }
        text
    }

    fn join_type(&self, join: &JoinType) -> String {
        let mut arguments = vec![format!("graph: {}", self.graph(join.graph))];
        if let Some(key) = &join.key {
            arguments.push(format!("key: {}", string_literal(key)));
        }
        if join.extension {
            arguments.push("extension: true".to_owned());
        }
        if !join.resolvable {
            arguments.push("resolvable: false".to_owned());
        }
        if join.interface_object {
            arguments.push("isInterfaceObject: true".to_owned());
        }
        format!("@join__type({})", arguments.join(", "))
    }

    fn join_field(&self, join: &JoinField) -> String {
        let Some(graph) = join.graph else {
            return "@join__field".to_owned();
        };
        let mut arguments = vec![format!("graph: {}", self.graph(graph))];
        if let Some(requires) = &join.requires {
            arguments.push(format!("requires: {}", string_literal(requires)));
        }
        if let Some(provides) = &join.provides {
            arguments.push(format!("provides: {}", string_literal(provides)));
        }
        if let Some(ty) = &join.ty {
            arguments.push(format!("type: {}", string_literal(ty)));
        }
        if join.external {
            arguments.push("external: true".to_owned());
        }
        if let Some(from) = &join.override_from {
            arguments.push(format!("override: {}", string_literal(from)));
        }
        if join.used_overridden {
            arguments.push("usedOverridden: true".to_owned());
        }
        if let Some(label) = &join.override_label {
            arguments.push(format!("overrideLabel: {}", string_literal(label)));
        }
        format!("@join__field({})", arguments.join(", "))
    }
}

impl Printer<'_> {
    /// `@tag`, `@inaccessible`, `@deprecated` and composed directive applications, in that
    /// order; a non-repeatable composed directive only once (its first application).
    fn applied_directives(&self, applied: &Applied) -> Vec<String> {
        let mut directives = tag_inaccessible_deprecated(applied);
        let mut seen: Vec<&str> = Vec::new();
        for application in &applied.composed {
            let name = application
                .trim_start_matches('@')
                .split('(')
                .next()
                .unwrap_or_default();
            let repeatable = self
                .schema
                .directives
                .get(name)
                .is_none_or(|definition| definition.repeatable);
            if !repeatable && seen.contains(&name) {
                continue;
            }
            seen.push(name);
            directives.push(application.clone());
        }
        directives
    }
}

/// `@tag`, `@inaccessible`, `@deprecated`, `@cost` and `@listSize` applications, in that order.
fn tag_inaccessible_deprecated(applied: &Applied) -> Vec<String> {
    let mut directives: Vec<String> = applied
        .tags
        .iter()
        .map(|tag| format!("@tag(name: {})", string_literal(tag)))
        .collect();
    if applied.inaccessible {
        directives.push("@inaccessible".to_owned());
    }
    match &applied.deprecated {
        Some(Some(reason)) => {
            directives.push(format!("@deprecated(reason: {})", string_literal(reason)))
        }
        Some(None) => directives.push("@deprecated".to_owned()),
        None => {}
    }
    if let Some(weight) = applied.cost {
        directives.push(format!("@cost(weight: {weight})"));
    }
    if let Some(list_size) = &applied.list_size {
        let names = |names: &[String]| {
            let quoted: Vec<String> = names.iter().map(|n| string_literal(n)).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut arguments = Vec::new();
        if let Some(size) = list_size.assumed_size {
            arguments.push(format!("assumedSize: {size}"));
        }
        if let Some(slicing) = &list_size.slicing_arguments {
            arguments.push(format!("slicingArguments: {}", names(slicing)));
        }
        if let Some(sized) = &list_size.sized_fields {
            arguments.push(format!("sizedFields: {}", names(sized)));
        }
        if let Some(required) = list_size.require_one_slicing_argument {
            arguments.push(format!("requireOneSlicingArgument: {required}"));
        }
        directives.push(if arguments.is_empty() {
            "@listSize".to_owned()
        } else {
            format!("@listSize({})", arguments.join(", "))
        });
    }
    directives
}

/// A description as a block string, followed by a newline; items after the first of a block
/// get a blank line before their description. Long (over 70 characters) or multi-line
/// descriptions go on lines of their own between the quotes.
fn description(text: Option<&str>, indent: &str, first_in_block: bool) -> String {
    let Some(text) = text else {
        return String::new();
    };
    let escaped = text.replace("\"\"\"", "\\\"\"\"");
    let multi_line = escaped.contains('\n')
        || text.chars().count() > 70
        || text.ends_with('"')
        || text.ends_with('\\');
    let mut out = String::new();
    if !first_in_block && !indent.is_empty() {
        out.push('\n');
    }
    if multi_line {
        let _ = writeln!(out, "{indent}\"\"\"");
        for line in escaped.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        let _ = writeln!(out, "{indent}\"\"\"");
    } else {
        let _ = writeln!(out, "{indent}\"\"\"{escaped}\"\"\"");
    }
    out
}

/// A GraphQL string literal.
fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A GraphQL value literal on one line: `[1, 2]`, `{a: "x", b: ENUM}`.
pub(crate) fn print_value(value: &ast::Value) -> String {
    match value {
        ast::Value::Null => "null".to_owned(),
        ast::Value::Enum(name) => name.to_string(),
        ast::Value::Variable(name) => format!("${name}"),
        ast::Value::String(text) => string_literal(text),
        ast::Value::Float(float) => float.as_str().to_owned(),
        ast::Value::Int(int) => int.as_str().to_owned(),
        ast::Value::Boolean(boolean) => boolean.to_string(),
        ast::Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| print_value(item)).collect();
            format!("[{}]", items.join(", "))
        }
        ast::Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}: {}", print_value(value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}
