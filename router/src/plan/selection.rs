//! The selections the planner builds: what one fetch asks of its subgraph ([`FetchSelection`]), and what
//! an `_entities` fetch reads from the response tree to build representations ([`InputSelection`]).

use std::fmt::Write;

use apollo_compiler::{Name, Node, ast};

/// Where to add something inside a fetch's selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Field(Name),
    Fragment(Name),
}

/// A selection sent to a subgraph.
#[derive(Debug, Clone, Default)]
pub(crate) struct FetchSelection {
    pub(crate) items: Vec<FetchItem>,
}

#[derive(Debug, Clone)]
pub(crate) enum FetchItem {
    Field(FetchField),
    Fragment(Name, FetchSelection),
}

#[derive(Debug, Clone)]
pub(crate) struct FetchField {
    /// Response key: the name, or an alias.
    pub(crate) key: Name,
    pub(crate) name: Name,
    pub(crate) arguments: Vec<Node<ast::Argument>>,
    pub(crate) selection: Option<FetchSelection>,
}

impl FetchSelection {
    /// The selection at `steps` below this one, created as needed.
    pub(crate) fn at_mut(&mut self, steps: &[Step]) -> &mut FetchSelection {
        let Some((first, rest)) = steps.split_first() else {
            return self;
        };
        let index = match first {
            Step::Field(key) => self
                .items
                .iter()
                .position(|item| matches!(item, FetchItem::Field(f) if &f.key == key)),
            Step::Fragment(type_name) => self
                .items
                .iter()
                .position(|item| matches!(item, FetchItem::Fragment(t, _) if t == type_name)),
        };
        let index = index.unwrap_or_else(|| {
            self.items.push(match first {
                Step::Field(key) => FetchItem::Field(FetchField {
                    key: key.clone(),
                    name: key.clone(),
                    arguments: Vec::new(),
                    selection: Some(FetchSelection::default()),
                }),
                Step::Fragment(type_name) => {
                    FetchItem::Fragment(type_name.clone(), FetchSelection::default())
                }
            });
            self.items.len() - 1
        });
        match &mut self.items[index] {
            FetchItem::Field(field) => field
                .selection
                .get_or_insert_with(FetchSelection::default)
                .at_mut(rest),
            FetchItem::Fragment(_, selection) => selection.at_mut(rest),
        }
    }

    /// Adds a field unless the same response key is already selected.
    pub(crate) fn add_field(
        &mut self,
        key: &Name,
        name: &Name,
        arguments: &[Node<ast::Argument>],
        composite: bool,
    ) {
        let exists = self
            .items
            .iter()
            .any(|item| matches!(item, FetchItem::Field(f) if &f.key == key));
        if !exists {
            self.items.push(FetchItem::Field(FetchField {
                key: key.clone(),
                name: name.clone(),
                arguments: arguments.to_vec(),
                selection: composite.then(FetchSelection::default),
            }));
        }
    }

    /// Whether `other` can be merged into this selection: no response key stands for two different
    /// fields.
    pub(crate) fn compatible(&self, other: &FetchSelection) -> bool {
        other.items.iter().all(|item| match item {
            FetchItem::Field(theirs) => match self.field(&theirs.key) {
                None => true,
                Some(mine) => {
                    mine.name == theirs.name
                        && mine.arguments == theirs.arguments
                        && match (&mine.selection, &theirs.selection) {
                            (Some(a), Some(b)) => a.compatible(b),
                            (None, None) => true,
                            _ => false,
                        }
                }
            },
            FetchItem::Fragment(type_name, theirs) => match self.fragment(type_name) {
                None => true,
                Some(mine) => mine.compatible(theirs),
            },
        })
    }

    /// Adds what `other` selects (check [`FetchSelection::compatible`] first).
    pub(crate) fn merge(&mut self, other: &FetchSelection) {
        for item in &other.items {
            match item {
                FetchItem::Field(theirs) => {
                    let position = self
                        .items
                        .iter()
                        .position(|i| matches!(i, FetchItem::Field(f) if f.key == theirs.key));
                    match position {
                        None => self.items.push(item.clone()),
                        Some(index) => {
                            if let FetchItem::Field(mine) = &mut self.items[index]
                                && let (Some(a), Some(b)) = (&mut mine.selection, &theirs.selection)
                            {
                                a.merge(b);
                            }
                        }
                    }
                }
                FetchItem::Fragment(type_name, theirs) => {
                    let position = self
                        .items
                        .iter()
                        .position(|i| matches!(i, FetchItem::Fragment(t, _) if t == type_name));
                    match position {
                        None => self.items.push(item.clone()),
                        Some(index) => {
                            if let FetchItem::Fragment(_, mine) = &mut self.items[index] {
                                mine.merge(theirs);
                            }
                        }
                    }
                }
            }
        }
    }

    fn field(&self, key: &Name) -> Option<&FetchField> {
        self.items.iter().find_map(|item| match item {
            FetchItem::Field(f) if &f.key == key => Some(f),
            _ => None,
        })
    }

    fn fragment(&self, type_name: &Name) -> Option<&FetchSelection> {
        self.items.iter().find_map(|item| match item {
            FetchItem::Fragment(t, s) if t == type_name => Some(s),
            _ => None,
        })
    }

    /// Response keys an `_entities` selection fills on its objects: the top-level fields of its type
    /// fragments.
    pub(crate) fn entity_keys(&self) -> Vec<Name> {
        let mut keys = Vec::new();
        for item in &self.items {
            if let FetchItem::Fragment(_, selection) = item {
                for key in selection.top_level_keys() {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        keys
    }

    /// Response keys at the top of the selection.
    pub(crate) fn top_level_keys(&self) -> Vec<Name> {
        self.items
            .iter()
            .filter_map(|item| match item {
                FetchItem::Field(f) => Some(f.key.clone()),
                FetchItem::Fragment(..) => None,
            })
            .collect()
    }

    /// Variables referenced by arguments anywhere in the selection.
    pub(crate) fn collect_variables(&self, out: &mut Vec<Name>) {
        for item in &self.items {
            match item {
                FetchItem::Field(field) => {
                    for argument in &field.arguments {
                        collect_value_variables(&argument.value, out);
                    }
                    if let Some(selection) = &field.selection {
                        selection.collect_variables(out);
                    }
                }
                FetchItem::Fragment(_, selection) => selection.collect_variables(out),
            }
        }
    }

    /// Writes the selection set in GraphQL syntax, on one line (`indent` = None) or pretty-printed.
    pub(crate) fn write(&self, out: &mut String, indent: Option<usize>) {
        out.push('{');
        let inner = indent.map(|i| i + 1);
        let mut wrote_any = false;
        for item in &self.items {
            if let FetchItem::Fragment(_, selection) = item
                && selection.items.is_empty()
            {
                continue;
            }
            separator(out, inner);
            wrote_any = true;
            match item {
                FetchItem::Field(field) => {
                    if field.key != field.name {
                        let _ = write!(out, "{}: ", field.key);
                    }
                    out.push_str(&field.name);
                    if !field.arguments.is_empty() {
                        out.push('(');
                        for (i, argument) in field.arguments.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            let _ = write!(out, "{}: {}", argument.name, argument.value);
                        }
                        out.push(')');
                    }
                    if let Some(selection) = &field.selection {
                        out.push(' ');
                        selection.write(out, inner);
                    }
                }
                FetchItem::Fragment(type_name, selection) => {
                    let _ = write!(out, "... on {type_name} ");
                    selection.write(out, inner);
                }
            }
        }
        if !wrote_any {
            // A composite field needs a non-empty selection; the type name is always there.
            separator(out, inner);
            out.push_str("__typename");
        }
        match indent {
            Some(i) => {
                out.push('\n');
                push_indent(out, i);
            }
            None => out.push(' '),
        }
        out.push('}');
    }
}

fn separator(out: &mut String, indent: Option<usize>) {
    match indent {
        Some(i) => {
            out.push('\n');
            push_indent(out, i);
        }
        None => out.push(' '),
    }
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn collect_value_variables(value: &ast::Value, out: &mut Vec<Name>) {
    match value {
        ast::Value::Variable(name) if !out.contains(name) => out.push(name.clone()),
        ast::Value::List(items) => {
            for item in items {
                collect_value_variables(item, out);
            }
        }
        ast::Value::Object(fields) => {
            for (_, item) in fields {
                collect_value_variables(item, out);
            }
        }
        _ => {}
    }
}

/// The fields of a representation, read from an object of the response tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputSelection {
    /// The `__typename` to send instead of the object's own: the `@interfaceObject` interface that
    /// stands for the object's type in the target subgraph.
    pub as_type: Option<Name>,
    pub fields: Vec<InputField>,
    /// Parts that apply only when the object's `__typename` is the given type.
    pub fragments: Vec<(Name, InputSelection)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputField {
    /// Key of the value in the response tree (may be an internal alias).
    pub tree_key: Name,
    /// Name of the field in the representation.
    pub name: Name,
    /// The field is non-null: a null there makes the representation unusable.
    pub non_null: bool,
    pub selection: Option<InputSelection>,
}

impl InputSelection {
    /// Adds the fields of `other` that are not there yet, merging nested selections (check
    /// [`InputSelection::conflicts_with`] first: a field of the same name is taken as the same value).
    pub(crate) fn merge(&mut self, other: &InputSelection) {
        for field in &other.fields {
            match self.fields.iter_mut().find(|f| f.name == field.name) {
                Some(existing) => match (&mut existing.selection, &field.selection) {
                    (Some(mine), Some(theirs)) => mine.merge(theirs),
                    (None, Some(theirs)) => existing.selection = Some(theirs.clone()),
                    _ => {}
                },
                None => self.fields.push(field.clone()),
            }
        }
        for (type_name, selection) in &other.fragments {
            match self.fragments.iter_mut().find(|(t, _)| t == type_name) {
                Some((_, mine)) => mine.merge(selection),
                None => self.fragments.push((type_name.clone(), selection.clone())),
            }
        }
    }

    /// Whether merging `other` into this would need one representation field to hold two values:
    /// the same name read from different keys of the tree (a field required with two argument sets).
    pub(crate) fn conflicts_with(&self, other: &InputSelection) -> bool {
        let fields_conflict = other.fields.iter().any(|theirs| {
            self.fields
                .iter()
                .find(|mine| mine.name == theirs.name)
                .is_some_and(|mine| {
                    mine.tree_key != theirs.tree_key
                        || match (&mine.selection, &theirs.selection) {
                            (Some(a), Some(b)) => a.conflicts_with(b),
                            _ => false,
                        }
                })
        });
        fields_conflict
            || other.fragments.iter().any(|(type_name, theirs)| {
                self.fragments
                    .iter()
                    .find(|(t, _)| t == type_name)
                    .is_some_and(|(_, mine)| mine.conflicts_with(theirs))
            })
    }

    /// `__typename id organization { id }` style, for plan display.
    pub(crate) fn write(&self, out: &mut String) {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if field.tree_key != field.name {
                let _ = write!(out, "{}<-{}", field.name, field.tree_key);
            } else {
                out.push_str(&field.name);
            }
            if let Some(selection) = &field.selection {
                out.push_str(" { ");
                selection.write(out);
                out.push_str(" }");
            }
        }
        for (type_name, selection) in &self.fragments {
            let _ = write!(out, " ... on {type_name} {{ ");
            selection.write(out);
            out.push_str(" }");
        }
    }
}
