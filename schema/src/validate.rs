//! Checks on the merged supergraph that no single subgraph can make: a query root exists,
//! types implement their interfaces across subgraphs (every field, with a compatible type and
//! the interface's arguments, and the interface's own interfaces), and `@inaccessible` leaves a
//! consistent API schema (nothing visible refers to something hidden, not even in a default
//! value; hidden fields do not implement visible interface fields; required inputs stay visible;
//! visible types keep a visible child).

use apollo_compiler::ast::{self, Type};
use apollo_compiler::{Name, Node};

use crate::error::{CompositionError, ErrorCode, ErrorLocation, subgraph_list};
use crate::subgraph::{Subgraph, TypeBody};
use crate::supergraph::{MergedBody, MergedComposite, MergedInputValue, MergedSchema};

pub(crate) fn validate(
    schema: &MergedSchema,
    subgraphs: &[Subgraph],
) -> Result<(), Vec<CompositionError>> {
    let mut validator = Validator {
        schema,
        subgraphs,
        errors: Vec::new(),
    };
    validator.query_root();
    validator.interface_implementations();
    validator.implementation_shapes();
    validator.inaccessible();
    validator.implemented_by_inaccessible();
    validator.defaults_using_inaccessible();
    if validator.errors.is_empty() {
        Ok(())
    } else {
        Err(validator.errors)
    }
}

struct Validator<'a> {
    schema: &'a MergedSchema,
    subgraphs: &'a [Subgraph],
    errors: Vec<CompositionError>,
}

impl Validator<'_> {
    /// Where subgraphs define a type (no field) or a field of it.
    fn locate(&self, type_name: &str, field: Option<&str>) -> Vec<ErrorLocation> {
        self.subgraphs
            .iter()
            .filter_map(|subgraph| {
                let ty = subgraph.types.get(type_name)?;
                let position = match field {
                    None => ty.position,
                    Some(field) => match &ty.body {
                        TypeBody::Object(c) | TypeBody::Interface(c) => {
                            c.fields.get(field)?.position
                        }
                        TypeBody::InputObject { fields } => fields.get(field)?.position,
                        TypeBody::Enum { values } => values.get(field)?.position,
                        _ => return None,
                    },
                };
                Some(subgraph.location(position))
            })
            .collect()
    }

    fn error(
        &mut self,
        code: ErrorCode,
        element: &str,
        message: String,
        locations: Vec<ErrorLocation>,
    ) {
        self.errors.push(
            CompositionError::new(code, message)
                .element(element)
                .at_all(locations),
        );
    }

    fn query_root(&mut self) {
        if !self.schema.types.contains_key("Query") {
            self.error(
                ErrorCode::NoQueries,
                "Query",
                "No queries found in any subgraph: a supergraph must have a query root type."
                    .to_owned(),
                Vec::new(),
            );
        }
    }

    fn interface_implementations(&mut self) {
        for ty in self.schema.types.values() {
            let (MergedBody::Object(composite) | MergedBody::Interface(composite)) = &ty.body
            else {
                continue;
            };
            for interface in &composite.implements {
                let Some(MergedBody::Interface(declared)) =
                    self.schema.types.get(interface).map(|t| &t.body)
                else {
                    continue;
                };
                for field in declared.fields.keys() {
                    if composite.fields.contains_key(field) {
                        continue;
                    }
                    let declaring: Vec<&str> = self
                        .subgraphs
                        .iter()
                        .filter(|s| {
                            s.object_or_interface(interface)
                                .is_some_and(|c| c.fields.contains_key(field))
                        })
                        .map(|s| s.name.as_str())
                        .collect();
                    let implementing: Vec<&str> = self
                        .subgraphs
                        .iter()
                        .filter(|s| {
                            s.object_or_interface(&ty.name)
                                .is_some_and(|c| c.implements.contains(interface))
                        })
                        .map(|s| s.name.as_str())
                        .collect();
                    let mut locations = self.locate(interface, Some(field));
                    locations.extend(self.locate(&ty.name, None));
                    self.error(
                        ErrorCode::InterfaceFieldNoImplem,
                        &format!("{}.{field}", ty.name),
                        format!(
                            "Interface field \"{interface}.{field}\" is declared in {} but type \"{}\", which implements \"{interface}\" only in {} does not have field \"{field}\".",
                            subgraph_list(&declaring),
                            ty.name,
                            subgraph_list(&implementing)
                        ),
                        locations,
                    );
                }
            }
        }
    }

    fn composite(&self, name: &str) -> Option<&MergedComposite> {
        match &self.schema.types.get(name)?.body {
            MergedBody::Object(c) | MergedBody::Interface(c) => Some(c),
            _ => None,
        }
    }

    /// `sub` is `sup` or a subtype of it in the merged schema (covariance of output types).
    fn is_subtype(&self, sup: &Type, sub: &Type) -> bool {
        match (sup, sub) {
            (Type::NonNullNamed(_) | Type::NonNullList(_), Type::Named(_) | Type::List(_)) => false,
            (Type::NonNullNamed(_) | Type::NonNullList(_), _) => {
                self.is_subtype(&sup.clone().nullable(), &sub.clone().nullable())
            }
            (_, Type::NonNullNamed(_) | Type::NonNullList(_)) => {
                self.is_subtype(sup, &sub.clone().nullable())
            }
            (Type::List(sup_item), Type::List(sub_item)) => self.is_subtype(sup_item, sub_item),
            (Type::Named(sup_name), Type::Named(sub_name)) => {
                sup_name == sub_name
                    || self
                        .composite(sub_name)
                        .is_some_and(|c| c.implements.contains(sup_name))
                    || matches!(
                        self.schema.types.get(sup_name).map(|t| &t.body),
                        Some(MergedBody::Union { members, .. }) if members.contains(sub_name)
                    )
            }
            _ => false,
        }
    }

    /// What merging can break in an implementation that every subgraph had right: field types,
    /// interface arguments, and interfaces implemented by the implemented interfaces.
    fn implementation_shapes(&mut self) {
        let mut problems: Vec<(String, String, Vec<ErrorLocation>)> = Vec::new();
        for ty in self.schema.types.values() {
            let (MergedBody::Object(composite) | MergedBody::Interface(composite)) = &ty.body
            else {
                continue;
            };
            for interface in &composite.implements {
                let Some(declared) = self.composite(interface) else {
                    continue;
                };
                for transitive in &declared.implements {
                    if transitive != &ty.name && !composite.implements.contains(transitive) {
                        problems.push((
                            ty.name.to_string(),
                            format!(
                                "Type {} must implement {transitive} because it is implemented by {interface}.",
                                ty.name
                            ),
                            self.locate(&ty.name, None),
                        ));
                    }
                }
                for (field_name, interface_field) in &declared.fields {
                    let Some(field) = composite.fields.get(field_name) else {
                        continue;
                    };
                    let coordinate = format!("{}.{field_name}", ty.name);
                    let mut locations = self.locate(&ty.name, Some(field_name));
                    locations.extend(self.locate(interface, Some(field_name)));
                    if !self.is_subtype(&interface_field.ty, &field.ty) {
                        problems.push((
                            coordinate.clone(),
                            format!(
                                "Interface field {interface}.{field_name} expects type {} but {coordinate} of type {} is not a proper subtype.",
                                interface_field.ty, field.ty
                            ),
                            locations.clone(),
                        ));
                    }
                    for (argument_name, argument) in &interface_field.arguments {
                        match field.arguments.get(argument_name) {
                            None => problems.push((
                                coordinate.clone(),
                                format!(
                                    "Interface field argument {interface}.{field_name}({argument_name}:) expected but {coordinate} does not provide it."
                                ),
                                locations.clone(),
                            )),
                            Some(own) if own.ty != argument.ty => problems.push((
                                coordinate.clone(),
                                format!(
                                    "Interface field argument {interface}.{field_name}({argument_name}:) expects type {} but {coordinate}({argument_name}:) is type {}.",
                                    argument.ty, own.ty
                                ),
                                locations.clone(),
                            )),
                            Some(_) => {}
                        }
                    }
                    for (argument_name, own) in &field.arguments {
                        if own.is_required()
                            && !interface_field.arguments.contains_key(argument_name)
                        {
                            problems.push((
                                coordinate.clone(),
                                format!(
                                    "Argument \"{coordinate}({argument_name}:)\" must not be required type \"{}\" if not provided by the Interface field \"{interface}.{field_name}\".",
                                    own.ty
                                ),
                                locations.clone(),
                            ));
                        }
                    }
                }
            }
        }
        for (element, message, locations) in problems {
            self.error(ErrorCode::InvalidGraphql, &element, message, locations);
        }
    }

    /// A hidden field or argument cannot implement a visible interface field or argument.
    fn implemented_by_inaccessible(&mut self) {
        let mut problems: Vec<(String, String, Vec<ErrorLocation>)> = Vec::new();
        for ty in self.schema.types.values() {
            let (MergedBody::Object(composite) | MergedBody::Interface(composite)) = &ty.body
            else {
                continue;
            };
            if ty.applied.inaccessible {
                continue;
            }
            for interface in &composite.implements {
                if self.is_inaccessible_type(interface) {
                    continue;
                }
                let Some(declared) = self.composite(interface) else {
                    continue;
                };
                for (field_name, interface_field) in &declared.fields {
                    let Some(field) = composite.fields.get(field_name) else {
                        continue;
                    };
                    if interface_field.applied.inaccessible {
                        continue;
                    }
                    let coordinate = format!("{}.{field_name}", ty.name);
                    let mut locations = self.locate(&ty.name, Some(field_name));
                    locations.extend(self.locate(interface, Some(field_name)));
                    if field.applied.inaccessible {
                        problems.push((
                            coordinate.clone(),
                            format!(
                                "Field \"{coordinate}\" is @inaccessible but implements the interface field \"{interface}.{field_name}\", which is in the API schema."
                            ),
                            locations,
                        ));
                        continue;
                    }
                    for (argument_name, argument) in &field.arguments {
                        let implemented = interface_field
                            .arguments
                            .get(argument_name)
                            .is_some_and(|a| !a.applied.inaccessible);
                        if argument.applied.inaccessible && implemented {
                            problems.push((
                                format!("{coordinate}({argument_name}:)"),
                                format!(
                                    "Argument \"{coordinate}({argument_name}:)\" is @inaccessible but implements the interface argument \"{interface}.{field_name}({argument_name}:)\", which is in the API schema."
                                ),
                                locations.clone(),
                            ));
                        }
                    }
                }
            }
        }
        for (element, message, locations) in problems {
            self.error(
                ErrorCode::ImplementedByInaccessible,
                &element,
                message,
                locations,
            );
        }
    }

    /// Default values in the API schema cannot use hidden enum values or input fields.
    fn defaults_using_inaccessible(&mut self) {
        let mut problems: Vec<(String, String, Vec<ErrorLocation>)> = Vec::new();
        let mut check = |validator: &Self,
                         value: &MergedInputValue,
                         coordinate: String,
                         parent: &str,
                         field: &str| {
            let Some(default) = &value.default else {
                return;
            };
            if value.applied.inaccessible {
                return;
            }
            let mut hidden = Vec::new();
            validator.hidden_in_value(default, &value.ty, &mut hidden);
            for (what, element) in hidden {
                problems.push((
                    coordinate.clone(),
                    format!(
                        "{what} \"{element}\" is @inaccessible but is used in the default value of \"{coordinate}\", which is in the API schema."
                    ),
                    validator.locate(parent, Some(field)),
                ));
            }
        };
        for ty in self.schema.types.values() {
            if ty.applied.inaccessible {
                continue;
            }
            match &ty.body {
                MergedBody::Object(composite) | MergedBody::Interface(composite) => {
                    for field in composite.fields.values() {
                        if field.applied.inaccessible {
                            continue;
                        }
                        for argument in field.arguments.values() {
                            check(
                                self,
                                argument,
                                format!("{}.{}({}:)", ty.name, field.name, argument.name),
                                &ty.name,
                                &field.name,
                            );
                        }
                    }
                }
                MergedBody::InputObject { fields } => {
                    for field in fields.values() {
                        check(
                            self,
                            field,
                            format!("{}.{}", ty.name, field.name),
                            &ty.name,
                            &field.name,
                        );
                    }
                }
                _ => {}
            }
        }
        for (element, message, locations) in problems {
            self.error(
                ErrorCode::DefaultValueUsesInaccessible,
                &element,
                message,
                locations,
            );
        }
    }

    /// Hidden enum values and input fields a value of type `ty` uses: `("Enum value", "E.V")`.
    fn hidden_in_value(
        &self,
        value: &Node<ast::Value>,
        ty: &Type,
        hidden: &mut Vec<(&'static str, String)>,
    ) {
        let named = ty.inner_named_type();
        match value.as_ref() {
            ast::Value::List(items) => {
                let item_type = match ty {
                    Type::List(inner) | Type::NonNullList(inner) => inner.as_ref().clone(),
                    other => other.clone(),
                };
                for item in items {
                    self.hidden_in_value(item, &item_type, hidden);
                }
            }
            ast::Value::Enum(symbol) => {
                if let Some(MergedBody::Enum { values }) =
                    self.schema.types.get(named).map(|t| &t.body)
                    && values.get(symbol).is_some_and(|v| v.applied.inaccessible)
                {
                    hidden.push(("Enum value", format!("{named}.{symbol}")));
                }
            }
            ast::Value::Object(fields) => {
                let Some(MergedBody::InputObject { fields: declared }) =
                    self.schema.types.get(named).map(|t| &t.body)
                else {
                    return;
                };
                for (name, field_value) in fields {
                    let Some(declared_field) = declared.get(name) else {
                        continue;
                    };
                    if declared_field.applied.inaccessible {
                        hidden.push(("Input field", format!("{named}.{name}")));
                    }
                    self.hidden_in_value(field_value, &declared_field.ty, hidden);
                }
            }
            _ => {}
        }
    }

    fn is_inaccessible_type(&self, name: &Name) -> bool {
        self.schema
            .types
            .get(name)
            .is_some_and(|ty| ty.applied.inaccessible)
    }

    fn inaccessible(&mut self) {
        if self.is_inaccessible_type(&Name::new_unchecked("Query")) {
            let locations = self.locate("Query", None);
            self.error(
                ErrorCode::QueryRootTypeInaccessible,
                "Query",
                "Type \"Query\" is @inaccessible but is the query root type, which must be in the API schema.".to_owned(),
                locations,
            );
        }
        for ty in self.schema.types.values() {
            if ty.applied.inaccessible {
                continue;
            }
            match &ty.body {
                MergedBody::Object(composite) | MergedBody::Interface(composite) => {
                    for field in composite.fields.values() {
                        if field.applied.inaccessible {
                            continue;
                        }
                        let coordinate = format!("{}.{}", ty.name, field.name);
                        self.referenced(
                            field.ty.inner_named_type(),
                            &coordinate,
                            &ty.name,
                            Some(&field.name),
                        );
                        self.inputs(&coordinate, &field.arguments, true, &ty.name, &field.name);
                    }
                    if !composite.fields.is_empty()
                        && composite.fields.values().all(|f| f.applied.inaccessible)
                    {
                        self.only_inaccessible(&ty.name, "fields");
                    }
                }
                MergedBody::InputObject { fields } => {
                    self.inputs(&ty.name, fields, false, &ty.name, "");
                    if !fields.is_empty() && fields.values().all(|f| f.applied.inaccessible) {
                        self.only_inaccessible(&ty.name, "input fields");
                    }
                }
                MergedBody::Enum { values } => {
                    if !values.is_empty() && values.values().all(|v| v.applied.inaccessible) {
                        self.only_inaccessible(&ty.name, "values");
                    }
                }
                MergedBody::Union { members, .. } => {
                    if !members.is_empty() && members.iter().all(|m| self.is_inaccessible_type(m)) {
                        self.only_inaccessible(&ty.name, "members");
                    }
                }
                MergedBody::Scalar { .. } => {}
            }
        }
    }

    /// A visible element whose type is hidden.
    fn referenced(
        &mut self,
        type_name: &Name,
        coordinate: &str,
        parent: &str,
        field: Option<&str>,
    ) {
        if self.is_inaccessible_type(type_name) {
            let mut locations = self.locate(parent, field);
            locations.extend(self.locate(type_name, None));
            self.error(
                ErrorCode::ReferencedInaccessible,
                coordinate,
                format!("Type \"{type_name}\" is @inaccessible but is referenced by \"{coordinate}\", which is in the API schema."),
                locations,
            );
        }
    }

    /// Arguments (of field `parent_field`) or input fields of `parent_type`.
    fn inputs(
        &mut self,
        parent: &str,
        values: &indexmap::IndexMap<Name, MergedInputValue>,
        arguments: bool,
        parent_type: &str,
        parent_field: &str,
    ) {
        for value in values.values() {
            let coordinate = if arguments {
                format!("{parent}({}:)", value.name)
            } else {
                format!("{parent}.{}", value.name)
            };
            let field = if arguments {
                parent_field
            } else {
                value.name.as_str()
            };
            if value.applied.inaccessible {
                if value.is_required() {
                    let what = if arguments { "Argument" } else { "Input field" };
                    let role = if arguments {
                        "a required argument of its field"
                    } else {
                        "a required input field of its type"
                    };
                    let locations = self.locate(parent_type, Some(field));
                    self.error(
                        ErrorCode::RequiredInaccessible,
                        &coordinate,
                        format!("{what} \"{coordinate}\" is @inaccessible but is {role}."),
                        locations,
                    );
                }
                continue;
            }
            self.referenced(
                value.ty.inner_named_type(),
                &coordinate,
                parent_type,
                Some(field),
            );
        }
    }

    fn only_inaccessible(&mut self, type_name: &Name, children: &str) {
        let locations = self.locate(type_name, None);
        self.error(
            ErrorCode::OnlyInaccessibleChildren,
            type_name,
            format!("Type \"{type_name}\" is in the API schema but all of its {children} are @inaccessible."),
            locations,
        );
    }
}
