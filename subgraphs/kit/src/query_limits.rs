//! The operation limits every subgraph enforces, as an async-graphql extension: as soon as the request
//! is parsed (before async-graphql's own recursion check and validation, which both walk every fragment
//! spread afresh), the number of fields an operation selects once its fragments are expanded, counted
//! with each fragment summed once, so a fragment that spreads another twice, thirty times over, costs
//! thirty steps, not 2^30; after validation, async-graphql's own depth and complexity. Refusals carry `QUERY_TOO_COMPLEX` or
//! `QUERY_TOO_DEEP`. Also counts root fields by name through fragments, for limits on particular fields.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult};

use crate::error::ErrorCode;
use crate::limits::RequestLimits;

/// Fragments spreading fragments deeper than this are refused as too complex (and keep the count
/// from recursing without bound).
const MAX_FRAGMENT_NESTING: usize = 64;

/// The extension enforcing `limits.max_depth` and `limits.max_complexity`.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    max_depth: usize,
    max_complexity: usize,
}

impl QueryLimits {
    pub fn new(limits: &RequestLimits) -> QueryLimits {
        QueryLimits {
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for QueryLimits {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let mut request = next.run(ctx, request).await?;
        // Parsed here once; async-graphql goes on with this document.
        let fields = expanded_field_count(request.parsed_query()?);
        if fields > self.max_complexity as u64 {
            return Err(self.too_complex());
        }
        Ok(request)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.max_depth {
            return Err(vec![ErrorCode::QueryTooDeep.server_error(format!(
                "the operation nests fields {} deep; at most {} levels are allowed",
                result.depth, self.max_depth
            ))]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![self.too_complex()]);
        }
        Ok(result)
    }
}

impl QueryLimits {
    fn too_complex(&self) -> ServerError {
        ErrorCode::QueryTooComplex.server_error(format!(
            "the operation is too complex: it may select at most {} fields once its fragments are \
             expanded",
            self.max_complexity
        ))
    }
}

/// How many fields the document's operations select with every fragment spread expanded (saturating;
/// `u64::MAX` when fragments nest deeper than any real operation does).
pub fn expanded_field_count(document: &ExecutableDocument) -> u64 {
    let mut counter = Counter::new(document, Counting::AllFields);
    document
        .operations
        .iter()
        .map(|(_, operation)| counter.selections(&operation.node.selection_set.node, 0))
        .fold(0, u64::saturating_add)
}

/// How many times `operation` selects a root field called one of `names` (aliases included), with
/// fragment spreads and inline fragments at the root expanded.
pub fn root_field_count(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    names: &[&str],
) -> u64 {
    Counter::new(document, Counting::RootFieldsNamed(names))
        .selections(&operation.selection_set.node, 0)
}

enum Counting<'n> {
    /// Every field, at every level.
    AllFields,
    /// Fields with these names in the selection set itself, not below.
    RootFieldsNamed(&'n [&'n str]),
}

/// Sums over selection sets, each fragment's sum computed once.
struct Counter<'d, 'n> {
    document: &'d ExecutableDocument,
    counting: Counting<'n>,
    fragments: HashMap<&'d str, u64>,
}

impl<'d, 'n> Counter<'d, 'n> {
    fn new(document: &'d ExecutableDocument, counting: Counting<'n>) -> Self {
        Counter {
            document,
            counting,
            fragments: HashMap::new(),
        }
    }

    fn selections(&mut self, set: &'d SelectionSet, nesting: usize) -> u64 {
        let mut sum: u64 = 0;
        for selection in &set.items {
            let count = match &selection.node {
                Selection::Field(field) => match self.counting {
                    Counting::AllFields => 1u64
                        .saturating_add(self.selections(&field.node.selection_set.node, nesting)),
                    Counting::RootFieldsNamed(names) => {
                        u64::from(names.contains(&field.node.name.node.as_str()))
                    }
                },
                Selection::InlineFragment(fragment) => {
                    self.selections(&fragment.node.selection_set.node, nesting)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str(), nesting + 1)
                }
            };
            sum = sum.saturating_add(count);
        }
        sum
    }

    fn fragment(&mut self, name: &'d str, nesting: usize) -> u64 {
        if let Some(count) = self.fragments.get(name) {
            return *count;
        }
        if nesting > MAX_FRAGMENT_NESTING {
            return u64::MAX;
        }
        let document = self.document;
        let Some((key, definition)) = document.fragments.get_key_value(name) else {
            return 0; // unknown fragment: validation reports it
        };
        // A cycle (which validation rejects) counts as nothing while it is being summed.
        self.fragments.insert(key.as_str(), 0);
        let count = self.selections(&definition.node.selection_set.node, nesting);
        self.fragments.insert(key.as_str(), count);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap()
    }

    /// `{ me { ...F0 } }` where each of `levels` fragments selects the next one twice.
    pub(crate) fn fragment_bomb(levels: usize) -> String {
        let mut query = String::from("{ me { ...F0 } }\n");
        for level in 0..levels {
            let next = level + 1;
            if next == levels {
                query.push_str(&format!("fragment F{level} on User {{ id name }}\n"));
            } else {
                query.push_str(&format!(
                    "fragment F{level} on User {{ a: orders {{ ...F{next} }} b: orders {{ ...F{next} }} }}\n"
                ));
            }
        }
        query
    }

    #[test]
    fn fields_are_counted_with_fragments_expanded_once_each() {
        assert_eq!(expanded_field_count(&parse("{ a b { c d { e } } }")), 5);
        assert_eq!(
            expanded_field_count(&parse(
                "{ a { ...F ...F ... on T { g } } } fragment F on T { b c }"
            )),
            6
        );
        let started = std::time::Instant::now();
        let count = expanded_field_count(&parse(&fragment_bomb(30)));
        assert!(count > 1 << 30, "{count}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let chain: String = (0..100)
            .map(|n| format!("fragment F{n} on T {{ ...F{} }}\n", n + 1))
            .collect();
        let query = format!("{{ a {{ ...F0 }} }}\n{chain}fragment F100 on T {{ x }}");
        assert_eq!(expanded_field_count(&parse(&query)), u64::MAX);
        // A cycle terminates.
        let cycle = parse("{ a { ...A } } fragment A on T { x ...B } fragment B on T { y ...A }");
        assert!(expanded_field_count(&cycle) >= 3);
    }

    #[test]
    fn root_fields_are_counted_by_name_through_fragments_and_aliases() {
        let document = parse(
            "mutation { a: login(e: 1) b: login(e: 2) ...M ... on Mutation { register } }
             fragment M on Mutation { login other { login } }",
        );
        let (_, operation) = document.operations.iter().next().unwrap();
        assert_eq!(
            root_field_count(&document, &operation.node, &["login", "register"]),
            4
        );
        assert_eq!(root_field_count(&document, &operation.node, &["other"]), 1);
    }
}
