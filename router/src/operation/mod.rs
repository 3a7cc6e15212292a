//! The client's operation, before planning: parse and validate the document against the API schema,
//! pick the operation, coerce its variables, and normalise its selections into one field list per
//! concrete type ([`normalize`]); the limits an operation must keep before it is expanded
//! ([`limits`]).

pub mod limits;
pub mod normalize;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::ast;
use apollo_compiler::executable::Operation;
use apollo_compiler::parser::{Parser, SourceMap};
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::{DiagnosticList, Valid};
use apollo_compiler::{Name, Node, Schema};

use crate::config::OperationLimits;
use crate::graphql_error::{GraphqlError, codes};

pub use normalize::{Field, FieldKind, FieldSet, NormalizedOperation, SubSelection};

/// Largest nesting the parser accepts.
const RECURSION_LIMIT: usize = 200;

/// A document as the pipeline keeps it: validated (or the errors), and the limits check of each of
/// its operations.
pub struct CheckedDocument {
    pub document: Result<Valid<ExecutableDocument>, Vec<GraphqlError>>,
    pub checks: Vec<(Option<Name>, Result<(), GraphqlError>)>,
}

/// Parses `query`, checks its operations against `limits` before validating (validation of a large
/// document costs far more than measuring it), and validates it unless every operation is over a
/// limit.
pub fn parse_check_validate(
    api_schema: &Valid<Schema>,
    query: &str,
    limits: &OperationLimits,
) -> CheckedDocument {
    let ast = match parse(query, limits.max_tokens) {
        Ok(ast) => ast,
        Err(errors) => {
            return CheckedDocument {
                document: Err(errors),
                checks: Vec::new(),
            };
        }
    };
    let built = ast.to_executable(api_schema);
    let unvalidated = match &built {
        Ok(document) => document,
        Err(with_errors) => &with_errors.partial,
    };
    let checks: Vec<(Option<Name>, Result<(), GraphqlError>)> = unvalidated
        .operations
        .iter()
        .map(|operation| {
            (
                operation.name.clone(),
                limits::check(unvalidated, operation, limits),
            )
        })
        .collect();
    if let Some((_, Err(first))) = checks.first()
        && checks.iter().all(|(_, check)| check.is_err())
    {
        return CheckedDocument {
            document: Err(vec![first.clone()]),
            checks,
        };
    }
    let document = match built {
        Ok(document) => document
            .validate(api_schema)
            .map_err(|e| validation_errors(&ast, &e.errors)),
        Err(_) => validate(&ast, api_schema),
    };
    CheckedDocument { document, checks }
}

/// Parses (reading at most `max_tokens` tokens) and validates `query` against the API schema.
pub fn parse_and_validate(
    api_schema: &Valid<Schema>,
    query: &str,
    max_tokens: usize,
) -> Result<Valid<ExecutableDocument>, Vec<GraphqlError>> {
    validate(&parse(query, max_tokens)?, api_schema)
}

fn parse(query: &str, max_tokens: usize) -> Result<ast::Document, Vec<GraphqlError>> {
    let mut parser = Parser::new()
        .recursion_limit(RECURSION_LIMIT)
        .token_limit(max_tokens);
    parser.parse_ast(query, "operation.graphql").map_err(|e| {
        let mut errors = diagnostics_to_errors(&e.errors, codes::PARSE_FAILED);
        for error in &mut errors {
            let code = if error.message.contains("token limit reached") {
                codes::MAX_TOKENS_EXCEEDED
            } else if error.message.contains("recursion limit reached") {
                codes::MAX_DEPTH_EXCEEDED
            } else {
                continue;
            };
            error.extensions.insert("code".to_owned(), code.into());
        }
        errors
    })
}

fn validate(
    ast: &ast::Document,
    api_schema: &Valid<Schema>,
) -> Result<Valid<ExecutableDocument>, Vec<GraphqlError>> {
    ast.to_executable_validate(api_schema)
        .map_err(|e| validation_errors(ast, &e.errors))
}

fn validation_errors(ast: &ast::Document, diagnostics: &DiagnosticList) -> Vec<GraphqlError> {
    let mut errors = diagnostics_to_errors(diagnostics, codes::VALIDATION_FAILED);
    // A field whose only subfields were invalid is also reported as having no subfields; that
    // second error repeats the first in confusing words, so it goes when the text had subfields.
    let with_subfields = fields_with_subfields(ast);
    if errors.len() > 1 {
        errors.retain(|error| {
            !(error.message.contains("must have a selection of subfields")
                && error
                    .locations
                    .first()
                    .is_some_and(|l| with_subfields.contains(&(l.line, l.column))))
        });
    }
    errors
}

/// Line and column of every field written with a selection set.
fn fields_with_subfields(document: &ast::Document) -> Vec<(usize, usize)> {
    fn walk(selections: &[ast::Selection], sources: &SourceMap, out: &mut Vec<(usize, usize)>) {
        for selection in selections {
            match selection {
                ast::Selection::Field(field) => {
                    if !field.selection_set.is_empty()
                        && let Some(position) =
                            field.location().and_then(|l| l.line_column(sources))
                    {
                        out.push((position.line, position.column));
                    }
                    walk(&field.selection_set, sources, out);
                }
                ast::Selection::InlineFragment(fragment) => {
                    walk(&fragment.selection_set, sources, out)
                }
                ast::Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for definition in &document.definitions {
        match definition {
            ast::Definition::OperationDefinition(operation) => {
                walk(&operation.selection_set, &document.sources, &mut out)
            }
            ast::Definition::FragmentDefinition(fragment) => {
                walk(&fragment.selection_set, &document.sources, &mut out)
            }
            _ => {}
        }
    }
    out
}

fn diagnostics_to_errors(diagnostics: &DiagnosticList, code: &str) -> Vec<GraphqlError> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let json = diagnostic.unstable_to_json_compat();
            let mut error = GraphqlError::new(json.message, code);
            for location in json.locations {
                error = error.with_location(location.line, location.column);
            }
            error
        })
        .collect()
}

/// The operation to run: by name, or the only one.
pub fn select_operation<'d>(
    document: &'d Valid<ExecutableDocument>,
    operation_name: Option<&str>,
) -> Result<&'d Node<Operation>, GraphqlError> {
    document.operations.get(operation_name).map_err(|e| {
        let message = match operation_name {
            Some(name) => format!("unknown operation named \"{name}\": {}", e.message()),
            None => e.message().to_string(),
        };
        GraphqlError::new(message, codes::OPERATION_NOT_FOUND)
    })
}

/// Coerces request variables per the spec (defaults, types, required values).
pub fn coerce_variables(
    api_schema: &Valid<Schema>,
    document: &Valid<ExecutableDocument>,
    operation: &Operation,
    values: &JsonMap,
) -> Result<Valid<JsonMap>, GraphqlError> {
    coerce_variable_values(api_schema, operation, values).map_err(|e| {
        let mut error = GraphqlError::new(e.message().to_string(), codes::BAD_USER_INPUT);
        if let Some(location) = e.location().and_then(|l| l.line_column(&document.sources)) {
            error = error.with_location(location.line, location.column);
        }
        error
    })
}
