//! Wording of composition messages that compare subgraphs: "it has X in subgraph "a" but Y in
//! subgraphs "b" and "c"" descriptions of disagreements.

pub(super) use crate::error::subgraph_list;

/// Groups `(subgraph, value)` pairs by value and describes them: the group whose value is
/// `reference` (the value the supergraph uses) first, then the others in order of appearance.
/// Returns e.g. `type "String" in subgraph "a" but type "Int" in subgraph "b"`.
pub(super) fn describe_values(values: &[(String, String)], reference: Option<&str>) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (subgraph, value) in values {
        match groups.iter_mut().find(|(v, _)| v == value) {
            Some((_, subgraphs)) => subgraphs.push(subgraph.clone()),
            None => groups.push((value.clone(), vec![subgraph.clone()])),
        }
    }
    if let Some(reference) = reference
        && let Some(index) = groups.iter().position(|(value, _)| value == reference)
    {
        let group = groups.remove(index);
        groups.insert(0, group);
    }
    let described: Vec<String> = groups
        .iter()
        .map(|(value, subgraphs)| format!("{value} in {}", subgraph_list(subgraphs)))
        .collect();
    match described.split_first() {
        None => String::new(),
        Some((first, [])) => first.clone(),
        Some((first, rest)) => format!("{first} but {}", rest.join(" and ")),
    }
}
