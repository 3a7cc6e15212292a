//! `@interfaceObject`: a subgraph that knows an interface only as an object type. Its objects come
//! back with the interface as `__typename`; fields of the interface are planned on it, concrete types
//! come from the subgraph that owns the interface, and objects are sent to such a subgraph under the
//! interface's name.

use super::*;

impl Planner<'_> {
    pub(super) fn is_interface_object(&self, type_name: &str, subgraph: SubgraphId) -> bool {
        self.supergraph
            .type_info(type_name)
            .is_some_and(|t| t.kind == TypeKind::Interface && t.is_interface_object_in(subgraph))
    }

    /// The selection below a field whose type the position's subgraph knows only as an
    /// `@interfaceObject`: its objects come back with the interface as `__typename`. Fields every
    /// implementation selects alike are planned on the interface itself; when the client needs the
    /// concrete type (its `__typename` or type-specific fields), an entity fetch to the subgraph that
    /// owns the interface (a resolvable `@key` on it) turns each object into its concrete type.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_interface_object_selection(
        &mut self,
        position: &Position,
        interface: &Name,
        selection: &SubSelection,
        cursor: Vec<Step>,
        path: Vec<PathStep>,
        provided: Option<Arc<FieldSelection>>,
        client_selection: Option<&SubSelection>,
        internal: bool,
        touched: &mut BTreeSet<GroupId>,
    ) -> Result<(), PlanError> {
        let sets = selection.field_sets();
        let Some(first) = sets.first() else {
            return Ok(());
        };
        let interface_fields = self
            .supergraph
            .type_info(interface)
            .map(|t| t.fields.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        let common: Vec<Field> = first
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Regular && interface_fields.contains(&f.name))
            .filter(|f| sets.iter().all(|set| set.fields.contains(f)))
            .cloned()
            .collect();
        let needs_concrete = sets.iter().any(|set| {
            set.fields
                .iter()
                .any(|f| f.kind == FieldKind::Typename || !common.contains(f))
        });
        let common_set = Arc::new(FieldSet {
            type_name: interface.clone(),
            fields: common,
        });
        let on_interface = Position {
            group: position.group,
            subgraph: position.subgraph,
            type_name: interface.clone(),
            cursor,
            path: path.clone(),
            provided,
            client: client_selection.and_then(|s| s.field_sets().first().cloned()),
        };
        self.plan_field_set(&on_interface, &common_set, internal, touched)?;
        if !needs_concrete {
            return Ok(());
        }
        let owner = (0..self.supergraph.subgraphs.len()).find(|&g| {
            !self.is_interface_object(interface, g)
                && self
                    .supergraph
                    .type_info(interface)
                    .is_some_and(|t| t.keys_in(g).next().is_some())
        });
        let Some(owner) = owner else {
            return Err(PlanError::Unsatisfiable {
                type_name: interface.to_string(),
                field: String::from("__typename"),
                path: display_path(&path),
            });
        };
        let group = self.entity_group(&on_interface, owner, None)?;
        touched.insert(group);
        let typename = Name::new_unchecked("__typename");
        let interface_cursor = vec![Step::Fragment(interface.clone())];
        self.groups[group]
            .selection
            .at_mut(&interface_cursor)
            .add_field(&typename, &typename, &[], false);
        for set in sets {
            let specific: Vec<Field> = set
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Regular && !common_set.fields.contains(f))
                .cloned()
                .collect();
            if specific.is_empty() {
                continue;
            }
            let mut concrete_cursor = interface_cursor.clone();
            concrete_cursor.push(Step::Fragment(set.type_name.clone()));
            let concrete = Position {
                group,
                subgraph: owner,
                type_name: set.type_name.clone(),
                cursor: concrete_cursor,
                path: path.clone(),
                provided: None,
                client: client_selection.and_then(|s| s.for_type(&set.type_name).cloned()),
            };
            let specific_set = Arc::new(FieldSet {
                type_name: set.type_name.clone(),
                fields: specific,
            });
            self.plan_field_set(&concrete, &specific_set, internal, touched)?;
        }
        Ok(())
    }

    /// The interface through which `subgraph` resolves `field` for objects of `type_name` when it
    /// knows that interface only as an `@interfaceObject` (and not the type itself).
    pub(super) fn interface_object_route(
        &self,
        type_name: &Name,
        field: &Name,
        subgraph: SubgraphId,
    ) -> Option<Name> {
        let object = self.supergraph.schema.get_object(type_name)?;
        object
            .implements_interfaces
            .iter()
            .map(|i| i.name.clone())
            .find(|interface| {
                self.is_interface_object(interface, subgraph)
                    && self
                        .supergraph
                        .field_info(interface, field)
                        .is_some_and(|info| info.resolvable_with(self.labels).contains(subgraph))
            })
    }

    /// The type under which objects of `type_name` are sent to `subgraph`: the type itself, or the
    /// `@interfaceObject` interface standing for it there.
    pub(super) fn entity_type_in(&self, type_name: &Name, subgraph: SubgraphId) -> Name {
        let defined = self
            .supergraph
            .type_info(type_name)
            .is_some_and(|t| t.defined_in.contains(subgraph));
        if defined {
            return type_name.clone();
        }
        self.supergraph
            .schema
            .get_object(type_name)
            .and_then(|object| {
                object
                    .implements_interfaces
                    .iter()
                    .find(|i| self.is_interface_object(&i.name, subgraph))
                    .map(|i| i.name.clone())
            })
            .unwrap_or_else(|| type_name.clone())
    }
}
