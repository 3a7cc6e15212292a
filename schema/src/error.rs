//! Composition errors and hints: the stable Federation error and hint codes, and the subgraph,
//! file and line each of them points at.

use std::fmt;

/// Stable error codes, spelled exactly like Apollo Federation's composition error codes so that
/// tooling and people can look them up in the Federation documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A subgraph SDL does not parse, or is not a valid GraphQL schema.
    InvalidGraphql,
    /// A subgraph name is empty, reserved or used twice.
    InvalidSubgraphName,
    /// A `@link` import names something the federation spec does not define.
    InvalidLinkDirectiveUsage,
    /// A `@link` to a federation spec version this composer does not know.
    UnknownFederationLinkVersion,
    /// A federation feature this composer does not implement yet.
    UnsupportedFeature,
    /// `@key(fields:)` is not a string.
    KeyInvalidFieldsType,
    /// `@key(fields:)` does not select valid fields of the type.
    KeyInvalidFields,
    /// `@key(fields:)` selects a field of interface or union type.
    KeyFieldsSelectInvalidType,
    /// `@key(fields:)` selects a field that has arguments.
    KeyFieldsHasArgs,
    /// `@key(fields:)` contains directive applications.
    KeyDirectiveInFieldsArgs,
    /// `@requires(fields:)` is not a string.
    RequiresInvalidFieldsType,
    /// `@requires(fields:)` does not select valid fields of the type.
    RequiresInvalidFields,
    /// `@requires(fields:)` selects a field that is not `@external`.
    RequiresFieldsMissingExternal,
    /// `@requires(fields:)` contains directive applications.
    RequiresDirectiveInFieldsArg,
    /// `@requires` on an interface field.
    RequiresUnsupportedOnInterface,
    /// `@provides(fields:)` is not a string.
    ProvidesInvalidFieldsType,
    /// `@provides(fields:)` does not select valid fields of the field's type.
    ProvidesInvalidFields,
    /// `@provides(fields:)` selects a field that is not `@external`.
    ProvidesFieldsMissingExternal,
    /// `@provides` on a field whose type is not an object, interface or union.
    ProvidesOnNonObjectField,
    /// `@provides(fields:)` contains directive applications.
    ProvidesDirectiveInFieldsArg,
    /// `@provides(fields:)` selects a field that has arguments.
    ProvidesFieldsHasArgs,
    /// `@provides` on an interface field.
    ProvidesUnsupportedOnInterface,
    /// `@external` on an interface field.
    ExternalOnInterface,
    /// An `@external` field is used by no `@key`, `@requires` or `@provides`.
    ExternalUnused,
    /// A field is `@external` in every subgraph that declares it.
    ExternalMissingOnBase,
    /// An `@external` field's type differs from the type of the field where it is defined.
    ExternalTypeMismatch,
    /// An `@external` field lacks an argument the field has where it is defined.
    ExternalArgumentMissing,
    /// An `@external` field's argument type differs from where the field is defined.
    ExternalArgumentTypeMismatch,
    /// An `@external` field's argument default differs from where the field is defined.
    ExternalArgumentDefaultMismatch,
    /// A non-`@shareable` field is resolved by several subgraphs.
    InvalidFieldSharing,
    /// A field's types in different subgraphs are incompatible.
    FieldTypeMismatch,
    /// An argument's types in different subgraphs are incompatible.
    FieldArgumentTypeMismatch,
    /// An argument has different default values in different subgraphs.
    FieldArgumentDefaultMismatch,
    /// An input field has different default values in different subgraphs.
    InputFieldDefaultMismatch,
    /// A required argument is missing from some subgraph that has the field.
    RequiredArgumentMissingInSomeSubgraph,
    /// A required input field is missing from some subgraph that has the input type.
    RequiredInputFieldMissingInSomeSubgraph,
    /// No field of an input type is defined in every subgraph that defines the type.
    EmptyMergedInputType,
    /// No value of an input enum is defined in every subgraph that defines the enum.
    EmptyMergedEnumType,
    /// An enum used both as input and output has different values in different subgraphs.
    EnumValueMismatch,
    /// The same type name is a different kind of type in different subgraphs.
    TypeKindMismatch,
    /// A type is only ever declared with `extend`, never defined.
    ExtensionWithNoBase,
    /// A type implementing an interface lacks one of the interface's fields.
    InterfaceFieldNoImplem,
    /// An interface with a resolvable `@key` in a subgraph lacks some implementations there.
    InterfaceKeyMissingImplementationType,
    /// `@override(from:)` names the subgraph the directive is in.
    OverrideFromSelfError,
    /// `@override(from:)` targets a field that is itself overridden.
    OverrideSourceHasOverride,
    /// `@override` on a field that also has a directive incompatible with it.
    OverrideCollisionWithAnotherDirective,
    /// `@override(label:)` is not a valid label.
    OverrideLabelInvalid,
    /// No subgraph defines a query field.
    NoQueries,
    /// An accessible element references an `@inaccessible` type.
    ReferencedInaccessible,
    /// A required argument or input field is `@inaccessible`.
    RequiredInaccessible,
    /// Every child of an accessible type is `@inaccessible`.
    OnlyInaccessibleChildren,
    /// The query root type is `@inaccessible`.
    QueryRootTypeInaccessible,
    /// An `@inaccessible` field implements an interface field that is in the API schema.
    ImplementedByInaccessible,
    /// A default value in the API schema uses an `@inaccessible` enum value or input field.
    DefaultValueUsesInaccessible,
    /// `@override` on a field of an interface type.
    OverrideOnInterface,
    /// Misuse of `@composeDirective`, or composed directives that do not agree across subgraphs.
    DirectiveCompositionError,
    /// Misuse of `@interfaceObject`.
    InterfaceObjectUsageError,
    /// A `@key` on an interface is missing (or not resolvable) on one of its implementations.
    InterfaceKeyNotOnImplementation,
    /// `@key` on an interface in a subgraph linking a federation version before 2.3.
    KeyUnsupportedOnInterface,
    /// A merged directive (`@tag`, `@inaccessible`, `@deprecated`, a composed directive) on an
    /// `@external` field.
    MergedDirectiveApplicationOnExternal,
    /// A Federation 1 type has only `@external` fields, none of them used, yet it is referenced.
    TypeWithOnlyUnusedExternal,
    /// A subgraph defines a federation or link directive with a signature the spec's is not
    /// compatible with.
    DirectiveDefinitionInvalid,
    /// A subgraph defines a federation or link type differently from the spec.
    TypeDefinitionInvalid,
    /// `@cost` on an interface field or on an argument of one.
    CostAppliedToInterfaceField,
    /// `@listSize` on a field that is not a list, without `sizedFields`, or naming a sized field
    /// that is not a list.
    ListSizeAppliedToNonList,
    /// `@listSize(assumedSize:)` is negative.
    ListSizeInvalidAssumedSize,
    /// `@listSize(sizedFields:)` names a field that does not exist (or the field's type has no
    /// fields).
    ListSizeInvalidSizedField,
    /// `@listSize(slicingArguments:)` names an argument that does not exist or is not an `Int`.
    ListSizeInvalidSlicingArgument,
    /// Some field of the supergraph cannot be reached from a root through the subgraphs.
    SatisfiabilityError,
}

impl ErrorCode {
    /// Every code, in declaration order. A new code belongs here too (the differential test
    /// then asks for a corpus set that makes the composer report it).
    pub const ALL: [Self; 69] = [
        Self::InvalidGraphql,
        Self::InvalidSubgraphName,
        Self::InvalidLinkDirectiveUsage,
        Self::UnknownFederationLinkVersion,
        Self::UnsupportedFeature,
        Self::KeyInvalidFieldsType,
        Self::KeyInvalidFields,
        Self::KeyFieldsSelectInvalidType,
        Self::KeyFieldsHasArgs,
        Self::KeyDirectiveInFieldsArgs,
        Self::RequiresInvalidFieldsType,
        Self::RequiresInvalidFields,
        Self::RequiresFieldsMissingExternal,
        Self::RequiresDirectiveInFieldsArg,
        Self::RequiresUnsupportedOnInterface,
        Self::ProvidesInvalidFieldsType,
        Self::ProvidesInvalidFields,
        Self::ProvidesFieldsMissingExternal,
        Self::ProvidesOnNonObjectField,
        Self::ProvidesDirectiveInFieldsArg,
        Self::ProvidesFieldsHasArgs,
        Self::ProvidesUnsupportedOnInterface,
        Self::ExternalOnInterface,
        Self::ExternalUnused,
        Self::ExternalMissingOnBase,
        Self::ExternalTypeMismatch,
        Self::ExternalArgumentMissing,
        Self::ExternalArgumentTypeMismatch,
        Self::ExternalArgumentDefaultMismatch,
        Self::InvalidFieldSharing,
        Self::FieldTypeMismatch,
        Self::FieldArgumentTypeMismatch,
        Self::FieldArgumentDefaultMismatch,
        Self::InputFieldDefaultMismatch,
        Self::RequiredArgumentMissingInSomeSubgraph,
        Self::RequiredInputFieldMissingInSomeSubgraph,
        Self::EmptyMergedInputType,
        Self::EmptyMergedEnumType,
        Self::EnumValueMismatch,
        Self::TypeKindMismatch,
        Self::ExtensionWithNoBase,
        Self::InterfaceFieldNoImplem,
        Self::InterfaceKeyMissingImplementationType,
        Self::OverrideFromSelfError,
        Self::OverrideSourceHasOverride,
        Self::OverrideCollisionWithAnotherDirective,
        Self::OverrideLabelInvalid,
        Self::NoQueries,
        Self::ReferencedInaccessible,
        Self::RequiredInaccessible,
        Self::OnlyInaccessibleChildren,
        Self::QueryRootTypeInaccessible,
        Self::ImplementedByInaccessible,
        Self::DefaultValueUsesInaccessible,
        Self::OverrideOnInterface,
        Self::DirectiveCompositionError,
        Self::InterfaceObjectUsageError,
        Self::InterfaceKeyNotOnImplementation,
        Self::KeyUnsupportedOnInterface,
        Self::MergedDirectiveApplicationOnExternal,
        Self::TypeWithOnlyUnusedExternal,
        Self::DirectiveDefinitionInvalid,
        Self::TypeDefinitionInvalid,
        Self::CostAppliedToInterfaceField,
        Self::ListSizeAppliedToNonList,
        Self::ListSizeInvalidAssumedSize,
        Self::ListSizeInvalidSizedField,
        Self::ListSizeInvalidSlicingArgument,
        Self::SatisfiabilityError,
    ];

    /// The Federation spelling of the code, e.g. `INVALID_FIELD_SHARING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidGraphql => "INVALID_GRAPHQL",
            Self::InvalidSubgraphName => "INVALID_SUBGRAPH_NAME",
            Self::InvalidLinkDirectiveUsage => "INVALID_LINK_DIRECTIVE_USAGE",
            Self::UnknownFederationLinkVersion => "UNKNOWN_FEDERATION_LINK_VERSION",
            Self::UnsupportedFeature => "UNSUPPORTED_FEATURE",
            Self::KeyInvalidFieldsType => "KEY_INVALID_FIELDS_TYPE",
            Self::KeyInvalidFields => "KEY_INVALID_FIELDS",
            Self::KeyFieldsSelectInvalidType => "KEY_FIELDS_SELECT_INVALID_TYPE",
            Self::KeyFieldsHasArgs => "KEY_FIELDS_HAS_ARGS",
            Self::KeyDirectiveInFieldsArgs => "KEY_DIRECTIVE_IN_FIELDS_ARGS",
            Self::RequiresInvalidFieldsType => "REQUIRES_INVALID_FIELDS_TYPE",
            Self::RequiresInvalidFields => "REQUIRES_INVALID_FIELDS",
            Self::RequiresFieldsMissingExternal => "REQUIRES_FIELDS_MISSING_EXTERNAL",
            Self::RequiresDirectiveInFieldsArg => "REQUIRES_DIRECTIVE_IN_FIELDS_ARG",
            Self::RequiresUnsupportedOnInterface => "REQUIRES_UNSUPPORTED_ON_INTERFACE",
            Self::ProvidesInvalidFieldsType => "PROVIDES_INVALID_FIELDS_TYPE",
            Self::ProvidesInvalidFields => "PROVIDES_INVALID_FIELDS",
            Self::ProvidesFieldsMissingExternal => "PROVIDES_FIELDS_MISSING_EXTERNAL",
            Self::ProvidesOnNonObjectField => "PROVIDES_ON_NON_OBJECT_FIELD",
            Self::ProvidesDirectiveInFieldsArg => "PROVIDES_DIRECTIVE_IN_FIELDS_ARG",
            Self::ProvidesFieldsHasArgs => "PROVIDES_FIELDS_HAS_ARGS",
            Self::ProvidesUnsupportedOnInterface => "PROVIDES_UNSUPPORTED_ON_INTERFACE",
            Self::ExternalOnInterface => "EXTERNAL_ON_INTERFACE",
            Self::ExternalUnused => "EXTERNAL_UNUSED",
            Self::ExternalMissingOnBase => "EXTERNAL_MISSING_ON_BASE",
            Self::ExternalTypeMismatch => "EXTERNAL_TYPE_MISMATCH",
            Self::ExternalArgumentMissing => "EXTERNAL_ARGUMENT_MISSING",
            Self::ExternalArgumentTypeMismatch => "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
            Self::ExternalArgumentDefaultMismatch => "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH",
            Self::InvalidFieldSharing => "INVALID_FIELD_SHARING",
            Self::FieldTypeMismatch => "FIELD_TYPE_MISMATCH",
            Self::FieldArgumentTypeMismatch => "FIELD_ARGUMENT_TYPE_MISMATCH",
            Self::FieldArgumentDefaultMismatch => "FIELD_ARGUMENT_DEFAULT_MISMATCH",
            Self::InputFieldDefaultMismatch => "INPUT_FIELD_DEFAULT_MISMATCH",
            Self::RequiredArgumentMissingInSomeSubgraph => {
                "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"
            }
            Self::RequiredInputFieldMissingInSomeSubgraph => {
                "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"
            }
            Self::EmptyMergedInputType => "EMPTY_MERGED_INPUT_TYPE",
            Self::EmptyMergedEnumType => "EMPTY_MERGED_ENUM_TYPE",
            Self::EnumValueMismatch => "ENUM_VALUE_MISMATCH",
            Self::TypeKindMismatch => "TYPE_KIND_MISMATCH",
            Self::ExtensionWithNoBase => "EXTENSION_WITH_NO_BASE",
            Self::InterfaceFieldNoImplem => "INTERFACE_FIELD_NO_IMPLEM",
            Self::InterfaceKeyMissingImplementationType => {
                "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE"
            }
            Self::OverrideFromSelfError => "OVERRIDE_FROM_SELF_ERROR",
            Self::OverrideSourceHasOverride => "OVERRIDE_SOURCE_HAS_OVERRIDE",
            Self::OverrideCollisionWithAnotherDirective => {
                "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE"
            }
            Self::OverrideLabelInvalid => "OVERRIDE_LABEL_INVALID",
            Self::NoQueries => "NO_QUERIES",
            Self::ReferencedInaccessible => "REFERENCED_INACCESSIBLE",
            Self::RequiredInaccessible => "REQUIRED_INACCESSIBLE",
            Self::OnlyInaccessibleChildren => "ONLY_INACCESSIBLE_CHILDREN",
            Self::QueryRootTypeInaccessible => "QUERY_ROOT_TYPE_INACCESSIBLE",
            Self::ImplementedByInaccessible => "IMPLEMENTED_BY_INACCESSIBLE",
            Self::DefaultValueUsesInaccessible => "DEFAULT_VALUE_USES_INACCESSIBLE",
            Self::OverrideOnInterface => "OVERRIDE_ON_INTERFACE",
            Self::DirectiveCompositionError => "DIRECTIVE_COMPOSITION_ERROR",
            Self::InterfaceObjectUsageError => "INTERFACE_OBJECT_USAGE_ERROR",
            Self::InterfaceKeyNotOnImplementation => "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
            Self::KeyUnsupportedOnInterface => "KEY_UNSUPPORTED_ON_INTERFACE",
            Self::MergedDirectiveApplicationOnExternal => {
                "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL"
            }
            Self::TypeWithOnlyUnusedExternal => "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
            Self::DirectiveDefinitionInvalid => "DIRECTIVE_DEFINITION_INVALID",
            Self::TypeDefinitionInvalid => "TYPE_DEFINITION_INVALID",
            Self::CostAppliedToInterfaceField => "COST_APPLIED_TO_INTERFACE_FIELD",
            Self::ListSizeAppliedToNonList => "LIST_SIZE_APPLIED_TO_NON_LIST",
            Self::ListSizeInvalidAssumedSize => "LIST_SIZE_INVALID_ASSUMED_SIZE",
            Self::ListSizeInvalidSizedField => "LIST_SIZE_INVALID_SIZED_FIELD",
            Self::ListSizeInvalidSlicingArgument => "LIST_SIZE_INVALID_SLICING_ARGUMENT",
            Self::SatisfiabilityError => "SATISFIABILITY_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line and column in a subgraph SDL file, both starting at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where in which subgraph an error points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorLocation {
    /// Name of the subgraph.
    pub subgraph: String,
    /// The SDL file the subgraph was read from, when it came from a file.
    pub file: Option<String>,
    /// Line and column in the SDL, when the error points at a definition.
    pub position: Option<Position>,
}

impl fmt::Display for ErrorLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.position) {
            (Some(file), Some(p)) => write!(
                f,
                "{file}:{}:{} (subgraph \"{}\")",
                p.line, p.column, self.subgraph
            ),
            (Some(file), None) => write!(f, "{file} (subgraph \"{}\")", self.subgraph),
            (None, Some(p)) => write!(
                f,
                "subgraph \"{}\", line {}, column {}",
                self.subgraph, p.line, p.column
            ),
            (None, None) => write!(f, "subgraph \"{}\"", self.subgraph),
        }
    }
}

/// One composition error: a stable code, a human message naming the schema element involved,
/// and the places in the subgraphs it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositionError {
    pub code: ErrorCode,
    pub message: String,
    /// Schema coordinate of the element at fault (`Product`, `Product.price`,
    /// `Query.product(id:)`), when there is one.
    pub element: Option<String>,
    pub locations: Vec<ErrorLocation>,
}

impl CompositionError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            element: None,
            locations: Vec::new(),
        }
    }

    pub(crate) fn element(mut self, coordinate: impl Into<String>) -> Self {
        self.element = Some(coordinate.into());
        self
    }

    pub(crate) fn at(mut self, location: ErrorLocation) -> Self {
        if !self.locations.contains(&location) {
            self.locations.push(location);
        }
        self
    }

    pub(crate) fn at_all(self, locations: impl IntoIterator<Item = ErrorLocation>) -> Self {
        locations.into_iter().fold(self, Self::at)
    }
}

impl fmt::Display for CompositionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)?;
        for location in &self.locations {
            write!(f, "\n  --> {location}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompositionError {}

/// Codes of composition hints: things that compose but deserve attention, spelled like Apollo
/// Federation's hint codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HintCode {
    /// `@override(from:)` names a subgraph that is not composed.
    FromSubgraphDoesNotExist,
    /// An `@override` has no effect any more and can be removed.
    OverrideDirectiveCanBeRemoved,
    /// A field is overridden by another subgraph and could be removed from this one.
    OverriddenFieldCanBeRemoved,
    /// A field is being moved by a progressive `@override` (with a label).
    OverrideMigrationInProgress,
    /// Information about `@composeDirective` (e.g. composing `@tag`, which is always composed).
    DirectiveCompositionInfo,
}

impl HintCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FromSubgraphDoesNotExist => "FROM_SUBGRAPH_DOES_NOT_EXIST",
            Self::OverrideDirectiveCanBeRemoved => "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
            Self::OverriddenFieldCanBeRemoved => "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
            Self::OverrideMigrationInProgress => "OVERRIDE_MIGRATION_IN_PROGRESS",
            Self::DirectiveCompositionInfo => "DIRECTIVE_COMPOSITION_INFO",
        }
    }
}

impl fmt::Display for HintCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A composition hint: the supergraph composed, but something looks unintended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositionHint {
    pub code: HintCode,
    pub message: String,
    pub element: Option<String>,
    pub locations: Vec<ErrorLocation>,
}

impl CompositionHint {
    pub(crate) fn new(code: HintCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            element: None,
            locations: Vec::new(),
        }
    }

    pub(crate) fn element(mut self, coordinate: impl Into<String>) -> Self {
        self.element = Some(coordinate.into());
        self
    }

    pub(crate) fn at(mut self, location: ErrorLocation) -> Self {
        if !self.locations.contains(&location) {
            self.locations.push(location);
        }
        self
    }
}

impl fmt::Display for CompositionHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hint[{}]: {}", self.code, self.message)?;
        for location in &self.locations {
            write!(f, "\n  --> {location}")?;
        }
        Ok(())
    }
}

/// `subgraph "a"`, `subgraphs "a" and "b"`, `subgraphs "a", "b" and "c"`.
pub(crate) fn subgraph_list<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|name| format!("\"{}\"", name.as_ref()))
        .collect();
    labelled_list(&quoted)
}

/// Like [`subgraph_list`], for subgraph labels that are already quoted (and may say more).
pub(crate) fn labelled_list(labels: &[String]) -> String {
    match labels {
        [] => "no subgraph".to_owned(),
        [one] => format!("subgraph {one}"),
        [init @ .., last] => format!("subgraphs {} and {last}", init.join(", ")),
    }
}
