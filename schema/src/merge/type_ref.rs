//! Merging type references across subgraphs: the subtyping Federation allows between them
//! (non-null to nullable, list items, an object to an interface it implements or a union it
//! belongs to) and the choice of supergraph type: the most general type for outputs, the most
//! restrictive for inputs.

use apollo_compiler::ast::Type;

use super::Merger;
use super::mismatch::describe_values;
use crate::error::{CompositionError, ErrorCode, ErrorLocation};

/// Output positions (object and interface fields) or input positions (arguments, input fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variance {
    Output,
    Input,
}

/// One subgraph's type for the element being merged.
pub(super) struct TypeSource<'t> {
    pub(super) subgraph: usize,
    pub(super) ty: &'t Type,
    pub(super) location: ErrorLocation,
}

impl Merger<'_> {
    /// `sub` is `sup` or a subtype of it.
    pub(super) fn is_subtype(&self, sup: &Type, sub: &Type) -> bool {
        sup == sub || self.is_strict_subtype(sup, sub)
    }

    /// `sub` is a subtype of `sup` and differs from it.
    pub(super) fn is_strict_subtype(&self, sup: &Type, sub: &Type) -> bool {
        match sub {
            Type::List(sub_item) => match sup {
                Type::List(sup_item) => self.is_subtype(sup_item, sub_item),
                _ => false,
            },
            Type::NonNullNamed(_) | Type::NonNullList(_) => {
                let sub_nullable = sub.clone().nullable();
                if sup.is_non_null() {
                    self.is_subtype(&sup.clone().nullable(), &sub_nullable)
                } else {
                    self.is_subtype(sup, &sub_nullable)
                }
            }
            Type::Named(sub_name) => match sup {
                Type::Named(sup_name) => {
                    self.implementations
                        .get(sub_name)
                        .is_some_and(|interfaces| interfaces.contains(sup_name))
                        || self
                            .union_members
                            .get(sup_name)
                            .is_some_and(|members| members.contains(sub_name))
                }
                _ => false,
            },
        }
    }

    /// Picks the supergraph type of an element from its subgraph types. Returns the type and
    /// whether all subgraphs agreed exactly; reports incompatible types under
    /// `FIELD_TYPE_MISMATCH` (or `FIELD_ARGUMENT_TYPE_MISMATCH` for arguments).
    pub(super) fn merge_type_reference(
        &mut self,
        coordinate: &str,
        is_argument: bool,
        sources: &[TypeSource<'_>],
        variance: Variance,
    ) -> Option<(Type, bool)> {
        let mut merged: Option<&Type> = None;
        let mut has_subtypes = false;
        let mut incompatible = false;
        for source in sources {
            let Some(current) = merged else {
                merged = Some(source.ty);
                continue;
            };
            if current == source.ty {
                continue;
            }
            if self.is_strict_subtype(current, source.ty) {
                has_subtypes = true;
                if variance == Variance::Input {
                    merged = Some(source.ty);
                }
            } else if self.is_strict_subtype(source.ty, current) {
                has_subtypes = true;
                if variance == Variance::Output {
                    merged = Some(source.ty);
                }
            } else {
                incompatible = true;
            }
        }
        let merged = merged?.clone();
        if incompatible {
            let (code, element) = if is_argument {
                (ErrorCode::FieldArgumentTypeMismatch, "argument")
            } else {
                (ErrorCode::FieldTypeMismatch, "field")
            };
            let values: Vec<(String, String)> = sources
                .iter()
                .map(|source| {
                    (
                        self.subgraphs[source.subgraph].name.clone(),
                        format!("type \"{}\"", source.ty),
                    )
                })
                .collect();
            self.errors.push(
                CompositionError::new(
                    code,
                    format!(
                        "Type of {element} \"{coordinate}\" is incompatible across subgraphs: it has {}",
                        describe_values(&values, Some(&format!("type \"{merged}\"")))
                    ),
                )
                .element(coordinate)
                .at_all(sources.iter().map(|source| source.location.clone())),
            );
        }
        Some((merged, !has_subtypes && !incompatible))
    }
}
