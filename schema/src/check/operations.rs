//! Recorded client operations (`.graphql` files): reading them from a directory, working out
//! which schema elements each operation uses (against the committed API schema), and which
//! ones no longer validate against the proposed API schema.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use apollo_compiler::ast::{self, Type};
use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::executable::{self, ExecutableDocument, Selection};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::{DiagnosticData, DiagnosticList, Valid};
use apollo_compiler::{Node, Schema};

use super::diff::{Change, ChangeCode};

/// One file of recorded operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFile {
    pub path: PathBuf,
    pub text: String,
}

/// Reads every `.graphql` / `.gql` file under `directory` (recursively), sorted by path.
pub fn read_operations(directory: &Path) -> Result<Vec<OperationFile>, String> {
    let mut files = Vec::new();
    collect(directory, &mut files)
        .map_err(|error| format!("{}: cannot read operations: {error}", directory.display()))?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            std::fs::read_to_string(&path)
                .map(|text| OperationFile {
                    path: path.clone(),
                    text,
                })
                .map_err(|error| format!("{}: cannot read: {error}", path.display()))
        })
        .collect()
}

fn collect(directory: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(directory)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "graphql" || e == "gql")
        {
            files.push(path);
        }
    }
    Ok(())
}

/// An operation of a recorded file: its name (the file stem for an anonymous one), what it
/// uses of the committed schema, and where it is.
#[derive(Debug)]
pub(crate) struct RecordedOperation {
    pub(crate) name: String,
    pub(crate) file: PathBuf,
    /// Byte range of the operation in its file, to attribute validation errors.
    range: Option<(usize, usize)>,
    usage: Usage,
}

/// The outcome of validating the recorded operations.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) operations: Vec<RecordedOperation>,
    /// Operations (with their file) that no longer validate, with the errors.
    pub(crate) broken: Vec<(String, PathBuf, Vec<String>)>,
    /// Files that do not validate against the committed schema already: not a regression.
    pub(crate) invalid_before: Vec<(PathBuf, Vec<String>)>,
}

/// What an operation uses, as schema coordinates.
#[derive(Debug, Default)]
struct Usage {
    operation_types: HashSet<&'static str>,
    types: HashSet<String>,
    fields: HashSet<String>,
    arguments: HashSet<String>,
    /// Input object fields and enum values written literally: `Filter.name`, `Role.ADMIN`.
    literals: HashSet<String>,
    /// Input objects and enums whose values the operation sends (literally or in variables).
    input_types: HashSet<String>,
    /// Input objects and enums the operation sends through variables: any of their fields or
    /// values may be used.
    variable_types: HashSet<String>,
    /// `(parent type, type condition)` of fragments.
    conditions: HashSet<(String, String)>,
    directives: HashSet<String>,
    directive_arguments: HashSet<String>,
}

impl RecordedOperation {
    /// Whether the operation uses what `change` changes.
    pub(crate) fn uses(&self, change: &Change) -> bool {
        let usage = &self.usage;
        let coordinate = change.coordinate.as_str();
        let (parent, member) = coordinate.rsplit_once('.').unwrap_or((coordinate, ""));
        let field_of_argument = coordinate
            .split_once('(')
            .map_or(coordinate, |(field, _)| field);
        let directive = coordinate
            .trim_start_matches('@')
            .split(['.', '('])
            .next()
            .unwrap_or_default();
        let uses_values_of = |ty: &str| {
            usage.variable_types.contains(ty)
                || (usage.input_types.contains(ty) && usage.literals.contains(coordinate))
        };
        match change.code {
            ChangeCode::TypeRemoved | ChangeCode::TypeKindChanged => {
                usage.types.contains(coordinate)
            }
            ChangeCode::RootTypeChanged | ChangeCode::RootTypeRemoved => {
                usage.operation_types.contains(member)
            }
            ChangeCode::FieldRemoved | ChangeCode::FieldTypeChanged => {
                usage.fields.contains(coordinate)
            }
            ChangeCode::ArgumentRemoved | ChangeCode::ArgumentTypeChanged => {
                usage.arguments.contains(coordinate)
            }
            ChangeCode::RequiredArgumentAdded => usage.fields.contains(field_of_argument),
            ChangeCode::InputFieldRemoved | ChangeCode::InputFieldTypeChanged => {
                uses_values_of(parent)
            }
            ChangeCode::RequiredInputFieldAdded => {
                usage.input_types.contains(parent) || usage.variable_types.contains(parent)
            }
            ChangeCode::EnumValueRemoved => uses_values_of(parent),
            ChangeCode::UnionMemberRemoved => usage
                .conditions
                .contains(&(parent.to_owned(), member.to_owned())),
            ChangeCode::ImplementedInterfaceRemoved => {
                usage
                    .conditions
                    .contains(&(member.to_owned(), parent.to_owned()))
                    || usage
                        .conditions
                        .contains(&(parent.to_owned(), member.to_owned()))
            }
            ChangeCode::DirectiveRemoved
            | ChangeCode::DirectiveLocationRemoved
            | ChangeCode::DirectiveRepeatableRemoved
            | ChangeCode::RequiredDirectiveArgumentAdded => usage.directives.contains(directive),
            ChangeCode::DirectiveArgumentRemoved | ChangeCode::DirectiveArgumentTypeChanged => {
                usage.directive_arguments.contains(coordinate)
            }
            _ => false,
        }
    }
}

/// Reads the operations of `files` against the committed API schema (`old`) and validates them
/// against the proposed one (`new`). Returns an error for a file that does not even parse.
pub(crate) fn analyse(
    files: &[OperationFile],
    old: &Valid<Schema>,
    new: &Valid<Schema>,
) -> Result<Recorded, String> {
    let mut recorded = Recorded::default();
    for file in files {
        let path_text = file.path.display().to_string();
        let parsed = ast::Document::parse(file.text.as_str(), &path_text);
        if let Err(with_errors) = &parsed {
            return Err(format!(
                "{path_text}: not a GraphQL document:\n{}",
                with_errors.errors
            ));
        }
        let document =
            match ExecutableDocument::parse_and_validate(old, file.text.as_str(), &path_text) {
                Ok(valid) => valid.into_inner(),
                Err(with_errors) => {
                    recorded
                        .invalid_before
                        .push((file.path.clone(), messages(&with_errors.errors)));
                    with_errors.partial
                }
            };
        let mut in_file = Vec::new();
        for operation in document.operations.iter() {
            let name = operation.name.as_ref().map_or_else(
                || {
                    file.path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                },
                |n| n.to_string(),
            );
            let range = operation
                .location()
                .map(|span| (span.offset(), span.end_offset()));
            let mut usage = Usage::default();
            UsageWalker {
                schema: old,
                document: &document,
                usage: &mut usage,
                visited_fragments: HashSet::new(),
            }
            .operation(operation);
            in_file.push(RecordedOperation {
                name,
                file: file.path.clone(),
                range,
                usage,
            });
        }
        let was_valid = !recorded
            .invalid_before
            .iter()
            .any(|(path, _)| path == &file.path);
        if was_valid
            && let Err(with_errors) =
                ExecutableDocument::parse_and_validate(new, file.text.as_str(), &path_text)
        {
            // Attribute each error to the operation it is in (errors in fragments: to all).
            for operation in &in_file {
                let errors: Vec<String> = with_errors
                    .errors
                    .iter()
                    .filter(
                        |diagnostic| match (diagnostic.error.location(), operation.range) {
                            (Some(span), Some((start, end))) => {
                                let inside = span.offset() >= start && span.offset() < end;
                                let in_any_operation = in_file.iter().any(|o| {
                                    o.range.is_some_and(|(s, e)| {
                                        span.offset() >= s && span.offset() < e
                                    })
                                });
                                inside || !in_any_operation
                            }
                            _ => true,
                        },
                    )
                    .map(describe)
                    .collect();
                if !errors.is_empty() {
                    recorded
                        .broken
                        .push((operation.name.clone(), operation.file.clone(), errors));
                }
            }
        }
        recorded.operations.extend(in_file);
    }
    Ok(recorded)
}

fn messages(diagnostics: &DiagnosticList) -> Vec<String> {
    diagnostics.iter().map(describe).collect()
}

/// `line:column: message`.
fn describe(diagnostic: apollo_compiler::diagnostic::Diagnostic<'_, DiagnosticData>) -> String {
    match diagnostic.line_column_range() {
        Some(range) => format!(
            "{}:{}: {}",
            range.start.line, range.start.column, diagnostic.error
        ),
        None => diagnostic.error.to_string(),
    }
}

struct UsageWalker<'a> {
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    usage: &'a mut Usage,
    visited_fragments: HashSet<String>,
}

impl UsageWalker<'_> {
    fn operation(&mut self, operation: &executable::Operation) {
        self.usage
            .operation_types
            .insert(match operation.operation_type {
                ast::OperationType::Query => "query",
                ast::OperationType::Mutation => "mutation",
                ast::OperationType::Subscription => "subscription",
            });
        for variable in &operation.variables {
            let named = variable.ty.inner_named_type().to_string();
            self.usage.types.insert(named.clone());
            self.variable_type(&named);
            self.directives(&variable.directives);
        }
        self.directives(&operation.directives);
        self.selection_set(&operation.selection_set);
    }

    /// An input type fed through a variable, and every input type and enum nested in it.
    fn variable_type(&mut self, name: &str) {
        if !self.usage.variable_types.insert(name.to_owned()) {
            return;
        }
        if let Some(ExtendedType::InputObject(input)) = self.schema.types.get(name) {
            let nested: Vec<String> = input
                .fields
                .values()
                .map(|f| f.ty.inner_named_type().to_string())
                .collect();
            for name in nested {
                self.variable_type(&name);
            }
        }
    }

    fn directives(&mut self, directives: &ast::DirectiveList) {
        for directive in directives.iter() {
            self.usage.directives.insert(directive.name.to_string());
            for argument in &directive.arguments {
                self.usage
                    .directive_arguments
                    .insert(format!("@{}({}:)", directive.name, argument.name));
            }
        }
    }

    fn selection_set(&mut self, set: &executable::SelectionSet) {
        self.usage.types.insert(set.ty.to_string());
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    self.directives(&field.directives);
                    if field.name.starts_with("__") {
                        continue;
                    }
                    let coordinate = format!("{}.{}", set.ty, field.name);
                    for argument in &field.arguments {
                        self.usage
                            .arguments
                            .insert(format!("{coordinate}({}:)", argument.name));
                        if let Some(definition) = field.definition.argument_by_name(&argument.name)
                        {
                            self.value(&argument.value, &definition.ty);
                        }
                    }
                    self.usage.fields.insert(coordinate);
                    self.usage
                        .types
                        .insert(field.definition.ty.inner_named_type().to_string());
                    self.selection_set(&field.selection_set);
                }
                Selection::InlineFragment(fragment) => {
                    self.directives(&fragment.directives);
                    if let Some(condition) = &fragment.type_condition {
                        self.usage
                            .conditions
                            .insert((set.ty.to_string(), condition.to_string()));
                    }
                    self.selection_set(&fragment.selection_set);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.directives);
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    self.usage
                        .conditions
                        .insert((set.ty.to_string(), fragment.type_condition().to_string()));
                    if self
                        .visited_fragments
                        .insert(spread.fragment_name.to_string())
                    {
                        self.directives(&fragment.directives);
                        self.selection_set(&fragment.selection_set);
                    }
                }
            }
        }
    }

    fn value(&mut self, value: &Node<ast::Value>, ty: &Type) {
        let named = ty.inner_named_type();
        match value.as_ref() {
            ast::Value::List(items) => {
                let item_type = match ty {
                    Type::List(inner) | Type::NonNullList(inner) => inner.as_ref().clone(),
                    other => other.clone(),
                };
                for item in items {
                    self.value(item, &item_type);
                }
            }
            ast::Value::Enum(symbol) => {
                self.usage.input_types.insert(named.to_string());
                self.usage.literals.insert(format!("{named}.{symbol}"));
            }
            ast::Value::Object(fields) => {
                self.usage.input_types.insert(named.to_string());
                self.usage.types.insert(named.to_string());
                let Some(ExtendedType::InputObject(input)) = self.schema.types.get(named) else {
                    return;
                };
                for (name, field_value) in fields {
                    self.usage.literals.insert(format!("{named}.{name}"));
                    if let Some(definition) = input.fields.get(name) {
                        let field_type = definition.ty.clone();
                        self.value(field_value, &field_type);
                    }
                }
            }
            _ => {}
        }
    }
}
