//! Comparing two API schemas: every difference becomes a [`Change`] with a stable code, the
//! schema coordinate it is about, its severity for clients and a message. Severity follows what
//! existing operations can do: removing or changing what they may use is breaking, tightening
//! inputs (a new required argument, a nullable argument made non-null) is breaking, loosening
//! outputs (a non-null field made nullable) is breaking; additions clients may not expect (an
//! enum value, a union member, an implemented interface) and changed defaults are dangerous;
//! the rest is safe.

use std::fmt;

use apollo_compiler::ast::{self, Type};
use apollo_compiler::schema::{ExtendedType, FieldDefinition, InputValueDefinition};
use apollo_compiler::{Node, Schema};
use serde::Serialize;

/// How much a change can affect existing clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Existing operations may stop working.
    Breaking,
    /// Existing operations keep working but may see something they do not expect.
    Dangerous,
    /// Nothing existing is affected.
    Safe,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaking => "breaking",
            Self::Dangerous => "dangerous",
            Self::Safe => "safe",
        }
    }
}

macro_rules! change_codes {
    ($($variant:ident => $code:literal,)*) => {
        /// The kind of a change, with a stable spelling used in change ids.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum ChangeCode {
            $($variant,)*
        }

        impl ChangeCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [ChangeCode] = &[$(ChangeCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ChangeCode::$variant => $code,)*
                }
            }
        }
    };
}

change_codes! {
    TypeRemoved => "TYPE_REMOVED",
    TypeAdded => "TYPE_ADDED",
    TypeKindChanged => "TYPE_KIND_CHANGED",
    TypeDescriptionChanged => "TYPE_DESCRIPTION_CHANGED",
    RootTypeChanged => "ROOT_TYPE_CHANGED",
    RootTypeRemoved => "ROOT_TYPE_REMOVED",
    RootTypeAdded => "ROOT_TYPE_ADDED",
    FieldRemoved => "FIELD_REMOVED",
    FieldAdded => "FIELD_ADDED",
    FieldTypeChanged => "FIELD_TYPE_CHANGED",
    FieldDescriptionChanged => "FIELD_DESCRIPTION_CHANGED",
    FieldDeprecated => "FIELD_DEPRECATED",
    FieldDeprecationRemoved => "FIELD_DEPRECATION_REMOVED",
    FieldDeprecationReasonChanged => "FIELD_DEPRECATION_REASON_CHANGED",
    ArgumentRemoved => "ARGUMENT_REMOVED",
    RequiredArgumentAdded => "REQUIRED_ARGUMENT_ADDED",
    OptionalArgumentAdded => "OPTIONAL_ARGUMENT_ADDED",
    ArgumentTypeChanged => "ARGUMENT_TYPE_CHANGED",
    ArgumentDefaultChanged => "ARGUMENT_DEFAULT_CHANGED",
    ArgumentDescriptionChanged => "ARGUMENT_DESCRIPTION_CHANGED",
    InputFieldRemoved => "INPUT_FIELD_REMOVED",
    RequiredInputFieldAdded => "REQUIRED_INPUT_FIELD_ADDED",
    OptionalInputFieldAdded => "OPTIONAL_INPUT_FIELD_ADDED",
    InputFieldTypeChanged => "INPUT_FIELD_TYPE_CHANGED",
    InputFieldDefaultChanged => "INPUT_FIELD_DEFAULT_CHANGED",
    InputFieldDescriptionChanged => "INPUT_FIELD_DESCRIPTION_CHANGED",
    EnumValueRemoved => "ENUM_VALUE_REMOVED",
    EnumValueAdded => "ENUM_VALUE_ADDED",
    EnumValueDeprecated => "ENUM_VALUE_DEPRECATED",
    EnumValueDeprecationRemoved => "ENUM_VALUE_DEPRECATION_REMOVED",
    EnumValueDescriptionChanged => "ENUM_VALUE_DESCRIPTION_CHANGED",
    UnionMemberRemoved => "UNION_MEMBER_REMOVED",
    UnionMemberAdded => "UNION_MEMBER_ADDED",
    ImplementedInterfaceRemoved => "IMPLEMENTED_INTERFACE_REMOVED",
    ImplementedInterfaceAdded => "IMPLEMENTED_INTERFACE_ADDED",
    ScalarSpecifiedByChanged => "SCALAR_SPECIFIED_BY_CHANGED",
    DirectiveRemoved => "DIRECTIVE_REMOVED",
    DirectiveAdded => "DIRECTIVE_ADDED",
    DirectiveLocationRemoved => "DIRECTIVE_LOCATION_REMOVED",
    DirectiveLocationAdded => "DIRECTIVE_LOCATION_ADDED",
    DirectiveRepeatableRemoved => "DIRECTIVE_REPEATABLE_REMOVED",
    DirectiveRepeatableAdded => "DIRECTIVE_REPEATABLE_ADDED",
    DirectiveArgumentRemoved => "DIRECTIVE_ARGUMENT_REMOVED",
    RequiredDirectiveArgumentAdded => "REQUIRED_DIRECTIVE_ARGUMENT_ADDED",
    OptionalDirectiveArgumentAdded => "OPTIONAL_DIRECTIVE_ARGUMENT_ADDED",
    DirectiveArgumentTypeChanged => "DIRECTIVE_ARGUMENT_TYPE_CHANGED",
    DirectiveArgumentDefaultChanged => "DIRECTIVE_ARGUMENT_DEFAULT_CHANGED",
}

impl fmt::Display for ChangeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ChangeCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One difference between the committed and the proposed API schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub code: ChangeCode,
    /// What changed: `Product`, `Product.price`, `Query.products(first:)`, `Role.ADMIN`,
    /// `SearchResult.Book` (a union member), `Book.Node` (an implemented interface), `@cache`.
    pub coordinate: String,
    pub severity: Severity,
    pub message: String,
}

impl Change {
    /// The stable id to refer to the change (e.g. with `schema check --accept`):
    /// `FIELD_REMOVED:Product.weight`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.code, self.coordinate)
    }
}

/// Every change from the `old` API schema to the `new` one, in a stable order (by coordinate,
/// then code).
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut differ = Differ {
        changes: Vec::new(),
    };
    differ.roots(old, new);
    for (name, old_type) in &old.types {
        if old_type.is_built_in() {
            continue;
        }
        match new.types.get(name) {
            None => differ.push(
                ChangeCode::TypeRemoved,
                name,
                Severity::Breaking,
                format!("{} \"{name}\" was removed.", kind(old_type)),
            ),
            Some(new_type) => differ.named_type(name, old_type, new_type),
        }
    }
    for (name, new_type) in &new.types {
        if !new_type.is_built_in() && !old.types.contains_key(name) {
            differ.push(
                ChangeCode::TypeAdded,
                name,
                Severity::Safe,
                format!("{} \"{name}\" was added.", kind(new_type)),
            );
        }
    }
    for (name, old_directive) in &old.directive_definitions {
        if old_directive.is_built_in() {
            continue;
        }
        let coordinate = format!("@{name}");
        match new.directive_definitions.get(name) {
            None => differ.push(
                ChangeCode::DirectiveRemoved,
                &coordinate,
                Severity::Breaking,
                format!("Directive \"{coordinate}\" was removed."),
            ),
            Some(new_directive) => differ.directive(&coordinate, old_directive, new_directive),
        }
    }
    for (name, new_directive) in &new.directive_definitions {
        if !new_directive.is_built_in() && !old.directive_definitions.contains_key(name) {
            differ.push(
                ChangeCode::DirectiveAdded,
                &format!("@{name}"),
                Severity::Safe,
                format!("Directive \"@{name}\" was added."),
            );
        }
    }
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        a.coordinate
            .cmp(&b.coordinate)
            .then_with(|| a.code.cmp(&b.code))
    });
    changes.dedup_by(|a, b| a.id() == b.id());
    changes
}

fn kind(ty: &ExtendedType) -> &'static str {
    match ty {
        ExtendedType::Scalar(_) => "Scalar type",
        ExtendedType::Object(_) => "Object type",
        ExtendedType::Interface(_) => "Interface type",
        ExtendedType::Union(_) => "Union type",
        ExtendedType::Enum(_) => "Enum type",
        ExtendedType::InputObject(_) => "Input object type",
    }
}

fn description(text: Option<&Node<str>>) -> Option<&str> {
    text.map(|d| d.as_ref())
}

/// `Some(reason)` when deprecated (`None` reason for the default one).
fn deprecation(directives: &ast::DirectiveList) -> Option<Option<String>> {
    directives.get("deprecated").map(|d| {
        d.specified_argument_by_name("reason")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    })
}

fn printed_default(value: Option<&Node<ast::Value>>) -> Option<String> {
    value.map(|v| crate::supergraph::print_value(v))
}

/// Whether a value of type `new` is always a valid value of type `old`: the same named type,
/// the same list structure, and non-null wherever `old` is non-null (outputs may get stricter).
fn output_compatible(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::NonNullNamed(_) | Type::NonNullList(_), Type::Named(_) | Type::List(_)) => false,
        (Type::NonNullNamed(a), Type::NonNullNamed(b)) | (Type::Named(a), Type::Named(b)) => a == b,
        (Type::Named(a), Type::NonNullNamed(b)) => a == b,
        (Type::NonNullList(a), Type::NonNullList(b))
        | (Type::List(a), Type::List(b))
        | (Type::List(a), Type::NonNullList(b)) => output_compatible(a, b),
        _ => false,
    }
}

/// Whether every value accepted for `old` is accepted for `new` (inputs may get looser).
fn input_compatible(old: &Type, new: &Type) -> bool {
    output_compatible(new, old)
}

struct Differ {
    changes: Vec<Change>,
}

impl Differ {
    fn push(&mut self, code: ChangeCode, coordinate: &str, severity: Severity, message: String) {
        self.changes.push(Change {
            code,
            coordinate: coordinate.to_owned(),
            severity,
            message,
        });
    }

    fn roots(&mut self, old: &Schema, new: &Schema) {
        for (operation, kind) in [
            ("query", ast::OperationType::Query),
            ("mutation", ast::OperationType::Mutation),
            ("subscription", ast::OperationType::Subscription),
        ] {
            let coordinate = format!("schema.{operation}");
            match (old.root_operation(kind), new.root_operation(kind)) {
                (Some(before), Some(after)) if before != after => self.push(
                    ChangeCode::RootTypeChanged,
                    &coordinate,
                    Severity::Breaking,
                    format!("The {operation} root type changed from \"{before}\" to \"{after}\"."),
                ),
                (Some(before), None) => self.push(
                    ChangeCode::RootTypeRemoved,
                    &coordinate,
                    Severity::Breaking,
                    format!("The {operation} root type \"{before}\" was removed from the schema."),
                ),
                (None, Some(after)) => self.push(
                    ChangeCode::RootTypeAdded,
                    &coordinate,
                    Severity::Safe,
                    format!("The schema has a {operation} root type now: \"{after}\"."),
                ),
                _ => {}
            }
        }
    }

    fn named_type(&mut self, name: &str, old: &ExtendedType, new: &ExtendedType) {
        if std::mem::discriminant(old) != std::mem::discriminant(new) {
            self.push(
                ChangeCode::TypeKindChanged,
                name,
                Severity::Breaking,
                format!(
                    "\"{name}\" changed from {} to {}.",
                    kind(old).to_lowercase(),
                    kind(new).to_lowercase()
                ),
            );
            return;
        }
        if description(old.description()) != description(new.description()) {
            self.push(
                ChangeCode::TypeDescriptionChanged,
                name,
                Severity::Safe,
                format!("The description of \"{name}\" changed."),
            );
        }
        match (old, new) {
            (ExtendedType::Object(a), ExtendedType::Object(b)) => {
                self.interfaces(name, &a.implements_interfaces, &b.implements_interfaces);
                self.fields(name, &a.fields, &b.fields);
            }
            (ExtendedType::Interface(a), ExtendedType::Interface(b)) => {
                self.interfaces(name, &a.implements_interfaces, &b.implements_interfaces);
                self.fields(name, &a.fields, &b.fields);
            }
            (ExtendedType::Union(a), ExtendedType::Union(b)) => {
                for member in &a.members {
                    if !b.members.contains(member) {
                        self.push(
                            ChangeCode::UnionMemberRemoved,
                            &format!("{name}.{}", member.name),
                            Severity::Breaking,
                            format!("\"{}\" was removed from union \"{name}\".", member.name),
                        );
                    }
                }
                for member in &b.members {
                    if !a.members.contains(member) {
                        self.push(
                            ChangeCode::UnionMemberAdded,
                            &format!("{name}.{}", member.name),
                            Severity::Dangerous,
                            format!(
                                "\"{}\" was added to union \"{name}\": clients may not expect it.",
                                member.name
                            ),
                        );
                    }
                }
            }
            (ExtendedType::Enum(a), ExtendedType::Enum(b)) => {
                for (value, definition) in &a.values {
                    let coordinate = format!("{name}.{value}");
                    let Some(after) = b.values.get(value) else {
                        self.push(
                            ChangeCode::EnumValueRemoved,
                            &coordinate,
                            Severity::Breaking,
                            format!("Enum value \"{coordinate}\" was removed."),
                        );
                        continue;
                    };
                    if description(definition.description.as_ref())
                        != description(after.description.as_ref())
                    {
                        self.push(
                            ChangeCode::EnumValueDescriptionChanged,
                            &coordinate,
                            Severity::Safe,
                            format!("The description of enum value \"{coordinate}\" changed."),
                        );
                    }
                    match (
                        deprecation(&definition.directives),
                        deprecation(&after.directives),
                    ) {
                        (None, Some(_)) => self.push(
                            ChangeCode::EnumValueDeprecated,
                            &coordinate,
                            Severity::Safe,
                            format!("Enum value \"{coordinate}\" was deprecated."),
                        ),
                        (Some(_), None) => self.push(
                            ChangeCode::EnumValueDeprecationRemoved,
                            &coordinate,
                            Severity::Safe,
                            format!("Enum value \"{coordinate}\" is no longer deprecated."),
                        ),
                        _ => {}
                    }
                }
                for value in b.values.keys() {
                    if !a.values.contains_key(value) {
                        self.push(
                            ChangeCode::EnumValueAdded,
                            &format!("{name}.{value}"),
                            Severity::Dangerous,
                            format!(
                                "Enum value \"{name}.{value}\" was added: clients may not expect it."
                            ),
                        );
                    }
                }
            }
            (ExtendedType::InputObject(a), ExtendedType::InputObject(b)) => {
                let before: Vec<&Node<InputValueDefinition>> =
                    a.fields.values().map(|f| &f.node).collect();
                let after: Vec<&Node<InputValueDefinition>> =
                    b.fields.values().map(|f| &f.node).collect();
                self.input_values(name, &before, &after, InputKind::InputField);
            }
            (ExtendedType::Scalar(a), ExtendedType::Scalar(b)) => {
                let url = |scalar: &apollo_compiler::schema::ScalarType| {
                    scalar
                        .directives
                        .get("specifiedBy")
                        .and_then(|d| d.specified_argument_by_name("url"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                };
                if url(a) != url(b) {
                    self.push(
                        ChangeCode::ScalarSpecifiedByChanged,
                        name,
                        Severity::Dangerous,
                        format!("The @specifiedBy URL of scalar \"{name}\" changed."),
                    );
                }
            }
            _ => {}
        }
    }

    fn interfaces(
        &mut self,
        name: &str,
        old: &apollo_compiler::collections::IndexSet<apollo_compiler::schema::ComponentName>,
        new: &apollo_compiler::collections::IndexSet<apollo_compiler::schema::ComponentName>,
    ) {
        for interface in old {
            if !new.contains(interface) {
                self.push(
                    ChangeCode::ImplementedInterfaceRemoved,
                    &format!("{name}.{}", interface.name),
                    Severity::Breaking,
                    format!(
                        "\"{name}\" no longer implements interface \"{}\".",
                        interface.name
                    ),
                );
            }
        }
        for interface in new {
            if !old.contains(interface) {
                self.push(
                    ChangeCode::ImplementedInterfaceAdded,
                    &format!("{name}.{}", interface.name),
                    Severity::Dangerous,
                    format!(
                        "\"{name}\" implements interface \"{}\" now: clients may get it where they expect that interface.",
                        interface.name
                    ),
                );
            }
        }
    }

    fn fields(
        &mut self,
        type_name: &str,
        old: &apollo_compiler::collections::IndexMap<
            apollo_compiler::Name,
            apollo_compiler::schema::Component<FieldDefinition>,
        >,
        new: &apollo_compiler::collections::IndexMap<
            apollo_compiler::Name,
            apollo_compiler::schema::Component<FieldDefinition>,
        >,
    ) {
        for (name, before) in old {
            let coordinate = format!("{type_name}.{name}");
            let Some(after) = new.get(name) else {
                self.push(
                    ChangeCode::FieldRemoved,
                    &coordinate,
                    Severity::Breaking,
                    format!("Field \"{coordinate}\" was removed."),
                );
                continue;
            };
            if before.ty != after.ty {
                let severity = if output_compatible(&before.ty, &after.ty) {
                    Severity::Safe
                } else {
                    Severity::Breaking
                };
                let why = if severity == Severity::Breaking
                    && before.ty.inner_named_type() == after.ty.inner_named_type()
                    && before.ty.is_non_null()
                    && !after.ty.is_non_null()
                {
                    ": it may be null now"
                } else {
                    ""
                };
                self.push(
                    ChangeCode::FieldTypeChanged,
                    &coordinate,
                    severity,
                    format!(
                        "Field \"{coordinate}\" changed type from \"{}\" to \"{}\"{why}.",
                        before.ty, after.ty
                    ),
                );
            }
            if description(before.description.as_ref()) != description(after.description.as_ref()) {
                self.push(
                    ChangeCode::FieldDescriptionChanged,
                    &coordinate,
                    Severity::Safe,
                    format!("The description of field \"{coordinate}\" changed."),
                );
            }
            match (
                deprecation(&before.directives),
                deprecation(&after.directives),
            ) {
                (None, Some(_)) => self.push(
                    ChangeCode::FieldDeprecated,
                    &coordinate,
                    Severity::Safe,
                    format!("Field \"{coordinate}\" was deprecated."),
                ),
                (Some(_), None) => self.push(
                    ChangeCode::FieldDeprecationRemoved,
                    &coordinate,
                    Severity::Safe,
                    format!("Field \"{coordinate}\" is no longer deprecated."),
                ),
                (Some(a), Some(b)) if a != b => self.push(
                    ChangeCode::FieldDeprecationReasonChanged,
                    &coordinate,
                    Severity::Safe,
                    format!("The deprecation reason of field \"{coordinate}\" changed."),
                ),
                _ => {}
            }
            let before_arguments: Vec<&Node<InputValueDefinition>> =
                before.arguments.iter().collect();
            let after_arguments: Vec<&Node<InputValueDefinition>> =
                after.arguments.iter().collect();
            self.input_values(
                &coordinate,
                &before_arguments,
                &after_arguments,
                InputKind::Argument,
            );
        }
        for name in new.keys() {
            if !old.contains_key(name) {
                let coordinate = format!("{type_name}.{name}");
                self.push(
                    ChangeCode::FieldAdded,
                    &coordinate,
                    Severity::Safe,
                    format!("Field \"{coordinate}\" was added."),
                );
            }
        }
    }

    fn input_values(
        &mut self,
        parent: &str,
        old: &[&Node<InputValueDefinition>],
        new: &[&Node<InputValueDefinition>],
        kind: InputKind,
    ) {
        let coordinate_of = |name: &str| match kind {
            InputKind::InputField => format!("{parent}.{name}"),
            InputKind::Argument | InputKind::DirectiveArgument => format!("{parent}({name}:)"),
        };
        let (what, removed, required_added, optional_added, type_changed, default_changed) =
            match kind {
                InputKind::Argument => (
                    "Argument",
                    ChangeCode::ArgumentRemoved,
                    ChangeCode::RequiredArgumentAdded,
                    ChangeCode::OptionalArgumentAdded,
                    ChangeCode::ArgumentTypeChanged,
                    ChangeCode::ArgumentDefaultChanged,
                ),
                InputKind::InputField => (
                    "Input field",
                    ChangeCode::InputFieldRemoved,
                    ChangeCode::RequiredInputFieldAdded,
                    ChangeCode::OptionalInputFieldAdded,
                    ChangeCode::InputFieldTypeChanged,
                    ChangeCode::InputFieldDefaultChanged,
                ),
                InputKind::DirectiveArgument => (
                    "Directive argument",
                    ChangeCode::DirectiveArgumentRemoved,
                    ChangeCode::RequiredDirectiveArgumentAdded,
                    ChangeCode::OptionalDirectiveArgumentAdded,
                    ChangeCode::DirectiveArgumentTypeChanged,
                    ChangeCode::DirectiveArgumentDefaultChanged,
                ),
            };
        for before in old {
            let coordinate = coordinate_of(&before.name);
            let Some(after) = new.iter().find(|a| a.name == before.name) else {
                self.push(
                    removed,
                    &coordinate,
                    Severity::Breaking,
                    format!("{what} \"{coordinate}\" was removed."),
                );
                continue;
            };
            if before.ty != after.ty {
                let severity = if input_compatible(&before.ty, &after.ty) {
                    Severity::Safe
                } else {
                    Severity::Breaking
                };
                let why = if severity == Severity::Breaking
                    && before.ty.inner_named_type() == after.ty.inner_named_type()
                    && !before.ty.is_non_null()
                    && after.ty.is_non_null()
                {
                    ": it is required now"
                } else {
                    ""
                };
                self.push(
                    type_changed,
                    &coordinate,
                    severity,
                    format!(
                        "{what} \"{coordinate}\" changed type from \"{}\" to \"{}\"{why}.",
                        before.ty, after.ty
                    ),
                );
            }
            let (old_default, new_default) = (
                printed_default(before.default_value.as_ref()),
                printed_default(after.default_value.as_ref()),
            );
            if old_default != new_default {
                let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".to_owned());
                self.push(
                    default_changed,
                    &coordinate,
                    Severity::Dangerous,
                    format!(
                        "The default value of {} \"{coordinate}\" changed from {} to {}.",
                        what.to_lowercase(),
                        show(&old_default),
                        show(&new_default)
                    ),
                );
            }
            if kind == InputKind::InputField
                && description(before.description.as_ref())
                    != description(after.description.as_ref())
            {
                self.push(
                    ChangeCode::InputFieldDescriptionChanged,
                    &coordinate,
                    Severity::Safe,
                    format!("The description of input field \"{coordinate}\" changed."),
                );
            }
            if kind == InputKind::Argument
                && description(before.description.as_ref())
                    != description(after.description.as_ref())
            {
                self.push(
                    ChangeCode::ArgumentDescriptionChanged,
                    &coordinate,
                    Severity::Safe,
                    format!("The description of argument \"{coordinate}\" changed."),
                );
            }
        }
        for after in new {
            if old.iter().any(|b| b.name == after.name) {
                continue;
            }
            let coordinate = coordinate_of(&after.name);
            if after.is_required() {
                self.push(
                    required_added,
                    &coordinate,
                    Severity::Breaking,
                    format!(
                        "Required {} \"{coordinate}\" of type \"{}\" was added.",
                        what.to_lowercase(),
                        after.ty
                    ),
                );
            } else {
                self.push(
                    optional_added,
                    &coordinate,
                    Severity::Safe,
                    format!(
                        "Optional {} \"{coordinate}\" was added.",
                        what.to_lowercase()
                    ),
                );
            }
        }
    }

    fn directive(
        &mut self,
        coordinate: &str,
        old: &ast::DirectiveDefinition,
        new: &ast::DirectiveDefinition,
    ) {
        for location in &old.locations {
            if !new.locations.contains(location) {
                self.push(
                    ChangeCode::DirectiveLocationRemoved,
                    &format!("{coordinate}.{}", location.name()),
                    Severity::Breaking,
                    format!(
                        "Directive \"{coordinate}\" can no longer be used on {}.",
                        location.name()
                    ),
                );
            }
        }
        for location in &new.locations {
            if !old.locations.contains(location) {
                self.push(
                    ChangeCode::DirectiveLocationAdded,
                    &format!("{coordinate}.{}", location.name()),
                    Severity::Safe,
                    format!(
                        "Directive \"{coordinate}\" can be used on {} now.",
                        location.name()
                    ),
                );
            }
        }
        match (old.repeatable, new.repeatable) {
            (true, false) => self.push(
                ChangeCode::DirectiveRepeatableRemoved,
                coordinate,
                Severity::Breaking,
                format!("Directive \"{coordinate}\" is no longer repeatable."),
            ),
            (false, true) => self.push(
                ChangeCode::DirectiveRepeatableAdded,
                coordinate,
                Severity::Safe,
                format!("Directive \"{coordinate}\" is repeatable now."),
            ),
            _ => {}
        }
        let before: Vec<&Node<InputValueDefinition>> = old.arguments.iter().collect();
        let after: Vec<&Node<InputValueDefinition>> = new.arguments.iter().collect();
        self.input_values(coordinate, &before, &after, InputKind::DirectiveArgument);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Argument,
    InputField,
    DirectiveArgument,
}
