//! Checks on the merged supergraph that no single subgraph can make: a query root exists,
//! types implement every field of their interfaces across subgraphs, and `@inaccessible`
//! leaves a consistent API schema (nothing visible refers to something hidden, required inputs
//! stay visible, visible types keep a visible child).

use apollo_compiler::Name;

use crate::error::{CompositionError, ErrorCode, ErrorLocation, subgraph_list};
use crate::subgraph::{Subgraph, TypeBody};
use crate::supergraph::{MergedBody, MergedInputValue, MergedSchema};

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
    validator.inaccessible();
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
