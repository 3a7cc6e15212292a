//! Merging subgraph models into the supergraph model: types are matched by name across
//! subgraphs (their kinds must agree; an `@interfaceObject` counts as an interface), then merged
//! kind by kind following the Federation v2 rules (union of output fields, intersection of input
//! fields and arguments, enum values by usage, `@shareable`/`@external`/`@override` semantics,
//! interface fields contributed by `@interfaceObject`s), recording which subgraph contributes
//! what as `@join__*` data. Composed custom directives are merged by `composed`.

mod composed;
mod enums;
mod fields;
mod inputs;
mod mismatch;
mod type_ref;

use std::collections::HashMap;

use apollo_compiler::Name;
use indexmap::{IndexMap, IndexSet};

use crate::error::{CompositionError, CompositionHint, ErrorCode, ErrorLocation, Position};
use crate::subgraph::{
    Applied, CompositeType, ListSize, Subgraph, SubgraphType, TypeBody, TypeKind,
};
use crate::supergraph::{
    JoinField, JoinGraph, JoinType, MergedBody, MergedComposite, MergedField, MergedSchema,
    MergedType, graph_enum_values,
};
use mismatch::describe_values;

const ROOT_TYPES: [&str; 3] = ["Query", "Mutation", "Subscription"];

/// The merged supergraph model and the hints found while merging.
pub(crate) struct Merged {
    pub(crate) schema: MergedSchema,
    pub(crate) hints: Vec<CompositionHint>,
}

/// Merges subgraphs (sorted by name) into the supergraph model.
pub(crate) fn merge(subgraphs: &[Subgraph]) -> Result<Merged, Vec<CompositionError>> {
    let mut merger = Merger {
        subgraphs,
        errors: Vec::new(),
        hints: subgraphs
            .iter()
            .flat_map(|s| s.hints.iter().cloned())
            .collect(),
        implementations: HashMap::new(),
        union_members: HashMap::new(),
    };
    let schema = merger.merge_all();
    if merger.errors.is_empty() {
        Ok(Merged {
            schema,
            hints: merger.hints,
        })
    } else {
        Err(merger.errors)
    }
}

pub(super) struct Merger<'a> {
    pub(super) subgraphs: &'a [Subgraph],
    pub(super) errors: Vec<CompositionError>,
    pub(super) hints: Vec<CompositionHint>,
    /// Interfaces each object or interface type implements in some subgraph.
    pub(super) implementations: HashMap<Name, IndexSet<Name>>,
    /// Members each union has in some subgraph.
    pub(super) union_members: HashMap<Name, IndexSet<Name>>,
}

impl<'a> Merger<'a> {
    fn merge_all(&mut self) -> MergedSchema {
        let names: Vec<&str> = self.subgraphs.iter().map(|s| s.name.as_str()).collect();
        let graphs = names
            .iter()
            .zip(graph_enum_values(&names))
            .zip(self.subgraphs)
            .map(|((name, enum_value), subgraph)| JoinGraph {
                name: name.to_string(),
                enum_value,
                url: subgraph.url.clone(),
            })
            .collect();

        let kinds = self.type_kinds();
        for (name, kind) in &kinds {
            for (_, ty) in self.sources(name, *kind) {
                match &ty.body {
                    TypeBody::Object(composite) | TypeBody::Interface(composite) => {
                        self.implementations
                            .entry(name.clone())
                            .or_default()
                            .extend(composite.implements.iter().cloned());
                    }
                    TypeBody::Union { members } => {
                        self.union_members
                            .entry(name.clone())
                            .or_default()
                            .extend(members.iter().cloned());
                    }
                    _ => {}
                }
            }
        }

        let mut types = IndexMap::new();
        let mut enums = Vec::new();
        for (name, kind) in &kinds {
            if *kind == TypeKind::Enum {
                enums.push(name.clone());
                continue;
            }
            if let Some(merged) = self.merge_type(name, *kind) {
                types.insert(name.clone(), merged);
            }
        }
        self.check_interface_objects();
        self.add_interface_object_fields(&mut types);
        let usages = enums::enum_usages(&types);
        for name in enums {
            let merged = self.merge_enum(&name, usages.get(&name));
            types.insert(name, merged);
        }
        let mut directives = self.merge_executable_directives();
        let (links, composed) = self.merge_composed_directives();
        directives.extend(composed);
        MergedSchema {
            graphs,
            types,
            directives,
            links,
        }
    }

    /// Whether subgraph `index` declares `type_name` as an `@interfaceObject`.
    pub(super) fn is_interface_object(&self, index: usize, type_name: &str) -> bool {
        self.subgraphs[index]
            .types
            .get(type_name)
            .is_some_and(|ty| ty.interface_object)
    }

    /// Names of the types some subgraph declares as `@interfaceObject`, in order of appearance.
    fn interface_object_types(&self) -> IndexSet<Name> {
        self.subgraphs
            .iter()
            .flat_map(|s| s.types.values())
            .filter(|ty| ty.interface_object)
            .map(|ty| ty.name.clone())
            .collect()
    }

    /// An `@interfaceObject` stands for an interface some subgraph defines; and no Federation 1
    /// subgraph may put a `@key` on that interface (Federation 1 ignores keys on interfaces, so
    /// that subgraph could not be reached for its implementations).
    fn check_interface_objects(&mut self) {
        let names = self.interface_object_types();
        for name in &names {
            let defined_as_interface = self.subgraphs.iter().any(|s| {
                matches!(
                    s.types.get(name).map(|t| &t.body),
                    Some(TypeBody::Interface(_))
                )
            });
            if defined_as_interface {
                continue;
            }
            let defining: Vec<&str> = self
                .subgraphs
                .iter()
                .filter(|s| s.types.contains_key(name))
                .map(|s| s.name.as_str())
                .collect();
            let locations: Vec<ErrorLocation> = self
                .subgraphs
                .iter()
                .filter_map(|s| s.types.get(name).map(|t| s.location(t.position)))
                .collect();
            self.errors.push(
                CompositionError::new(
                    ErrorCode::InterfaceObjectUsageError,
                    format!(
                        "Type \"{name}\" is declared with @interfaceObject in all the subgraphs in which is is defined (it is defined in {} but should be defined as an interface in at least one subgraph)",
                        mismatch::subgraph_list(&defining)
                    ),
                )
                .element(name.as_str())
                .at_all(locations),
            );
        }
        // Only Federation 1 subgraphs with a `@key` on such an interface get in the way: their
        // ignored key would be needed to reach the interface's implementations there.
        let federation_1: Vec<&str> = self
            .subgraphs
            .iter()
            .filter(|s| {
                s.federation_1 && names.iter().any(|n| s.ignored_interface_keys.contains(n))
            })
            .map(|s| s.name.as_str())
            .collect();
        if names.is_empty() || federation_1.is_empty() {
            return;
        }
        let using: Vec<&str> = self
            .subgraphs
            .iter()
            .filter(|s| s.types.values().any(|t| t.interface_object))
            .map(|s| s.name.as_str())
            .collect();
        let locations: Vec<ErrorLocation> = self
            .subgraphs
            .iter()
            .flat_map(|s| {
                s.types
                    .values()
                    .filter(|t| t.interface_object)
                    .map(|t| s.location(t.position))
            })
            .collect();
        self.errors.push(
            CompositionError::new(
                ErrorCode::InterfaceObjectUsageError,
                format!(
                    "The @interfaceObject directive can only be used if all subgraphs have federation 2 subgraph schema (schema with a `@link` to \"https://specs.apollo.dev/federation\" version 2.0 or newer): @interfaceObject is used in {} but {} {} federation 2 subgraph schema with a @key on the interface (which Federation 1 ignores).",
                    mismatch::subgraph_list(&using),
                    mismatch::subgraph_list(&federation_1),
                    if federation_1.len() > 1 { "are not" } else { "is not a" }
                ),
            )
            .at_all(locations),
        );
    }

    /// Fields an implementation type only gets through an `@interfaceObject` of one of its
    /// interfaces (the subgraph of the interface object does not know the implementations): they
    /// are added to the implementation with a bare `@join__field`.
    fn add_interface_object_fields(&mut self, types: &mut IndexMap<Name, MergedType>) {
        let interface_objects = self.interface_object_types();
        if interface_objects.is_empty() {
            return;
        }
        let mut additions: Vec<(Name, MergedField)> = Vec::new();
        for ty in types.values() {
            let MergedBody::Object(object) = &ty.body else {
                continue;
            };
            for interface in &object.implements {
                if !interface_objects.contains(interface) {
                    continue;
                }
                let Some(MergedBody::Interface(declared)) = types.get(interface).map(|t| &t.body)
                else {
                    continue;
                };
                for (field_name, field) in &declared.fields {
                    if object.fields.contains_key(field_name)
                        || additions
                            .iter()
                            .any(|(t, f)| *t == ty.name && f.name == *field_name)
                    {
                        continue;
                    }
                    let provided = self.subgraphs.iter().any(|s| {
                        s.types.get(interface).is_some_and(|t| {
                            t.interface_object
                                && matches!(&t.body, TypeBody::Object(c)
                                    if c.fields.get(field_name).is_some_and(|f| !f.external))
                        })
                    });
                    if !provided {
                        continue;
                    }
                    let mut added = field.clone();
                    added.join_fields = vec![JoinField::default()];
                    additions.push((ty.name.clone(), added));
                }
            }
        }
        for (type_name, field) in additions {
            let coordinate = format!("{type_name}.{}", field.name);
            self.check_field_sharing(&type_name, &field.name, &coordinate, &[], &[]);
            if let Some(MergedType {
                body: MergedBody::Object(object),
                ..
            }) = types.get_mut(&type_name)
            {
                object.fields.insert(field.name.clone(), field);
            }
        }
    }

    /// The kind of every type, in order of first appearance; reports `TYPE_KIND_MISMATCH`.
    fn type_kinds(&mut self) -> IndexMap<Name, TypeKind> {
        let mut kinds: IndexMap<Name, TypeKind> = IndexMap::new();
        let mut mismatched = IndexSet::new();
        for subgraph in self.subgraphs {
            for (name, ty) in &subgraph.types {
                let kind = ty.merge_kind();
                match kinds.get(name) {
                    None => {
                        kinds.insert(name.clone(), kind);
                    }
                    Some(first) if *first != kind => {
                        mismatched.insert(name.clone());
                    }
                    Some(_) => {}
                }
            }
        }
        for name in mismatched {
            let mut values = Vec::new();
            let mut locations = Vec::new();
            for subgraph in self.subgraphs {
                if let Some(ty) = subgraph.types.get(&name) {
                    values.push((subgraph.name.clone(), ty.merge_kind().describe().to_owned()));
                    locations.push(subgraph.location(ty.position));
                }
            }
            self.errors.push(
                CompositionError::new(
                    ErrorCode::TypeKindMismatch,
                    format!(
                        "Type \"{name}\" has mismatched kind: it is defined as {}",
                        describe_values(&values, None)
                    ),
                )
                .element(name.as_str())
                .at_all(locations),
            );
        }
        kinds
    }

    /// The definitions of type `name` with the supergraph `kind`, with their subgraph index.
    /// Definitions of another kind were reported already and are left out.
    pub(super) fn sources(&self, name: &str, kind: TypeKind) -> Vec<(usize, &'a SubgraphType)> {
        let subgraphs: &'a [Subgraph] = self.subgraphs;
        subgraphs
            .iter()
            .enumerate()
            .filter_map(|(index, subgraph)| {
                subgraph
                    .types
                    .get(name)
                    .filter(|ty| ty.merge_kind() == kind)
                    .map(|ty| (index, ty))
            })
            .collect()
    }

    pub(super) fn location(&self, subgraph: usize, position: Option<Position>) -> ErrorLocation {
        self.subgraphs[subgraph].location(position)
    }

    fn merge_type(&mut self, name: &Name, kind: TypeKind) -> Option<MergedType> {
        let sources = self.sources(name, kind);
        self.check_extension_with_no_base(name, &sources);
        let body = match kind {
            TypeKind::Scalar => MergedBody::Scalar {
                specified_by: sources.iter().find_map(|(_, ty)| match &ty.body {
                    TypeBody::Scalar { specified_by } => specified_by.clone(),
                    _ => None,
                }),
            },
            TypeKind::Object | TypeKind::Interface => {
                let composites: Vec<(usize, &CompositeType)> = sources
                    .iter()
                    .filter_map(|(index, ty)| match &ty.body {
                        TypeBody::Object(c) | TypeBody::Interface(c) => Some((*index, c)),
                        _ => None,
                    })
                    .collect();
                if kind == TypeKind::Interface {
                    let interfaces: Vec<(usize, &CompositeType)> = composites
                        .iter()
                        .filter(|(index, _)| !self.is_interface_object(*index, name))
                        .copied()
                        .collect();
                    self.check_interface_keys(name, &interfaces);
                }
                let fields = self.merge_fields(name, &composites, kind == TypeKind::Object);
                let mut implements = IndexSet::new();
                let mut join_implements = Vec::new();
                for (index, composite) in &composites {
                    for interface in &composite.implements {
                        implements.insert(interface.clone());
                        join_implements.push((*index, interface.clone()));
                    }
                }
                let composite = MergedComposite {
                    implements: implements.into_iter().collect(),
                    join_implements,
                    fields,
                };
                if kind == TypeKind::Object {
                    MergedBody::Object(composite)
                } else {
                    MergedBody::Interface(composite)
                }
            }
            TypeKind::Union => {
                let members: Vec<Name> = self
                    .union_members
                    .get(name)
                    .map(|members| members.iter().cloned().collect())
                    .unwrap_or_default();
                let mut join_members = Vec::new();
                for member in &members {
                    for (index, ty) in &sources {
                        if let TypeBody::Union { members } = &ty.body
                            && members.contains(member)
                        {
                            join_members.push((*index, member.clone()));
                        }
                    }
                }
                MergedBody::Union {
                    members,
                    join_members,
                }
            }
            TypeKind::InputObject => {
                let inputs: Vec<_> = sources
                    .iter()
                    .filter_map(|(index, ty)| match &ty.body {
                        TypeBody::InputObject { fields } => Some((*index, fields)),
                        _ => None,
                    })
                    .collect();
                MergedBody::InputObject {
                    fields: self.merge_input_object(name, &inputs),
                }
            }
            TypeKind::Enum => unreachable!("enums are merged once field types are known"),
        };
        if let MergedBody::Object(composite) = &body
            && composite.fields.is_empty()
        {
            return None;
        }
        Some(MergedType {
            name: name.clone(),
            description: merge_descriptions(
                sources.iter().map(|(_, ty)| ty.description.as_deref()),
            ),
            applied: merge_applied(sources.iter().map(|(_, ty)| &ty.applied)),
            join_types: join_types(&sources),
            body,
        })
    }

    /// A (non-root) type that every subgraph only declares with `extend` has no definition to
    /// extend.
    fn check_extension_with_no_base(&mut self, name: &Name, sources: &[(usize, &SubgraphType)]) {
        if ROOT_TYPES.contains(&name.as_str()) || sources.iter().any(|(_, ty)| ty.has_definition) {
            return;
        }
        for (index, ty) in sources {
            self.errors.push(
                CompositionError::new(
                    ErrorCode::ExtensionWithNoBase,
                    format!(
                        "[{}] Type \"{name}\" is an extension type, but there is no type definition for \"{name}\" in any subgraph.",
                        self.subgraphs[*index].name
                    ),
                )
                .element(name.as_str())
                .at(self.location(*index, ty.position)),
            );
        }
    }

    /// A subgraph with a resolvable key on an interface must define every implementation of it.
    fn check_interface_keys(&mut self, name: &Name, sources: &[(usize, &CompositeType)]) {
        let implementations: Vec<Name> = self
            .implementations
            .iter()
            .filter(|(implementer, interfaces)| {
                interfaces.contains(name)
                    && self.subgraphs.iter().any(|s| {
                        matches!(
                            s.types.get(*implementer).map(|t| &t.body),
                            Some(TypeBody::Object(_))
                        )
                    })
            })
            .map(|(implementer, _)| implementer.clone())
            .collect();
        for (index, composite) in sources {
            let Some(key) = composite.keys.iter().find(|key| key.resolvable) else {
                continue;
            };
            let subgraphs: &'a [Subgraph] = self.subgraphs;
            let subgraph = &subgraphs[*index];
            let mut missing: Vec<&Name> = implementations
                .iter()
                .filter(|implementer| {
                    !matches!(
                        subgraph.types.get(*implementer).map(|t| &t.body),
                        Some(TypeBody::Object(c)) if c.implements.contains(name)
                    )
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            missing.sort();
            let listed: Vec<String> = missing.iter().map(|m| format!("\"{m}\"")).collect();
            self.errors.push(
                CompositionError::new(
                    ErrorCode::InterfaceKeyMissingImplementationType,
                    format!(
                        "[{0}] Interface type \"{name}\" has a resolvable key (@key(fields: {1:?})) in subgraph \"{0}\" but that subgraph is missing some of the supergraph implementation types of \"{name}\". Subgraph \"{0}\" should define {2} (and have {3} implement \"{name}\").",
                        subgraph.name,
                        key.fields,
                        listed.join(", "),
                        if missing.len() > 1 { "them" } else { "it" }
                    ),
                )
                .element(name.as_str())
                .at(subgraph.location(key.position)),
            );
        }
    }
}

/// One `@join__type` per key per subgraph, or one without key for subgraphs without keys.
fn join_types(sources: &[(usize, &SubgraphType)]) -> Vec<JoinType> {
    let mut joins = Vec::new();
    for (index, ty) in sources {
        let keys = match &ty.body {
            TypeBody::Object(c) | TypeBody::Interface(c) => &c.keys[..],
            _ => &[],
        };
        if keys.is_empty() {
            joins.push(JoinType {
                graph: *index,
                key: None,
                extension: false,
                resolvable: true,
                interface_object: ty.interface_object,
            });
        }
        for key in keys {
            joins.push(JoinType {
                graph: *index,
                key: Some(key.fields.clone()),
                extension: key.on_extension,
                resolvable: key.resolvable,
                interface_object: ty.interface_object,
            });
        }
    }
    joins
}

/// The description most subgraphs use (the first such on ties); empty descriptions only when
/// there is nothing else.
pub(super) fn merge_descriptions<'d>(
    descriptions: impl Iterator<Item = Option<&'d str>>,
) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for description in descriptions.flatten() {
        match counts.iter_mut().find(|(text, _)| *text == description) {
            Some((_, count)) => *count += 1,
            None => counts.push((description, 1)),
        }
    }
    let non_empty = counts.iter().filter(|(text, _)| !text.is_empty());
    let best = non_empty.fold(
        None,
        |best: Option<(&str, usize)>, &(text, count)| match best {
            Some((_, best_count)) if best_count >= count => best,
            _ => Some((text, count)),
        },
    );
    best.map(|(text, _)| text.to_owned())
        .or_else(|| counts.first().map(|(text, _)| text.to_string()))
}

/// `@inaccessible` if any subgraph says so, every distinct `@tag` and composed directive
/// application, the first `@deprecated`, the highest `@cost`, the `@listSize`s combined.
pub(super) fn merge_applied<'a>(applied: impl Iterator<Item = &'a Applied>) -> Applied {
    let mut merged = Applied::default();
    for one in applied {
        merged.inaccessible |= one.inaccessible;
        for tag in &one.tags {
            if !merged.tags.contains(tag) {
                merged.tags.push(tag.clone());
            }
        }
        for application in &one.composed {
            if !merged.composed.contains(application) {
                merged.composed.push(application.clone());
            }
        }
        if merged.deprecated.is_none() {
            merged.deprecated = one.deprecated.clone();
        }
        merged.cost = merged.cost.max(one.cost);
        if let Some(list_size) = &one.list_size {
            merged.list_size = Some(match merged.list_size.take() {
                None => list_size.clone(),
                Some(so_far) => merge_list_sizes(so_far, list_size),
            });
        }
    }
    merged
}

/// Two subgraphs' `@listSize` of one field, as demand control composes them: the largest
/// assumed size, every slicing argument and sized field, and one slicing argument required
/// only if both require it.
fn merge_list_sizes(mut merged: ListSize, other: &ListSize) -> ListSize {
    merged.assumed_size = merged.assumed_size.max(other.assumed_size);
    for (into, from) in [
        (&mut merged.slicing_arguments, &other.slicing_arguments),
        (&mut merged.sized_fields, &other.sized_fields),
    ] {
        if let Some(from) = from {
            let list = into.get_or_insert_with(Vec::new);
            for name in from {
                if !list.contains(name) {
                    list.push(name.clone());
                }
            }
        }
    }
    merged.require_one_slicing_argument = match (
        merged.require_one_slicing_argument,
        other.require_one_slicing_argument,
    ) {
        (Some(a), Some(b)) => Some(a && b),
        // Not given means the default, true.
        (Some(a), None) | (None, Some(a)) => Some(a),
        (None, None) => None,
    };
    merged
}
