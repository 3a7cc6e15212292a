//! The API schema: the supergraph as clients see it. Join and link machinery (types, directive
//! definitions and applications of every linked spec) is removed, and so is every element marked
//! `@inaccessible`, together with references to removed types. Validation and introspection use it.

use std::collections::HashSet;

use apollo_compiler::schema::{ComponentName, ExtendedType};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema, ast};

use super::SupergraphError;
use super::links::Links;

pub(crate) fn derive(supergraph: &Schema, links: &Links) -> Result<Valid<Schema>, SupergraphError> {
    let mut schema = supergraph.clone();
    let inaccessible = links.inaccessible_directive();
    let is_inaccessible =
        |directives: &ast::DirectiveList| inaccessible.as_ref().is_some_and(|d| directives.has(d));

    // Types that disappear: machinery and inaccessible ones.
    let removed_types: HashSet<Name> = schema
        .types
        .iter()
        .filter(|(name, ty)| {
            !ty.is_built_in()
                && (links.is_machinery_type(name)
                    || inaccessible
                        .as_ref()
                        .is_some_and(|d| ty.directives().get(d).is_some()))
        })
        .map(|(name, _)| name.clone())
        .collect();
    schema.types.retain(|name, _| !removed_types.contains(name));
    schema
        .directive_definitions
        .retain(|name, _| !links.is_machinery_directive(name));
    let schema_def = schema.schema_definition.make_mut();
    schema_def
        .directives
        .0
        .retain(|d| !links.is_machinery_directive(&d.name));

    let strip = |directives: &mut ast::DirectiveList| {
        directives
            .0
            .retain(|d| !links.is_machinery_directive(&d.name));
    };
    let type_removed = |ty: &ast::Type| removed_types.contains(ty.inner_named_type());

    for ty in schema.types.values_mut() {
        match ty {
            ExtendedType::Object(object) => {
                let object = object.make_mut();
                object
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                object
                    .implements_interfaces
                    .retain(|i: &ComponentName| !removed_types.contains(&i.name));
                object
                    .fields
                    .retain(|_, f| !is_inaccessible(&f.directives) && !type_removed(&f.ty));
                for field in object.fields.values_mut() {
                    let field = field.make_mut();
                    strip(&mut field.directives);
                    field.arguments.retain(|a| !is_inaccessible(&a.directives));
                    for argument in &mut field.arguments {
                        strip(&mut argument.make_mut().directives);
                    }
                }
            }
            ExtendedType::Interface(interface) => {
                let interface = interface.make_mut();
                interface
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                interface
                    .implements_interfaces
                    .retain(|i: &ComponentName| !removed_types.contains(&i.name));
                interface
                    .fields
                    .retain(|_, f| !is_inaccessible(&f.directives) && !type_removed(&f.ty));
                for field in interface.fields.values_mut() {
                    let field = field.make_mut();
                    strip(&mut field.directives);
                    field.arguments.retain(|a| !is_inaccessible(&a.directives));
                    for argument in &mut field.arguments {
                        strip(&mut argument.make_mut().directives);
                    }
                }
            }
            ExtendedType::Union(union) => {
                let union = union.make_mut();
                union
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                union.members.retain(|m| !removed_types.contains(&m.name));
            }
            ExtendedType::Enum(enum_type) => {
                let enum_type = enum_type.make_mut();
                enum_type
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
                enum_type
                    .values
                    .retain(|_, v| !is_inaccessible(&v.directives));
                for value in enum_type.values.values_mut() {
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
                    .retain(|_, f| !is_inaccessible(&f.directives) && !type_removed(&f.ty));
                for field in input.fields.values_mut() {
                    strip(&mut field.make_mut().directives);
                }
            }
            ExtendedType::Scalar(scalar) => {
                let scalar = scalar.make_mut();
                scalar
                    .directives
                    .0
                    .retain(|d| !links.is_machinery_directive(&d.name));
            }
        }
    }
    for definition in schema.directive_definitions.values_mut() {
        let definition = definition.make_mut();
        definition
            .arguments
            .retain(|a| !is_inaccessible(&a.directives) && !type_removed(&a.ty));
        for argument in &mut definition.arguments {
            strip(&mut argument.make_mut().directives);
        }
    }
    // Unions left without members disappear, and so do the fields returning them.
    schema.types.retain(|_, ty| match ty {
        ExtendedType::Union(union) => !union.members.is_empty(),
        _ => true,
    });
    schema
        .validate()
        .map_err(|with_errors| SupergraphError::InvalidApiSchema(with_errors.errors.to_string()))
}
