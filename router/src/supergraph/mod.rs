//! The supergraph model: what the router knows about each type and field after reading a Federation v2
//! supergraph SDL once — which subgraphs define a type and with which keys (`@join__type`), which subgraphs
//! resolve a field and under which conditions (`@join__field`: external, requires, provides, override),
//! interface implementations and union members per subgraph, and the subgraphs' names and URLs
//! (`join__Graph`). The client-facing API schema comes from the composer's derivation
//! (`shopgraph_schema::check::derive_api_schema`), so the router serves exactly what `schema check`
//! compares.

pub mod field_set;
mod links;

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::ast::{self, OperationType};
use apollo_compiler::collections::HashMap as CompilerHashMap;
use apollo_compiler::schema::{ExtendedType, Implementers};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

pub use field_set::{FieldSelection, SelectionItem};
use links::Links;

/// Index of a subgraph in [`Supergraph::subgraphs`].
pub type SubgraphId = usize;

/// The most subgraphs one supergraph may have (the width of [`SubgraphSet`]).
pub const MAX_SUBGRAPHS: usize = 64;

/// Which progressive-override labels are active for one request: bit `i` stands for
/// [`Supergraph::override_labels`]`[i]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LabelSet(pub u64);

impl LabelSet {
    pub const NONE: LabelSet = LabelSet(0);

    pub fn is_active(self, index: usize) -> bool {
        index < 64 && self.0 & (1 << index) != 0
    }

    pub fn activate(&mut self, index: usize) {
        if index < 64 {
            self.0 |= 1 << index;
        }
    }
}

/// A set of subgraphs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SubgraphSet(u64);

impl SubgraphSet {
    pub const EMPTY: SubgraphSet = SubgraphSet(0);

    pub fn contains(self, id: SubgraphId) -> bool {
        id < MAX_SUBGRAPHS && self.0 & (1 << id) != 0
    }

    pub fn insert(&mut self, id: SubgraphId) {
        if id < MAX_SUBGRAPHS {
            self.0 |= 1 << id;
        }
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn union(self, other: SubgraphSet) -> SubgraphSet {
        SubgraphSet(self.0 | other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = SubgraphId> {
        (0..MAX_SUBGRAPHS).filter(move |id| self.contains(*id))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SupergraphError {
    #[error("the supergraph is not valid GraphQL:\n{0}")]
    Invalid(String),
    #[error("the supergraph has no @link to the join spec (https://specs.apollo.dev/join/v0.x)")]
    NotASupergraph,
    #[error("unsupported join spec version {0} (this router reads join v0.2 to v0.5)")]
    UnsupportedJoinVersion(String),
    #[error("the supergraph has {0} subgraphs; at most {MAX_SUBGRAPHS} are supported")]
    TooManySubgraphs(usize),
    #[error("{location}: {message}")]
    Directive { location: String, message: String },
    #[error("the API schema derived from the supergraph is not valid:\n{0}")]
    InvalidApiSchema(String),
}

/// One subgraph as the supergraph names it.
#[derive(Debug, Clone)]
pub struct SubgraphInfo {
    /// The subgraph's name (`@join__graph(name:)`).
    pub name: String,
    /// The `join__Graph` enum value that stands for it.
    pub graph_value: Name,
    /// The URL from the supergraph, which configuration may override.
    pub url: String,
}

/// `@join__type` of one type in one subgraph.
#[derive(Debug, Clone)]
pub struct JoinType {
    pub graph: SubgraphId,
    pub key: Option<Arc<FieldSelection>>,
    pub resolvable: bool,
    pub extension: bool,
    pub interface_object: bool,
}

/// `@join__field` of one field in one subgraph.
#[derive(Debug, Clone)]
pub struct JoinField {
    pub graph: SubgraphId,
    pub requires: Option<Arc<FieldSelection>>,
    pub provides: Option<Arc<FieldSelection>>,
    pub external: bool,
    pub override_from: Option<String>,
    pub override_label: Option<String>,
    pub used_overridden: bool,
    /// The field's type in that subgraph when it differs from the supergraph's.
    pub type_in_subgraph: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Object,
    Interface,
    Union,
    Enum,
    Scalar,
    InputObject,
}

/// What the router knows about one composite type.
#[derive(Debug, Clone)]
pub struct TypeInfo {
    pub name: Name,
    pub kind: TypeKind,
    /// Subgraphs that define the type.
    pub defined_in: SubgraphSet,
    /// Every `@join__type`, one per key per subgraph.
    pub joins: Vec<JoinType>,
    pub fields: HashMap<Name, FieldInfo>,
    /// For interfaces and unions: the object types that can appear in each subgraph.
    pub possible_in: HashMap<SubgraphId, Vec<Name>>,
}

/// What the router knows about one field of a composite type.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub name: Name,
    pub ty: ast::Type,
    /// Subgraphs that can resolve the field on their own (not external, not overridden away) whatever
    /// the override labels.
    pub resolvable_in: SubgraphSet,
    /// Subgraphs that resolve the field only while an override label is active (`true`: the new owner)
    /// or only while it is inactive (`false`: the subgraph it overrides): (label index, subgraph, when).
    pub label_rules: Vec<(usize, SubgraphId, bool)>,
    /// The `@join__field` directives; empty when the field is resolvable wherever its type is defined.
    pub joins: Vec<JoinField>,
}

impl FieldInfo {
    /// Subgraphs that resolve the field with the given override labels active.
    pub fn resolvable_with(&self, labels: LabelSet) -> SubgraphSet {
        let mut set = self.resolvable_in;
        for &(label, graph, when_active) in &self.label_rules {
            if labels.is_active(label) == when_active {
                set.insert(graph);
            }
        }
        set
    }

    pub fn join_in(&self, graph: SubgraphId) -> Option<&JoinField> {
        self.joins.iter().find(|j| j.graph == graph && !j.external)
    }

    /// `@requires` of the field when resolved by `graph`.
    pub fn requires_in(&self, graph: SubgraphId) -> Option<&Arc<FieldSelection>> {
        self.join_in(graph).and_then(|j| j.requires.as_ref())
    }

    /// `@provides` of the field when resolved by `graph`.
    pub fn provides_in(&self, graph: SubgraphId) -> Option<&Arc<FieldSelection>> {
        self.join_in(graph).and_then(|j| j.provides.as_ref())
    }
}

impl TypeInfo {
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.get(name)
    }

    /// Resolvable keys of the type in `graph`.
    pub fn keys_in(&self, graph: SubgraphId) -> impl Iterator<Item = &Arc<FieldSelection>> {
        self.joins
            .iter()
            .filter(move |j| j.graph == graph && j.resolvable)
            .filter_map(|j| j.key.as_ref())
    }

    /// Whether `graph` has any key for the type (resolvable or not): its key fields are then known there.
    pub fn all_keys_in(&self, graph: SubgraphId) -> impl Iterator<Item = &Arc<FieldSelection>> {
        self.joins
            .iter()
            .filter(move |j| j.graph == graph)
            .filter_map(|j| j.key.as_ref())
    }

    pub fn is_interface_object_in(&self, graph: SubgraphId) -> bool {
        self.joins
            .iter()
            .any(|j| j.graph == graph && j.interface_object)
    }
}

/// A loaded supergraph.
pub struct Supergraph {
    /// The supergraph schema itself, with all join machinery.
    pub schema: Valid<Schema>,
    /// The client-facing schema: no join/link machinery, no `@inaccessible` elements.
    pub api_schema: Valid<Schema>,
    /// `implementers_map()` of the API schema, computed once.
    pub api_implementers: CompilerHashMap<Name, Implementers>,
    pub subgraphs: Vec<SubgraphInfo>,
    /// Progressive-override labels (`@join__field(overrideLabel:)`), sorted.
    pub override_labels: Vec<String>,
    types: HashMap<Name, TypeInfo>,
}

impl std::fmt::Debug for Supergraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supergraph")
            .field("subgraphs", &self.subgraphs)
            .finish_non_exhaustive()
    }
}

impl Supergraph {
    /// Reads a supergraph SDL.
    pub fn parse(sdl: &str, path: &str) -> Result<Supergraph, SupergraphError> {
        let schema = Schema::parse_and_validate(sdl, path)
            .map_err(|with_errors| SupergraphError::Invalid(with_errors.errors.to_string()))?;
        let links = Links::read(&schema)?;
        let subgraphs = read_subgraphs(&schema, &links)?;
        let graph_ids: HashMap<Name, SubgraphId> = subgraphs
            .iter()
            .enumerate()
            .map(|(id, s)| (s.graph_value.clone(), id))
            .collect();
        let override_labels = collect_override_labels(&schema, &links);
        let reader = JoinReader {
            schema: &schema,
            links: &links,
            graph_ids: &graph_ids,
            labels: &override_labels,
        };
        let mut types = HashMap::new();
        for (name, ty) in &schema.types {
            if ty.is_built_in() || links.is_machinery_type(name) {
                continue;
            }
            let info = reader.type_info(name, ty)?;
            types.insert(name.clone(), info);
        }
        fill_possible_types(&schema, &mut types, &reader)?;
        let api_schema = shopgraph_schema::check::derive_api_schema(&schema)
            .map_err(SupergraphError::InvalidApiSchema)?;
        let api_implementers = api_schema.implementers_map();
        Ok(Supergraph {
            schema,
            api_schema,
            api_implementers,
            subgraphs,
            override_labels,
            types,
        })
    }

    pub fn type_info(&self, name: &str) -> Option<&TypeInfo> {
        self.types.get(name)
    }

    pub fn field_info(&self, type_name: &str, field: &str) -> Option<&FieldInfo> {
        self.types.get(type_name)?.fields.get(field)
    }

    pub fn subgraph_id(&self, name: &str) -> Option<SubgraphId> {
        self.subgraphs.iter().position(|s| s.name == name)
    }

    pub fn root_type(&self, kind: OperationType) -> Option<&Name> {
        self.api_schema.root_operation(kind)
    }

    /// The root type name that `graph` uses for `kind` (the supergraph normalises them to one name).
    pub fn subgraph_root_type(&self, kind: OperationType) -> Option<&Name> {
        self.schema.root_operation(kind)
    }

    /// Whether `field` of `type_name` can be resolved by `graph` without help: it is not external
    /// there, or it is part of a key of the type in that subgraph (a subgraph knows its keys) and
    /// not marked external there. A key field `@join__field(graph:, external: true)` lets the
    /// subgraph be entered through that key, but the subgraph never provides it (except in a
    /// Federation 1 type extension, whose key fields are external by convention).
    pub fn is_field_local(
        &self,
        type_name: &str,
        field: &str,
        graph: SubgraphId,
        labels: LabelSet,
    ) -> bool {
        if field == "__typename" {
            return true;
        }
        let Some(ty) = self.types.get(type_name) else {
            return false;
        };
        if let Some(info) = ty.fields.get(field) {
            if info.resolvable_with(labels).contains(graph) {
                return true;
            }
            // Overridden away but kept for a key: the subgraph may be entered through that key, yet
            // the value clients see comes from the overriding subgraph.
            if info
                .joins
                .iter()
                .any(|j| j.graph == graph && j.used_overridden)
            {
                return false;
            }
            // Federation 1 type extensions mark their key fields external, yet know them.
            let extension = ty.joins.iter().any(|j| j.graph == graph && j.extension);
            if !extension && info.joins.iter().any(|j| j.graph == graph && j.external) {
                return false;
            }
        }
        ty.all_keys_in(graph)
            .any(|key| key.has_top_level_field(field))
    }

    /// The object types an abstract type can take in `graph` (for an object type: itself). An
    /// interface no object type implements anywhere (served only through `@interfaceObject`)
    /// stands for itself wherever it is defined.
    pub fn possible_types_in(&self, type_name: &str, graph: SubgraphId) -> Vec<Name> {
        match self.types.get(type_name) {
            Some(ty) if ty.kind == TypeKind::Object => vec![ty.name.clone()],
            Some(ty) if self.has_no_implementations(ty) => {
                if ty.defined_in.contains(graph) {
                    vec![ty.name.clone()]
                } else {
                    Vec::new()
                }
            }
            Some(ty) => ty.possible_in.get(&graph).cloned().unwrap_or_default(),
            None => Vec::new(),
        }
    }

    fn has_no_implementations(&self, ty: &TypeInfo) -> bool {
        ty.kind == TypeKind::Interface && ty.possible_in.values().all(Vec::is_empty)
    }

    /// The object types an abstract type can take in the API schema; an interface without
    /// implementations stands for itself (see [`Supergraph::possible_types_in`]).
    pub fn api_possible_types(&self, type_name: &str) -> Vec<Name> {
        if self
            .types
            .get(type_name)
            .is_some_and(|ty| self.has_no_implementations(ty))
        {
            return vec![Name::new_unchecked(type_name)];
        }
        match self.api_schema.types.get(type_name) {
            Some(ExtendedType::Object(o)) => vec![o.name.clone()],
            Some(ExtendedType::Interface(_)) => self
                .api_implementers
                .get(type_name)
                .map(|i| {
                    let mut objects: Vec<Name> = i.objects.iter().cloned().collect();
                    objects.sort();
                    objects
                })
                .unwrap_or_default(),
            Some(ExtendedType::Union(u)) => u.members.iter().map(|m| m.name.clone()).collect(),
            _ => Vec::new(),
        }
    }
}

/// `join__Graph` values with `@join__graph(name:, url:)`.
fn read_subgraphs(schema: &Schema, links: &Links) -> Result<Vec<SubgraphInfo>, SupergraphError> {
    let enum_name = links.join_name("Graph");
    let Some(graph_enum) = schema.get_enum(&enum_name) else {
        return Ok(Vec::new());
    };
    let directive = links.join_name("graph");
    let mut subgraphs = Vec::new();
    for (value, def) in &graph_enum.values {
        let Some(join_graph) = def.directives.get(&directive) else {
            return Err(SupergraphError::Directive {
                location: format!("{enum_name}.{value}"),
                message: format!("missing @{directive}(name:, url:)"),
            });
        };
        let name = string_argument(join_graph, "name").unwrap_or_else(|| value.to_string());
        let url = string_argument(join_graph, "url").unwrap_or_default();
        subgraphs.push(SubgraphInfo {
            name,
            graph_value: value.clone(),
            url,
        });
    }
    if subgraphs.len() > MAX_SUBGRAPHS {
        return Err(SupergraphError::TooManySubgraphs(subgraphs.len()));
    }
    Ok(subgraphs)
}

fn string_argument(directive: &ast::Directive, name: &str) -> Option<String> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn bool_argument(directive: &ast::Directive, name: &str) -> Option<bool> {
    directive
        .specified_argument_by_name(name)
        .and_then(|v| v.to_bool())
}

struct JoinReader<'a> {
    schema: &'a Valid<Schema>,
    links: &'a Links,
    graph_ids: &'a HashMap<Name, SubgraphId>,
    labels: &'a [String],
}

/// Every `overrideLabel` of the supergraph, sorted and de-duplicated.
fn collect_override_labels(schema: &Schema, links: &Links) -> Vec<String> {
    let join_field = links.join_name("field");
    let mut labels: Vec<String> = schema
        .types
        .values()
        .filter_map(|ty| match ty {
            ExtendedType::Object(o) => Some(&o.fields),
            ExtendedType::Interface(i) => Some(&i.fields),
            _ => None,
        })
        .flat_map(|fields| fields.values())
        .flat_map(|field| field.directives.get_all(&join_field))
        .filter_map(|directive| string_argument(directive, "overrideLabel"))
        .collect();
    labels.sort();
    labels.dedup();
    labels
}

impl JoinReader<'_> {
    fn graph(
        &self,
        directive: &ast::Directive,
        location: &str,
    ) -> Result<Option<SubgraphId>, SupergraphError> {
        let Some(value) = directive.specified_argument_by_name("graph") else {
            return Ok(None);
        };
        let Some(name) = value.as_enum() else {
            return Err(SupergraphError::Directive {
                location: location.to_owned(),
                message: format!("@{}(graph:) must be a join__Graph value", directive.name),
            });
        };
        self.graph_ids
            .get(name)
            .copied()
            .map(Some)
            .ok_or_else(|| SupergraphError::Directive {
                location: location.to_owned(),
                message: format!("unknown graph {name}"),
            })
    }

    fn field_set(
        &self,
        type_name: &Name,
        directive: &ast::Directive,
        argument: &str,
        location: &str,
    ) -> Result<Option<Arc<FieldSelection>>, SupergraphError> {
        let Some(text) = directive
            .specified_argument_by_name(argument)
            .and_then(|v| v.as_str())
        else {
            return Ok(None);
        };
        FieldSelection::parse(self.schema, type_name, text)
            .map(|s| Some(Arc::new(s)))
            .map_err(|message| SupergraphError::Directive {
                location: location.to_owned(),
                message: format!("invalid {argument} \"{text}\": {message}"),
            })
    }

    fn type_info(&self, name: &Name, ty: &ExtendedType) -> Result<TypeInfo, SupergraphError> {
        let kind = match ty {
            ExtendedType::Object(_) => TypeKind::Object,
            ExtendedType::Interface(_) => TypeKind::Interface,
            ExtendedType::Union(_) => TypeKind::Union,
            ExtendedType::Enum(_) => TypeKind::Enum,
            ExtendedType::Scalar(_) => TypeKind::Scalar,
            ExtendedType::InputObject(_) => TypeKind::InputObject,
        };
        let join_type = self.links.join_name("type");
        let mut joins = Vec::new();
        let mut defined_in = SubgraphSet::EMPTY;
        for directive in ty.directives().get_all(&join_type) {
            let Some(graph) = self.graph(directive, name)? else {
                continue;
            };
            defined_in.insert(graph);
            joins.push(JoinType {
                graph,
                key: self.field_set(name, directive, "key", name)?,
                resolvable: bool_argument(directive, "resolvable").unwrap_or(true),
                extension: bool_argument(directive, "extension").unwrap_or(false),
                interface_object: bool_argument(directive, "isInterfaceObject").unwrap_or(false),
            });
        }
        if joins.is_empty() {
            // A type without @join__type belongs to every subgraph (join v0.1 supergraphs omit it
            // for value types).
            for id in self.graph_ids.values() {
                defined_in.insert(*id);
            }
        }
        let mut fields = HashMap::new();
        let field_defs = match ty {
            ExtendedType::Object(o) => Some(&o.fields),
            ExtendedType::Interface(i) => Some(&i.fields),
            _ => None,
        };
        if let Some(defs) = field_defs {
            for (field_name, def) in defs {
                let info = self.field_info(name, field_name, def, defined_in)?;
                fields.insert(field_name.clone(), info);
            }
        }
        Ok(TypeInfo {
            name: name.clone(),
            kind,
            defined_in,
            joins,
            fields,
            possible_in: HashMap::new(),
        })
    }

    fn field_info(
        &self,
        type_name: &Name,
        field_name: &Name,
        def: &ast::FieldDefinition,
        defined_in: SubgraphSet,
    ) -> Result<FieldInfo, SupergraphError> {
        let location = format!("{type_name}.{field_name}");
        let join_field = self.links.join_name("field");
        let mut joins = Vec::new();
        let mut has_join_field = false;
        for directive in def.directives.get_all(&join_field) {
            has_join_field = true;
            let Some(graph) = self.graph(directive, &location)? else {
                continue;
            };
            joins.push(JoinField {
                graph,
                requires: self.field_set(type_name, directive, "requires", &location)?,
                provides: self.field_set(
                    def.ty.inner_named_type(),
                    directive,
                    "provides",
                    &location,
                )?,
                external: bool_argument(directive, "external").unwrap_or(false),
                override_from: string_argument(directive, "override"),
                override_label: string_argument(directive, "overrideLabel"),
                used_overridden: bool_argument(directive, "usedOverridden").unwrap_or(false),
                type_in_subgraph: string_argument(directive, "type"),
            });
        }
        let mut resolvable_in = SubgraphSet::EMPTY;
        let mut label_rules = Vec::new();
        if has_join_field {
            for join in &joins {
                if join.external || join.used_overridden {
                    continue;
                }
                let label = join
                    .override_label
                    .as_ref()
                    .and_then(|l| self.labels.iter().position(|known| known == l));
                match label {
                    Some(index) => {
                        label_rules.push((index, join.graph, join.override_from.is_some()))
                    }
                    None => resolvable_in.insert(join.graph),
                }
            }
        } else {
            resolvable_in = defined_in;
        }
        Ok(FieldInfo {
            name: field_name.clone(),
            ty: def.ty.clone(),
            resolvable_in,
            label_rules,
            joins,
        })
    }
}

/// Possible object types of each interface and union, per subgraph (`@join__implements`,
/// `@join__unionMember`; without them, every implementation or member the subgraph defines).
fn fill_possible_types(
    schema: &Valid<Schema>,
    types: &mut HashMap<Name, TypeInfo>,
    reader: &JoinReader<'_>,
) -> Result<(), SupergraphError> {
    let implements = reader.links.join_name("implements");
    let union_member = reader.links.join_name("unionMember");
    let mut possible: HashMap<Name, HashMap<SubgraphId, Vec<Name>>> = HashMap::new();
    let uses_implements = schema
        .types
        .values()
        .any(|t| t.directives().get(&implements).is_some());
    for (name, ty) in &schema.types {
        let ExtendedType::Object(object) = ty else {
            continue;
        };
        let Some(info) = types.get(name) else {
            continue;
        };
        if uses_implements {
            for directive in object.directives.get_all(&implements) {
                let Some(graph) = reader.graph(directive, name)? else {
                    continue;
                };
                if let Some(interface) = string_argument(directive, "interface") {
                    possible
                        .entry(Name::new_unchecked(&interface))
                        .or_default()
                        .entry(graph)
                        .or_default()
                        .push(name.clone());
                }
            }
        } else {
            for interface in &object.implements_interfaces {
                for graph in info.defined_in.iter() {
                    possible
                        .entry(interface.name.clone())
                        .or_default()
                        .entry(graph)
                        .or_default()
                        .push(name.clone());
                }
            }
        }
    }
    for (name, ty) in &schema.types {
        let ExtendedType::Union(union) = ty else {
            continue;
        };
        let members: Vec<_> = union.directives.get_all(&union_member).collect();
        let entry = possible.entry(name.clone()).or_default();
        if members.is_empty() {
            let defined_in = types.get(name).map(|t| t.defined_in).unwrap_or_default();
            for graph in defined_in.iter() {
                for member in &union.members {
                    let member_defined = types
                        .get(&member.name)
                        .is_some_and(|t| t.defined_in.contains(graph));
                    if member_defined {
                        entry.entry(graph).or_default().push(member.name.clone());
                    }
                }
            }
        } else {
            for directive in members {
                let Some(graph) = reader.graph(directive, name)? else {
                    continue;
                };
                if let Some(member) = string_argument(directive, "member") {
                    entry
                        .entry(graph)
                        .or_default()
                        .push(Name::new_unchecked(&member));
                }
            }
        }
    }
    for (name, mut by_graph) in possible {
        if let Some(info) = types.get_mut(&name) {
            for objects in by_graph.values_mut() {
                objects.sort();
                objects.dedup();
            }
            info.possible_in = by_graph;
        }
    }
    Ok(())
}
