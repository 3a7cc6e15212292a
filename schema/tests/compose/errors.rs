//! Composition errors: each failing case of `tests/cases/` fails with exactly its error codes,
//! every error naming its subgraph, file and line (see `assert_fails`).

use super::{assert_fails, render};

#[test]
fn error_invalid_field_sharing() {
    assert_fails(
        "error_invalid_field_sharing",
        &[
            "INVALID_FIELD_SHARING",
            "INVALID_FIELD_SHARING",
            "INVALID_FIELD_SHARING",
        ],
    );
}

#[test]
fn error_external_missing_on_base() {
    assert_fails(
        "error_external_missing_on_base",
        &["EXTERNAL_MISSING_ON_BASE"],
    );
}

#[test]
fn error_key_fields_select_invalid_type() {
    assert_fails(
        "error_key_fields_select_invalid_type",
        &["KEY_FIELDS_SELECT_INVALID_TYPE"],
    );
}

#[test]
fn error_key_invalid_fields() {
    assert_fails("error_key_invalid_fields", &["KEY_INVALID_FIELDS"]);
}

#[test]
fn error_invalid_graphql_names_file_and_line() {
    let errors = assert_fails(
        "error_invalid_graphql_syntax",
        &["INVALID_GRAPHQL", "INVALID_GRAPHQL"],
    );
    let rendered = render(&errors);
    assert!(
        rendered.contains("tests/cases/error_invalid_graphql_syntax/a.graphql:9:8"),
        "{rendered}"
    );
    assert!(
        rendered.contains("tests/cases/error_invalid_graphql_syntax/b.graphql:9:8"),
        "{rendered}"
    );
}

#[test]
fn error_field_type_mismatch() {
    assert_fails("error_field_type_mismatch", &["FIELD_TYPE_MISMATCH"]);
}

#[test]
fn error_type_kind_mismatch() {
    assert_fails("error_type_kind_mismatch", &["TYPE_KIND_MISMATCH"]);
}

#[test]
fn error_requires_invalid_fields() {
    assert_fails(
        "error_requires_invalid_fields",
        &["REQUIRES_INVALID_FIELDS"],
    );
}

#[test]
fn error_provides_invalid_fields() {
    assert_fails(
        "error_provides_invalid_fields",
        &["PROVIDES_INVALID_FIELDS"],
    );
}

#[test]
fn error_requires_fields_missing_external() {
    assert_fails(
        "error_requires_fields_missing_external",
        &["REQUIRES_FIELDS_MISSING_EXTERNAL"],
    );
}

#[test]
fn error_enum_value_mismatch() {
    assert_fails("error_enum_value_mismatch", &["ENUM_VALUE_MISMATCH"]);
}

#[test]
fn error_required_input_field_missing() {
    assert_fails(
        "error_required_input_field_missing",
        &["REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"],
    );
}

#[test]
fn error_required_argument_missing() {
    assert_fails(
        "error_required_argument_missing",
        &["REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"],
    );
}

#[test]
fn error_external_unused() {
    assert_fails("error_external_unused", &["EXTERNAL_UNUSED"]);
}

#[test]
fn error_renamed_import_is_not_known_by_its_old_name() {
    assert_fails("error_renamed_import_old_name", &["INVALID_GRAPHQL"]);
}

#[test]
fn error_unknown_link_import() {
    assert_fails(
        "error_unknown_link_import",
        &[
            "INVALID_LINK_DIRECTIVE_USAGE",
            "INVALID_LINK_DIRECTIVE_USAGE",
        ],
    );
}

#[test]
fn error_override_from_self() {
    assert_fails("error_override_from_self", &["OVERRIDE_FROM_SELF_ERROR"]);
}

#[test]
fn error_extension_with_no_base() {
    assert_fails(
        "error_extension_with_no_base",
        &["EXTENSION_WITH_NO_BASE", "EXTENSION_WITH_NO_BASE"],
    );
}

#[test]
fn error_unsupported_feature() {
    assert_fails("error_unsupported_feature", &["UNSUPPORTED_FEATURE"]);
}

#[test]
fn error_no_queries() {
    assert_fails("error_no_queries", &["NO_QUERIES"]);
}

#[test]
fn error_referenced_inaccessible() {
    assert_fails(
        "error_referenced_inaccessible",
        &["REFERENCED_INACCESSIBLE"],
    );
}

#[test]
fn every_error_of_every_subgraph_is_reported() {
    assert_fails(
        "error_many",
        &["KEY_INVALID_FIELDS", "INVALID_GRAPHQL", "EXTERNAL_UNUSED"],
    );
}

#[test]
fn error_satisfiability_value_type_missing_a_field() {
    let errors = assert_fails("error_satisfiability_value_type", &["SATISFIABILITY_ERROR"]);
    assert_eq!(errors[0].element.as_deref(), Some("Deal.discount"));
    assert!(
        errors[0]
            .message
            .contains("{\n  dealOfTheDay {\n    discount\n  }\n}\n")
    );
}

#[test]
fn error_satisfiability_unresolvable_key_and_requires() {
    assert_fails(
        "error_satisfiability_requires",
        &["SATISFIABILITY_ERROR", "SATISFIABILITY_ERROR"],
    );
}

#[test]
fn error_satisfiability_key_fields_not_collectable() {
    assert_fails(
        "error_satisfiability_key_fields",
        &["SATISFIABILITY_ERROR", "SATISFIABILITY_ERROR"],
    );
}

#[test]
fn error_interface_object_without_key() {
    assert_fails(
        "error_interface_object_without_key",
        &["INTERFACE_OBJECT_USAGE_ERROR"],
    );
}

#[test]
fn error_interface_object_without_interface() {
    assert_fails(
        "error_interface_object_without_interface",
        &["INTERFACE_OBJECT_USAGE_ERROR"],
    );
}

#[test]
fn error_interface_object_with_federation_1_subgraphs() {
    assert_fails(
        "error_interface_object_federation_1",
        &["INTERFACE_OBJECT_USAGE_ERROR"],
    );
}

#[test]
fn error_interface_key_not_on_implementation() {
    assert_fails(
        "error_interface_key_not_on_implementation",
        &[
            "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
            "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
        ],
    );
}

#[test]
fn error_interface_key_missing_implementation_type() {
    assert_fails(
        "error_interface_key_missing_implementation",
        &["INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE"],
    );
}

#[test]
fn error_interface_field_no_implem() {
    assert_fails(
        "error_interface_field_no_implem",
        &["INTERFACE_FIELD_NO_IMPLEM", "INTERFACE_FIELD_NO_IMPLEM"],
    );
}

#[test]
fn error_interface_implementations_broken_by_merging() {
    assert_fails(
        "error_interface_implementation_merge",
        &["INVALID_GRAPHQL", "INVALID_GRAPHQL"],
    );
}

#[test]
fn error_key_unsupported_on_interface_before_2_3() {
    assert_fails(
        "error_key_unsupported_on_interface",
        &["KEY_UNSUPPORTED_ON_INTERFACE"],
    );
}

#[test]
fn error_override_on_interface() {
    assert_fails("error_override_on_interface", &["OVERRIDE_ON_INTERFACE"]);
}

#[test]
fn error_override_misuse() {
    assert_fails(
        "error_override_misuse",
        &[
            "OVERRIDE_SOURCE_HAS_OVERRIDE",
            "OVERRIDE_SOURCE_HAS_OVERRIDE",
            "INVALID_FIELD_SHARING",
            "OVERRIDE_LABEL_INVALID",
            "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
            "INVALID_FIELD_SHARING",
            "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        ],
    );
}

#[test]
fn error_compose_directive_usage() {
    assert_fails(
        "error_compose_directive_usage",
        &[
            "DIRECTIVE_COMPOSITION_ERROR",
            "DIRECTIVE_COMPOSITION_ERROR",
            "DIRECTIVE_COMPOSITION_ERROR",
            "DIRECTIVE_COMPOSITION_ERROR",
        ],
    );
}

#[test]
fn error_compose_directive_mismatch_across_subgraphs() {
    assert_fails(
        "error_compose_directive_mismatch",
        &["DIRECTIVE_COMPOSITION_ERROR", "DIRECTIVE_COMPOSITION_ERROR"],
    );
}

#[test]
fn error_merged_directive_on_external() {
    assert_fails(
        "error_merged_directive_on_external",
        &[
            "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
            "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
        ],
    );
}

#[test]
fn error_inaccessible_rules() {
    assert_fails(
        "error_inaccessible_rules",
        &[
            "REQUIRED_INACCESSIBLE",
            "ONLY_INACCESSIBLE_CHILDREN",
            "ONLY_INACCESSIBLE_CHILDREN",
            "IMPLEMENTED_BY_INACCESSIBLE",
            "IMPLEMENTED_BY_INACCESSIBLE",
            "DEFAULT_VALUE_USES_INACCESSIBLE",
            "DEFAULT_VALUE_USES_INACCESSIBLE",
            "DEFAULT_VALUE_USES_INACCESSIBLE",
        ],
    );
}

#[test]
fn error_query_root_inaccessible() {
    assert_fails(
        "error_query_root_inaccessible",
        &["QUERY_ROOT_TYPE_INACCESSIBLE"],
    );
}

#[test]
fn error_type_with_only_unused_external() {
    assert_fails(
        "error_type_with_only_unused_external",
        &["TYPE_WITH_ONLY_UNUSED_EXTERNAL"],
    );
}

#[test]
fn error_input_and_enum_merging() {
    assert_fails(
        "error_input_and_enum_merging",
        &[
            "INPUT_FIELD_DEFAULT_MISMATCH",
            "EMPTY_MERGED_INPUT_TYPE",
            "FIELD_ARGUMENT_DEFAULT_MISMATCH",
            "FIELD_ARGUMENT_TYPE_MISMATCH",
            "EMPTY_MERGED_ENUM_TYPE",
        ],
    );
}

#[test]
fn error_external_mismatch() {
    assert_fails(
        "error_external_mismatch",
        &["EXTERNAL_ARGUMENT_MISSING", "EXTERNAL_TYPE_MISMATCH"],
    );
}

#[test]
fn error_directives_on_interface_fields() {
    assert_fails(
        "error_directives_on_interface",
        &[
            "EXTERNAL_ON_INTERFACE",
            "REQUIRES_UNSUPPORTED_ON_INTERFACE",
            "PROVIDES_UNSUPPORTED_ON_INTERFACE",
            "KEY_FIELDS_HAS_ARGS",
            "PROVIDES_ON_NON_OBJECT_FIELD",
        ],
    );
}
