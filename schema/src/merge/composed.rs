//! Merging the custom directives that subgraphs keep with `@composeDirective`: a composed
//! directive must refer to the same directive of the same linked spec, under the same name, in
//! every subgraph composing it, and the subgraphs must agree on the spec's major version. The
//! supergraph gets a `@link` per spec (the highest minor version used, importing the composed
//! directives), the definition from the subgraph using that version, and every application.

use std::collections::HashSet;

use apollo_compiler::Name;
use indexmap::{IndexMap, IndexSet};

use super::Merger;
use super::mismatch::describe_values;
use crate::error::{CompositionError, ErrorCode, ErrorLocation};
use crate::subgraph::{Applied, ComposedDirective};
use crate::supergraph::{ComposedLink, MergedDirective, MergedInputValue};

/// Names the supergraph's own machinery uses.
fn is_reserved(name: &str) -> bool {
    matches!(name, "tag" | "inaccessible" | "link")
        || name.starts_with("join__")
        || name.starts_with("link__")
}

impl Merger<'_> {
    pub(super) fn merge_composed_directives(
        &mut self,
    ) -> (Vec<ComposedLink>, IndexMap<Name, MergedDirective>) {
        let items: Vec<(usize, &ComposedDirective)> = self
            .subgraphs
            .iter()
            .enumerate()
            .flat_map(|(index, s)| s.composed_directives.iter().map(move |c| (index, c)))
            .collect();
        if items.is_empty() {
            return (Vec::new(), IndexMap::new());
        }
        let location = |(index, composed): &(usize, &ComposedDirective)| -> ErrorLocation {
            self.subgraphs[*index].location(composed.position)
        };
        let mut errors = Vec::new();
        let mut rejected: HashSet<Name> = HashSet::new();

        for item @ (index, composed) in &items {
            if is_reserved(&composed.name) {
                errors.push(
                    CompositionError::new(
                        ErrorCode::DirectiveCompositionError,
                        format!(
                            "Directive \"@{}\" in subgraph \"{}\" cannot be composed because it conflicts with a directive the supergraph defines itself",
                            composed.name, self.subgraphs[*index].name
                        ),
                    )
                    .element(format!("@{}", composed.name))
                    .at(location(item)),
                );
                rejected.insert(composed.name.clone());
            }
        }

        let identities: IndexSet<&str> = items
            .iter()
            .map(|(_, c)| c.feature_identity.as_str())
            .collect();
        let mut rejected_identities: HashSet<&str> = HashSet::new();
        for identity in &identities {
            let group: Vec<&(usize, &ComposedDirective)> = items
                .iter()
                .filter(|(_, c)| c.feature_identity == *identity)
                .collect();
            let majors: IndexSet<u32> = group.iter().map(|(_, c)| c.major).collect();
            if majors.len() > 1 {
                errors.push(
                    CompositionError::new(
                        ErrorCode::DirectiveCompositionError,
                        format!(
                            "Core feature \"{identity}\" requested to be merged has major version mismatch across subgraphs"
                        ),
                    )
                    .at_all(group.iter().map(|item| location(item))),
                );
                rejected_identities.insert(identity);
            }
        }

        let names: IndexSet<&Name> = items.iter().map(|(_, c)| &c.name).collect();
        for name in &names {
            let group: Vec<&(usize, &ComposedDirective)> =
                items.iter().filter(|(_, c)| c.name == **name).collect();
            let originals: IndexSet<&str> = group
                .iter()
                .map(|(_, c)| c.name_in_feature.as_str())
                .collect();
            let features: IndexSet<&str> = group
                .iter()
                .map(|(_, c)| c.feature_identity.as_str())
                .collect();
            let problem = if features.len() > 1 {
                Some("is not linked by the same core feature in every subgraph")
            } else if originals.len() > 1 {
                Some("does not refer to the same directive in every subgraph")
            } else {
                None
            };
            if let Some(problem) = problem {
                errors.push(
                    CompositionError::new(
                        ErrorCode::DirectiveCompositionError,
                        format!("Composed directive \"@{name}\" {problem}"),
                    )
                    .element(format!("@{name}"))
                    .at_all(group.iter().map(|item| location(item))),
                );
                rejected.insert((*name).clone());
            }
        }

        let originals: IndexSet<(&str, &str)> = items
            .iter()
            .map(|(_, c)| (c.feature_identity.as_str(), c.name_in_feature.as_str()))
            .collect();
        for (identity, original) in originals {
            let group: Vec<&(usize, &ComposedDirective)> = items
                .iter()
                .filter(|(_, c)| c.feature_identity == identity && c.name_in_feature == original)
                .collect();
            let local_names: IndexSet<&Name> = group.iter().map(|(_, c)| &c.name).collect();
            if local_names.len() < 2 {
                continue;
            }
            let values: Vec<(String, String)> = group
                .iter()
                .map(|(index, c)| {
                    (
                        self.subgraphs[*index].name.clone(),
                        format!("\"@{}\"", c.name),
                    )
                })
                .collect();
            errors.push(
                CompositionError::new(
                    ErrorCode::DirectiveCompositionError,
                    format!(
                        "Composed directive \"@{original}\" of core feature \"{identity}\" is not named consistently in all subgraphs: it is named {}",
                        describe_values(&values, None)
                    ),
                )
                .element(format!("@{original}"))
                .at_all(group.iter().map(|item| location(item))),
            );
            rejected.extend(local_names.into_iter().cloned());
        }
        self.errors.extend(errors);

        let mut definitions = IndexMap::new();
        let mut imports_by_identity: IndexMap<&str, Vec<&ComposedDirective>> = IndexMap::new();
        for name in names {
            let group: Vec<&(usize, &ComposedDirective)> =
                items.iter().filter(|(_, c)| c.name == *name).collect();
            // The definition from the subgraph linking the highest version (the first of them).
            let latest =
                group.iter().fold(
                    None,
                    |best: Option<&ComposedDirective>, (_, c)| match best {
                        Some(b) if b.minor >= c.minor => best,
                        _ => Some(c),
                    },
                );
            let Some(latest) = latest else {
                continue;
            };
            if rejected.contains(name)
                || rejected_identities.contains(latest.feature_identity.as_str())
            {
                continue;
            }
            let definition = &latest.definition;
            let arguments = definition
                .arguments
                .iter()
                .map(|argument| {
                    (
                        argument.name.clone(),
                        MergedInputValue {
                            name: argument.name.clone(),
                            description: argument.description.as_ref().map(|d| d.to_string()),
                            ty: (*argument.ty).clone(),
                            default: argument.default_value.clone(),
                            applied: Applied::default(),
                            join_fields: Vec::new(),
                        },
                    )
                })
                .collect();
            definitions.insert(
                name.clone(),
                MergedDirective {
                    description: definition.description.as_ref().map(|d| d.to_string()),
                    arguments,
                    repeatable: definition.repeatable,
                    locations: definition
                        .locations
                        .iter()
                        .map(|location| location.name().to_owned())
                        .collect(),
                },
            );
            imports_by_identity
                .entry(latest.feature_identity.as_str())
                .or_default()
                .push(latest);
        }

        let mut links: Vec<ComposedLink> = imports_by_identity
            .into_iter()
            .filter_map(|(identity, mut directives)| {
                let url = items
                    .iter()
                    .filter(|(_, c)| c.feature_identity == identity)
                    .fold(
                        None,
                        |best: Option<&ComposedDirective>, (_, c)| match best {
                            Some(b) if b.minor >= c.minor => best,
                            _ => Some(c),
                        },
                    )?
                    .feature_url
                    .clone();
                directives.sort_by(|a, b| a.name.cmp(&b.name));
                let imports = directives
                    .iter()
                    .map(|c| {
                        if c.name.as_str() == c.name_in_feature {
                            format!("\"@{}\"", c.name)
                        } else {
                            format!("{{name: \"@{}\", as: \"@{}\"}}", c.name_in_feature, c.name)
                        }
                    })
                    .collect();
                Some(ComposedLink { url, imports })
            })
            .collect();
        links.sort_by(|a, b| a.url.cmp(&b.url));
        (links, definitions)
    }
}
