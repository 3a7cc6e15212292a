//! The demand control directives of a subgraph, `@cost` and `@listSize`: reading their
//! arguments, and checking them against the types they are applied to (no `@cost` on interface
//! fields, `@listSize` on lists or with sized fields that are lists, slicing arguments that are
//! `Int` arguments of the field, no negative assumed size). Merging and printing them is done
//! with the other applied directives.

use apollo_compiler::Name;
use apollo_compiler::ast;
use indexmap::IndexMap;

use super::build::Builder;
use super::{ListSize, SubgraphType, TypeBody};
use crate::error::ErrorCode;

/// The arguments of a `@listSize` application.
pub(super) fn read_list_size(directive: &ast::Directive) -> ListSize {
    let strings = |name: &str| {
        directive
            .specified_argument_by_name(name)
            .and_then(|v| v.as_list())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
    };
    ListSize {
        assumed_size: directive
            .specified_argument_by_name("assumedSize")
            .and_then(|v| v.to_i32()),
        slicing_arguments: strings("slicingArguments"),
        sized_fields: strings("sizedFields"),
        require_one_slicing_argument: directive
            .specified_argument_by_name("requireOneSlicingArgument")
            .and_then(|v| v.to_bool()),
    }
}

impl Builder<'_> {
    /// Reports misplaced or inconsistent `@cost` and `@listSize` applications.
    pub(super) fn check_demand_control(&mut self, types: &IndexMap<Name, SubgraphType>) {
        for ty in types.values() {
            let (composite, is_interface) = match &ty.body {
                TypeBody::Object(composite) => (composite, ty.interface_object),
                TypeBody::Interface(composite) => (composite, true),
                _ => continue,
            };
            for field in composite.fields.values() {
                let coordinate = format!("{}.{}", ty.name, field.name);
                if is_interface && field.applied.cost.is_some() {
                    let error = self.reporter.error(
                        ErrorCode::CostAppliedToInterfaceField,
                        &coordinate,
                        format!("@cost cannot be applied to interface field \"{coordinate}\": the cost is set on the implementations' fields"),
                        field.position,
                    );
                    self.errors.push(error);
                }
                for argument in field.arguments.values() {
                    if is_interface && argument.applied.cost.is_some() {
                        let error = self.reporter.error(
                            ErrorCode::CostAppliedToInterfaceField,
                            &coordinate,
                            format!("@cost cannot be applied to argument \"{}\" of interface field \"{coordinate}\"", argument.name),
                            argument.position,
                        );
                        self.errors.push(error);
                    }
                }
                let Some(list_size) = &field.applied.list_size else {
                    continue;
                };
                for (code, message) in list_size_problems(types, field, list_size, &coordinate) {
                    let error = self
                        .reporter
                        .error(code, &coordinate, message, field.position);
                    self.errors.push(error);
                }
            }
        }
    }
}

/// What is wrong with the `@listSize` of `field`.
fn list_size_problems(
    types: &IndexMap<Name, SubgraphType>,
    field: &super::Field,
    list_size: &ListSize,
    coordinate: &str,
) -> Vec<(ErrorCode, String)> {
    let mut problems = Vec::new();
    if list_size.assumed_size.is_some_and(|size| size < 0) {
        problems.push((
            ErrorCode::ListSizeInvalidAssumedSize,
            format!("\"{coordinate}\" has a negative @listSize(assumedSize:)"),
        ));
    }
    let sized_fields = list_size.sized_fields.as_deref().unwrap_or_default();
    if sized_fields.is_empty() && !field.ty.is_list() {
        problems.push((
            ErrorCode::ListSizeAppliedToNonList,
            format!("\"{coordinate}\" is not a list: @listSize on a field returning an object needs sizedFields naming its list fields"),
        ));
    }
    if !sized_fields.is_empty() {
        let result = types
            .get(field.ty.inner_named_type())
            .and_then(|t| match &t.body {
                TypeBody::Object(c) | TypeBody::Interface(c) => Some(c),
                _ => None,
            });
        match result {
            None => problems.push((
                ErrorCode::ListSizeInvalidSizedField,
                format!("\"{coordinate}\" has @listSize(sizedFields:) but its type {} is not an object or interface", field.ty),
            )),
            Some(result) => {
                for name in sized_fields {
                    let problem = match result.fields.get(name.as_str()) {
                        None => Some((ErrorCode::ListSizeInvalidSizedField, "does not exist")),
                        // What the directive sizes is not a list.
                        Some(sized) if !sized.ty.is_list() => {
                            Some((ErrorCode::ListSizeAppliedToNonList, "is not a list"))
                        }
                        Some(_) => None,
                    };
                    if let Some((code, problem)) = problem {
                        problems.push((
                            code,
                            format!("\"{coordinate}\" names field \"{name}\" in @listSize(sizedFields:), which {problem}"),
                        ));
                    }
                }
            }
        }
    }
    for name in list_size.slicing_arguments.as_deref().unwrap_or_default() {
        let problem = match field.arguments.get(name.as_str()) {
            None => Some("does not exist"),
            Some(argument) if argument.ty.is_list() || argument.ty.inner_named_type() != "Int" => {
                Some("is not an Int")
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            problems.push((
                ErrorCode::ListSizeInvalidSlicingArgument,
                format!("\"{coordinate}\" names argument \"{name}\" in @listSize(slicingArguments:), which {problem}"),
            ));
        }
    }
    problems
}
