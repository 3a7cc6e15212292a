//! Fetch groups and their merging: creating groups, merging entity groups that can go out as one
//! request, ordering them so that dependencies come first, and writing each as a subgraph operation.

use super::*;
use crate::plan::Rename;
use crate::plan::selection::{FetchField, FetchItem};

impl Planner<'_> {
    pub(super) fn new_group(
        &mut self,
        subgraph: SubgraphId,
        root_kind: Option<OperationType>,
        path: Vec<PathStep>,
        deps: BTreeSet<GroupId>,
    ) -> GroupId {
        self.groups.push(Group {
            subgraph,
            root_kind,
            paths: if root_kind.is_some() {
                Vec::new()
            } else {
                vec![path]
            },
            path_keys: Vec::new(),
            selection: FetchSelection::default(),
            inputs: Vec::new(),
            deps,
        });
        self.groups.len() - 1
    }

    /// Runs `plan` on the planner and undoes it: how many groups it created (`None` when it
    /// failed). For choosing between candidates by the fetches their plans need.
    pub(super) fn count_new_groups(
        &mut self,
        plan: impl FnOnce(&mut Self) -> Result<(), PlanError>,
    ) -> Option<usize> {
        let saved_groups = self.groups.clone();
        let saved_entity_groups = self.entity_groups.clone();
        let planned = plan(self);
        let created = self.groups.len() - saved_groups.len();
        self.groups = saved_groups;
        self.entity_groups = saved_entity_groups;
        planned.ok().map(|_| created)
    }

    pub(super) fn finish(mut self) -> Result<QueryPlan, PlanError> {
        merge_entity_groups(&mut self.groups);
        let order = topological_order(&self.groups).map_err(|cycle| {
            let services: Vec<&str> = cycle
                .iter()
                .map(|&g| {
                    self.supergraph.subgraphs[self.groups[g].subgraph]
                        .name
                        .as_str()
                })
                .collect();
            PlanError::Cycle(services.join(", "))
        })?;
        let mut new_index = vec![0; self.groups.len()];
        for (position, &group) in order.iter().enumerate() {
            new_index[group] = position;
        }
        let mut renames: Vec<Vec<Rename>> = Vec::with_capacity(self.groups.len());
        for group_id in 0..self.groups.len() {
            let mut selection = std::mem::take(&mut self.groups[group_id].selection);
            let subgraph = self.groups[group_id].subgraph;
            let parent = self.groups[group_id]
                .root_kind
                .and_then(|kind| self.supergraph.subgraph_root_type(kind).cloned());
            let mut found = Vec::new();
            self.alias_conflicting_fields(
                subgraph,
                &mut selection,
                parent.as_ref(),
                &mut Vec::new(),
                &mut found,
            );
            found.sort_by_key(|rename: &Rename| std::cmp::Reverse(rename.path.len()));
            self.groups[group_id].selection = selection;
            renames.push(found);
        }
        let operation_name = self.operation.name.as_ref().map(|n| n.to_string());
        let fetches = order
            .iter()
            .enumerate()
            .map(|(id, &group_id)| {
                let group = &self.groups[group_id];
                let service = self.supergraph.subgraphs[group.subgraph].name.clone();
                let name = operation_name
                    .as_ref()
                    .map(|n| format!("{n}__{}__{id}", sanitize(&service)));
                let (operation, variables) = self.operation_text(group, name.as_deref());
                let operation_json =
                    serde_json::to_string(&operation).unwrap_or_else(|_| String::from("\"\""));
                let mut depends_on: Vec<usize> = group.deps.iter().map(|d| new_index[*d]).collect();
                depends_on.sort_unstable();
                Fetch {
                    id,
                    subgraph: group.subgraph,
                    service,
                    operation,
                    operation_json,
                    operation_name: name,
                    variables,
                    entity: group.root_kind.is_none().then(|| EntityFetch {
                        paths: group.paths.clone(),
                        path_keys: group.path_keys.clone(),
                        inputs: self.inputs_by_object_type(&group.inputs),
                    }),
                    root_keys: if group.root_kind.is_some() {
                        group.selection.top_level_keys()
                    } else {
                        Vec::new()
                    },
                    depends_on,
                    renames: renames[group_id].clone(),
                }
            })
            .collect();
        Ok(QueryPlan {
            kind: self.operation.kind,
            fetches,
        })
    }

    /// Aliases fields of sibling type fragments that share a response key but not their type in
    /// the subgraph (GraphQL's "fields in set can merge" rule would reject the operation), and
    /// records each as a [`Rename`]. `parent` is the type of the selection (`None` at the top of
    /// an `_entities` selection, which has only type fragments).
    pub(super) fn alias_conflicting_fields(
        &self,
        subgraph: SubgraphId,
        selection: &mut FetchSelection,
        parent: Option<&Name>,
        path: &mut Vec<PathStep>,
        renames: &mut Vec<Rename>,
    ) {
        let mut types: HashMap<Name, String> = HashMap::new();
        if let Some(parent) = parent {
            for item in &selection.items {
                if let FetchItem::Field(field) = item
                    && let Some(ty) = self.type_in_subgraph(parent, &field.name, subgraph)
                {
                    types.insert(field.key.clone(), ty);
                }
            }
        }
        for item in &mut selection.items {
            match item {
                FetchItem::Field(field) => {
                    if let Some(parent) = parent {
                        self.alias_below(subgraph, parent, field, path, renames);
                    }
                }
                FetchItem::Fragment(type_name, inner) => {
                    for inner_item in &mut inner.items {
                        let FetchItem::Field(field) = inner_item else {
                            continue;
                        };
                        if let Some(ty) = self.type_in_subgraph(type_name, &field.name, subgraph) {
                            match types.get(&field.key) {
                                None => {
                                    types.insert(field.key.clone(), ty);
                                }
                                Some(other) if *other != ty => {
                                    let alias = Name::new_unchecked(&format!(
                                        "{INTERNAL_KEY_PREFIX}{}__{type_name}",
                                        field.key
                                    ));
                                    renames.push(Rename {
                                        path: path.clone(),
                                        alias: alias.clone(),
                                        key: field.key.clone(),
                                    });
                                    field.key = alias;
                                }
                                Some(_) => {}
                            }
                        }
                        self.alias_below(subgraph, type_name, field, path, renames);
                    }
                }
            }
        }
    }

    /// [`Planner::alias_conflicting_fields`] in the selection of `field` of `parent`.
    fn alias_below(
        &self,
        subgraph: SubgraphId,
        parent: &Name,
        field: &mut FetchField,
        path: &mut Vec<PathStep>,
        renames: &mut Vec<Rename>,
    ) {
        let Some(selection) = &mut field.selection else {
            return;
        };
        let Some(ty) = self
            .supergraph
            .field_info(parent, &field.name)
            .map(|info| info.ty.clone())
        else {
            return;
        };
        let depth = path.len();
        path.push(PathStep::Key(field.key.clone()));
        path.extend(std::iter::repeat_n(PathStep::List, list_depth(&ty)));
        let child = ty.inner_named_type().clone();
        self.alias_conflicting_fields(subgraph, selection, Some(&child), path, renames);
        path.truncate(depth);
    }

    /// The type of a field in `subgraph`, as written there.
    fn type_in_subgraph(
        &self,
        parent: &Name,
        field: &Name,
        subgraph: SubgraphId,
    ) -> Option<String> {
        let info = self.supergraph.field_info(parent, field)?;
        Some(
            info.join_in(subgraph)
                .and_then(|join| join.type_in_subgraph.clone())
                .unwrap_or_else(|| info.ty.to_string()),
        )
    }

    /// The inputs of an entity fetch as execution matches them, by the object's `__typename`. Inputs
    /// planned for an interface (an `@interfaceObject` position) stand for every object type that
    /// implements it: an earlier fetch may have turned the objects' `__typename` from the interface
    /// into their concrete type. Such objects are still sent under the interface's name.
    pub(super) fn inputs_by_object_type(
        &self,
        inputs: &[(Name, InputSelection)],
    ) -> Vec<(Name, InputSelection)> {
        let mut out: Vec<(Name, InputSelection)> = inputs.to_vec();
        for (type_name, input) in inputs {
            let is_interface = self
                .supergraph
                .type_info(type_name)
                .is_some_and(|t| t.kind == TypeKind::Interface);
            if !is_interface {
                continue;
            }
            let mut as_interface = input.clone();
            as_interface.as_type = Some(type_name.clone());
            if let Some((_, entry)) = out.iter_mut().find(|(t, _)| t == type_name) {
                entry.as_type = Some(type_name.clone());
            }
            let mut implementers: Vec<&Name> = self
                .supergraph
                .schema
                .types
                .values()
                .filter_map(|ty| match ty {
                    ExtendedType::Object(object)
                        if object
                            .implements_interfaces
                            .iter()
                            .any(|i| i.name == *type_name) =>
                    {
                        Some(&object.name)
                    }
                    _ => None,
                })
                .collect();
            implementers.sort();
            for object in implementers {
                if !out.iter().any(|(t, _)| t == object) {
                    out.push((object.clone(), as_interface.clone()));
                }
            }
        }
        out
    }

    pub(super) fn operation_text(&self, group: &Group, name: Option<&str>) -> (String, Vec<Name>) {
        let mut variables = Vec::new();
        group.selection.collect_variables(&mut variables);
        let mut definitions = Vec::new();
        if group.root_kind.is_none() {
            definitions.push(String::from("$representations: [_Any!]!"));
        }
        for variable in &variables {
            if let Some(definition) = self
                .operation
                .variables
                .iter()
                .find(|v| &v.name == variable)
            {
                definitions.push(format!("${}: {}", definition.name, definition.ty));
            }
        }
        let mut text = String::new();
        text.push_str(match group.root_kind {
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            _ => "query",
        });
        if let Some(name) = name {
            text.push(' ');
            text.push_str(name);
        }
        if !definitions.is_empty() {
            text.push('(');
            text.push_str(&definitions.join(", "));
            text.push(')');
        }
        text.push(' ');
        if group.root_kind.is_some() {
            group.selection.write(&mut text, None);
        } else {
            text.push_str("{ _entities(representations: $representations) ");
            group.selection.write(&mut text, None);
            text.push_str(" }");
        }
        (text, variables)
    }
}

/// Merges entity fetches that can go out as one request: same subgraph, same dependencies, the same
/// representation inputs for the types they share, and selections without conflicting keys. The
/// merged fetch collects representations at all their paths ("one request per subgraph per step").
/// Merged-away groups are left empty and unreferenced.
pub(super) fn merge_entity_groups(groups: &mut Vec<Group>) {
    for group in groups.iter_mut() {
        if group.root_kind.is_none() {
            let keys = group.selection.entity_keys();
            group.path_keys = vec![keys; group.paths.len()];
        }
    }
    let mut merged_into: Vec<Option<GroupId>> = vec![None; groups.len()];
    for b in 0..groups.len() {
        if groups[b].root_kind.is_some() {
            continue;
        }
        let target = (0..b).find(|&a| {
            merged_into[a].is_none()
                && groups[a].root_kind.is_none()
                && groups[a].subgraph == groups[b].subgraph
                && groups[a].deps == groups[b].deps
                && groups[b].inputs.iter().all(|(t, input)| {
                    groups[a]
                        .inputs
                        .iter()
                        .find(|(u, _)| u == t)
                        .is_none_or(|(_, other)| other == input)
                })
                && groups[a].selection.compatible(&groups[b].selection)
        });
        let Some(a) = target else { continue };
        let subgraph = groups[a].subgraph;
        let taken = std::mem::replace(
            &mut groups[b],
            Group {
                subgraph,
                root_kind: None,
                paths: Vec::new(),
                path_keys: Vec::new(),
                selection: FetchSelection::default(),
                inputs: Vec::new(),
                deps: BTreeSet::new(),
            },
        );
        let group = &mut groups[a];
        group.selection.merge(&taken.selection);
        for (path, keys) in taken.paths.into_iter().zip(taken.path_keys) {
            match group.paths.iter().position(|p| *p == path) {
                Some(index) => {
                    for key in keys {
                        if !group.path_keys[index].contains(&key) {
                            group.path_keys[index].push(key);
                        }
                    }
                }
                None => {
                    group.paths.push(path);
                    group.path_keys.push(keys);
                }
            }
        }
        for (type_name, input) in taken.inputs {
            if !group.inputs.iter().any(|(t, _)| *t == type_name) {
                group.inputs.push((type_name, input));
            }
        }
        merged_into[b] = Some(a);
        for group in groups.iter_mut() {
            if group.deps.remove(&b) {
                group.deps.insert(a);
            }
        }
    }
    if merged_into.iter().all(Option::is_none) {
        return;
    }
    // Point dependencies at the surviving groups, then drop the merged-away ones.
    for group in groups.iter_mut() {
        group.deps = group
            .deps
            .iter()
            .map(|d| merged_into[*d].unwrap_or(*d))
            .collect();
    }
    let mut new_id = vec![0; groups.len()];
    let mut next = 0;
    for (id, merged) in merged_into.iter().enumerate() {
        new_id[id] = next;
        if merged.is_none() {
            next += 1;
        }
    }
    let mut id = 0;
    groups.retain(|_| {
        let keep = merged_into[id].is_none();
        id += 1;
        keep
    });
    for group in groups.iter_mut() {
        group.deps = group.deps.iter().map(|d| new_id[*d]).collect();
    }
}

/// Groups ordered so that dependencies come first; among ready groups, creation order. Fails with
/// the groups that wait for each other, if any.
pub(super) fn topological_order(groups: &[Group]) -> Result<Vec<GroupId>, Vec<GroupId>> {
    let mut done = vec![false; groups.len()];
    let mut order = Vec::with_capacity(groups.len());
    while order.len() < groups.len() {
        let before = order.len();
        for (id, group) in groups.iter().enumerate() {
            if !done[id] && group.deps.iter().all(|d| done[*d] || *d == id) {
                done[id] = true;
                order.push(id);
            }
        }
        if order.len() == before {
            // The rest wait for each other: execution could never start them.
            return Err((0..groups.len()).filter(|&id| !done[id]).collect());
        }
    }
    Ok(order)
}

pub(super) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(deps: &[GroupId]) -> Group {
        Group {
            subgraph: 0,
            root_kind: None,
            paths: Vec::new(),
            path_keys: Vec::new(),
            selection: FetchSelection::default(),
            inputs: Vec::new(),
            deps: deps.iter().copied().collect(),
        }
    }

    #[test]
    fn groups_that_wait_for_each_other_are_refused_not_reordered() {
        let ordered = topological_order(&[group(&[1]), group(&[]), group(&[0, 1])]);
        assert_eq!(ordered, Ok(vec![1, 0, 2]));
        let cycle = topological_order(&[group(&[]), group(&[2]), group(&[1]), group(&[0, 2])]);
        assert_eq!(cycle, Err(vec![1, 2, 3]));
    }
}
