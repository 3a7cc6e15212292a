//! Requirements: `@requires` (and `@key`) field sets planned as internal selections at the position
//! of the field that needs them, and what an entity fetch reads from the response tree to build a
//! representation from them.

use super::*;

impl Planner<'_> {
    /// Plans the `@requires` of `field` in `subgraph` from `position`: what the representation must
    /// carry, and the fetches that provide it (the field's fetch waits for them).
    pub(super) fn plan_requirements(
        &mut self,
        position: &Position,
        field: &Field,
        subgraph: SubgraphId,
    ) -> Result<Option<Requirement>, PlanError> {
        // An `@interfaceObject` field's requirement lives on the interface in that subgraph.
        let entity_type = self.entity_type_in(&position.type_name, subgraph);
        let Some(requires) = self
            .supergraph
            .field_info(&entity_type, &field.name)
            .and_then(|info| info.requires_in(subgraph).cloned())
        else {
            return Ok(None);
        };
        let set = self.internal_field_set(&position.type_name, &requires);
        let mut touched = BTreeSet::new();
        self.plan_internal(position, &set, &mut touched)?;
        Ok(Some(Requirement {
            inputs: input_selection(position.client.as_deref(), &set),
            touched,
        }))
    }

    pub(super) fn plan_internal(
        &mut self,
        position: &Position,
        set: &Arc<FieldSet>,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        if self.internal_depth >= MAX_INTERNAL_DEPTH {
            return Err(PlanError::TooDeep {
                type_name: position.type_name.to_string(),
            });
        }
        self.internal_depth += 1;
        let result = self.plan_field_set(position, set, true, touched);
        self.internal_depth -= 1;
        result
    }

    /// A `@key`/`@requires` field set in the normalised form, typed from the supergraph.
    pub(super) fn internal_field_set(
        &self,
        type_name: &Name,
        selection: &FieldSelection,
    ) -> Arc<FieldSet> {
        internal_field_set(self.supergraph, type_name, &[selection])
    }
}

/// Builds the normalised form of field sets (`@key`, `@requires`) on the concrete type `type_name`.
pub(super) fn internal_field_set(
    supergraph: &Supergraph,
    type_name: &Name,
    selections: &[&FieldSelection],
) -> Arc<FieldSet> {
    let mut grouped: IndexMap<Name, (Vec<Node<ast::Argument>>, Vec<&FieldSelection>)> =
        IndexMap::new();
    fn collect<'s>(
        supergraph: &Supergraph,
        type_name: &Name,
        selection: &'s FieldSelection,
        grouped: &mut IndexMap<Name, (Vec<Node<ast::Argument>>, Vec<&'s FieldSelection>)>,
    ) {
        for item in &selection.items {
            match item {
                SelectionItem::Field {
                    name,
                    arguments,
                    selection,
                } => {
                    let entry = grouped
                        .entry(name.clone())
                        .or_insert_with(|| (arguments.clone(), Vec::new()));
                    if let Some(selection) = selection {
                        entry.1.push(selection);
                    }
                }
                SelectionItem::Fragment {
                    type_condition,
                    selection,
                } => {
                    let applies = condition_applies(supergraph, type_condition.as_ref(), type_name);
                    if applies {
                        collect(supergraph, type_name, selection, grouped);
                    }
                }
            }
        }
    }
    for selection in selections {
        collect(supergraph, type_name, selection, &mut grouped);
    }
    let fields = grouped
        .into_iter()
        .map(|(name, (arguments, subs))| {
            if name == "__typename" {
                return Field {
                    json_key: crate::respond::json::json_key(&name).into(),
                    response_key: name.clone(),
                    name,
                    kind: FieldKind::Typename,
                    arguments: Vec::new(),
                    ty: ast::Type::NonNullNamed(Name::new_unchecked("String")),
                    selection: None,
                };
            }
            let ty = supergraph
                .schema
                .type_field(type_name, &name)
                .map(|f| f.ty.clone())
                .unwrap_or_else(|_| ast::Type::Named(Name::new_unchecked("String")));
            let inner = ty.inner_named_type().clone();
            let selection = if subs.is_empty() {
                None
            } else {
                match supergraph.schema.types.get(&inner) {
                    Some(ExtendedType::Object(_)) => Some(SubSelection::Concrete(
                        internal_field_set(supergraph, &inner, &subs),
                    )),
                    Some(ExtendedType::Interface(_)) | Some(ExtendedType::Union(_)) => {
                        let mut possible: Vec<Name> = supergraph
                            .type_info(&inner)
                            .map(|t| {
                                t.possible_in
                                    .values()
                                    .flatten()
                                    .cloned()
                                    .collect::<BTreeSet<_>>()
                                    .into_iter()
                                    .collect()
                            })
                            .unwrap_or_default();
                        possible.retain(|p| {
                            supergraph
                                .type_info(p)
                                .is_some_and(|t| t.kind == TypeKind::Object)
                        });
                        Some(SubSelection::Abstract(
                            possible
                                .iter()
                                .map(|object| internal_field_set(supergraph, object, &subs))
                                .collect(),
                        ))
                    }
                    _ => None,
                }
            };
            Field {
                json_key: crate::respond::json::json_key(&name).into(),
                response_key: name.clone(),
                name,
                kind: FieldKind::Regular,
                arguments,
                ty,
                selection,
            }
        })
        .collect();
    Arc::new(FieldSet {
        type_name: type_name.clone(),
        fields,
    })
}

/// What to read from a tree object to send `set` as part of a representation.
pub(super) fn input_selection(client: Option<&FieldSet>, set: &FieldSet) -> InputSelection {
    let mut input = InputSelection::default();
    for field in &set.fields {
        let tree_key = if field.kind == FieldKind::Typename {
            field.name.clone()
        } else {
            internal_key(client, &field.name, &field.arguments)
        };
        let selection = field.selection.as_ref().map(|sub| {
            let client_sub = client_sub_selection(client, &tree_key, field);
            match sub {
                SubSelection::Concrete(child) => input_selection(
                    client_sub
                        .as_ref()
                        .and_then(|s| s.for_type(&child.type_name))
                        .map(|s| &**s),
                    child,
                ),
                SubSelection::Abstract(children) => InputSelection {
                    as_type: None,
                    fields: vec![InputField {
                        tree_key: Name::new_unchecked("__typename"),
                        name: Name::new_unchecked("__typename"),
                        non_null: true,
                        selection: None,
                    }],
                    fragments: children
                        .iter()
                        .map(|child| {
                            (
                                child.type_name.clone(),
                                input_selection(
                                    client_sub
                                        .as_ref()
                                        .and_then(|s| s.for_type(&child.type_name))
                                        .map(|s| &**s),
                                    child,
                                ),
                            )
                        })
                        .collect(),
                },
            }
        });
        input.fields.push(InputField {
            tree_key,
            name: field.name.clone(),
            non_null: field.ty.is_non_null(),
            selection,
        });
    }
    input
}
