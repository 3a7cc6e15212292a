//! Demand control: a static estimate of what an operation will cost before it runs, and the actual
//! cost of what it returned. Every object a field returns costs 1 and leaves cost 0, unless the
//! supergraph says otherwise with `@cost(weight:)` on the field or its type; a list multiplies the
//! cost of its items by its expected size — the value of a slicing argument (`first`, `last`,
//! `limit`, or `@listSize(slicingArguments:)`), `@listSize(assumedSize:)`, or a configured default.
//! A field with a slicing argument that returns a connection object passes the size to the list
//! fields of that object (`@listSize(sizedFields:)`, or all of them). Abstract selections cost as
//! much as their most expensive object type; each mutation root field adds 10. An argument given a
//! value adds its `@cost(weight:)` once to its field (not per list item), and so does every input
//! object field given a value inside it, at any depth.

use std::collections::HashMap;

use apollo_compiler::ast::{self, OperationType};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Schema};

use crate::config::CostConfig;
use crate::graphql_error::{GraphqlError, codes};
use crate::operation::{Field, FieldKind, FieldSet, NormalizedOperation, SubSelection};

/// What a mutation root field costs on top of its selection.
const MUTATION_FIELD_COST: f64 = 10.0;

/// `@listSize` of one field.
#[derive(Debug, Clone, Default)]
struct ListSize {
    assumed_size: Option<f64>,
    slicing_arguments: Vec<String>,
    sized_fields: Vec<String>,
}

/// The cost directives of a supergraph and the configured defaults.
#[derive(Debug, Default)]
pub struct CostModel {
    field_weights: HashMap<(Name, Name), f64>,
    type_weights: HashMap<Name, f64>,
    list_sizes: HashMap<(Name, Name), ListSize>,
    /// `@cost` of field arguments: (type, field, argument) → weight.
    argument_weights: HashMap<(Name, Name, Name), f64>,
    /// `@cost` of input object fields: (input type, field) → weight.
    input_field_weights: HashMap<(Name, Name), f64>,
    default_list_size: f64,
    slicing_arguments: Vec<String>,
}

/// An estimate, and whether it depends on variable values (otherwise it holds for every request
/// with the same plan).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub cost: f64,
    pub uses_variables: bool,
}

fn is_directive(name: &str, wanted: &str) -> bool {
    name == wanted
        || name
            .rsplit_once("__")
            .is_some_and(|(_, local)| local == wanted)
}

fn number(value: &ast::Value) -> Option<f64> {
    match value {
        ast::Value::Int(i) => i.as_str().parse().ok(),
        ast::Value::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}

fn strings(value: Option<&ast::Value>) -> Vec<String> {
    match value {
        Some(ast::Value::List(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(ast::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn weight(directives: &ast::DirectiveList) -> Option<f64> {
    directives
        .iter()
        .find(|d| is_directive(&d.name, "cost"))
        .and_then(|d| d.specified_argument_by_name("weight"))
        .and_then(|v| number(v).or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

impl CostModel {
    /// Reads `@cost` and `@listSize` from the supergraph schema (under any `@link` prefix).
    pub fn new(supergraph_schema: &Schema, config: &CostConfig) -> CostModel {
        let mut model = CostModel {
            default_list_size: f64::from(config.default_list_size),
            slicing_arguments: config.slicing_arguments.clone(),
            ..CostModel::default()
        };
        for (type_name, ty) in &supergraph_schema.types {
            let (fields, directives) = match ty {
                ExtendedType::Object(object) => (Some(&object.fields), &object.directives),
                ExtendedType::Interface(interface) => {
                    (Some(&interface.fields), &interface.directives)
                }
                ExtendedType::Scalar(scalar) => (None, &scalar.directives),
                ExtendedType::Enum(e) => (None, &e.directives),
                ExtendedType::InputObject(input) => {
                    for (field_name, field) in &input.fields {
                        if let Some(w) = weight(&field.directives) {
                            model
                                .input_field_weights
                                .insert((type_name.clone(), field_name.clone()), w);
                        }
                    }
                    continue;
                }
                ExtendedType::Union(_) => continue,
            };
            let type_directives: ast::DirectiveList =
                directives.iter().map(|d| d.node.clone()).collect();
            if let Some(w) = weight(&type_directives) {
                model.type_weights.insert(type_name.clone(), w);
            }
            for (field_name, field) in fields.into_iter().flatten() {
                let key = (type_name.clone(), field_name.clone());
                if let Some(w) = weight(&field.directives) {
                    model.field_weights.insert(key.clone(), w);
                }
                for argument in &field.arguments {
                    if let Some(w) = weight(&argument.directives) {
                        model.argument_weights.insert(
                            (type_name.clone(), field_name.clone(), argument.name.clone()),
                            w,
                        );
                    }
                }
                if let Some(list_size) = field
                    .directives
                    .iter()
                    .find(|d| is_directive(&d.name, "listSize"))
                {
                    model.list_sizes.insert(
                        key,
                        ListSize {
                            assumed_size: list_size
                                .specified_argument_by_name("assumedSize")
                                .and_then(|v| number(v)),
                            slicing_arguments: strings(
                                list_size
                                    .specified_argument_by_name("slicingArguments")
                                    .map(|v| &**v),
                            ),
                            sized_fields: strings(
                                list_size
                                    .specified_argument_by_name("sizedFields")
                                    .map(|v| &**v),
                            ),
                        },
                    );
                }
            }
        }
        model
    }

    /// The estimated cost of `operation` with these variable values.
    pub fn estimate(
        &self,
        api_schema: &Schema,
        operation: &NormalizedOperation,
        variables: &JsonMap,
    ) -> Estimate {
        let mut estimator = Estimator {
            model: self,
            schema: api_schema,
            variables,
            uses_variables: false,
        };
        let mut cost = estimator.set(&operation.root, None);
        if operation.kind == OperationType::Mutation {
            cost += MUTATION_FIELD_COST
                * operation
                    .root
                    .fields
                    .iter()
                    .filter(|f| f.kind == FieldKind::Regular)
                    .count() as f64;
        }
        Estimate {
            cost,
            uses_variables: estimator.uses_variables,
        }
    }
}

/// The refusal of an operation whose estimate is above `max_cost`.
pub fn too_expensive(estimate: f64, max_cost: f64) -> GraphqlError {
    let mut error = GraphqlError::new(
        format!("the operation's estimated cost {estimate} is above the maximum {max_cost}"),
        codes::COST_ESTIMATED_TOO_EXPENSIVE,
    );
    error
        .extensions
        .insert("cost".to_owned(), json_number(estimate));
    error
        .extensions
        .insert("maxCost".to_owned(), json_number(max_cost));
    error
}

fn json_number(value: f64) -> serde_json::Value {
    serde_json::Number::from_f64(value)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

struct Estimator<'a> {
    model: &'a CostModel,
    schema: &'a Schema,
    variables: &'a JsonMap,
    uses_variables: bool,
}

/// The size a connection-like parent passes to its list fields.
#[derive(Clone, Copy)]
struct SizedBy<'a> {
    size: f64,
    /// Only these fields (from `@listSize(sizedFields:)`); empty: every list field.
    fields: &'a [String],
}

impl<'a> Estimator<'a> {
    fn set(&mut self, set: &FieldSet, sized: Option<SizedBy<'_>>) -> f64 {
        let mut total = 0.0;
        for field in &set.fields {
            if field.kind != FieldKind::Regular {
                continue;
            }
            let size_from_parent = sized
                .filter(|s| {
                    s.fields.is_empty()
                        || s.fields.iter().any(|f| f.as_str() == field.name.as_str())
                })
                .map(|s| s.size);
            total += self.field(&set.type_name, field, size_from_parent);
        }
        total
    }

    fn field(&mut self, parent: &Name, field: &Field, size_from_parent: Option<f64>) -> f64 {
        let key = (parent.clone(), field.name.clone());
        let list_size = self.model.list_sizes.get(&key);
        let slicing = self.slicing_size(parent, field, list_size);
        let named = field.ty.inner_named_type();
        let base = self
            .model
            .field_weights
            .get(&key)
            .or_else(|| self.model.type_weights.get(named))
            .copied()
            .unwrap_or(if field.selection.is_some() { 1.0 } else { 0.0 });
        let is_list = field.ty.is_list();
        // A non-list field with a size (a connection) passes it to its list fields.
        let passes = if is_list { None } else { slicing };
        let empty: &[String] = &[];
        let sized_fields = list_size.map_or(empty, |l| l.sized_fields.as_slice());
        let children = match &field.selection {
            None => 0.0,
            Some(SubSelection::Concrete(set)) => self.set(
                set,
                passes.map(|size| SizedBy {
                    size,
                    fields: sized_fields,
                }),
            ),
            Some(SubSelection::Abstract(sets)) => {
                let mut most: f64 = 0.0;
                for set in sets {
                    let cost = self.set(
                        set,
                        passes.map(|size| SizedBy {
                            size,
                            fields: sized_fields,
                        }),
                    );
                    most = most.max(cost);
                }
                most
            }
        };
        let arguments = self.arguments_cost(parent, field);
        if is_list {
            let size = slicing
                .or(size_from_parent)
                .or_else(|| list_size.and_then(|l| l.assumed_size))
                .unwrap_or(self.model.default_list_size);
            arguments + size.max(0.0) * (base + children)
        } else {
            arguments + base + children
        }
    }

    /// What the arguments given to `field` weigh, their input object fields included.
    fn arguments_cost(&mut self, parent: &Name, field: &Field) -> f64 {
        if self.model.argument_weights.is_empty() && self.model.input_field_weights.is_empty() {
            return 0.0;
        }
        let Ok(definition) = self.schema.type_field(parent, &field.name) else {
            return 0.0;
        };
        let mut total = 0.0;
        for argument in &field.arguments {
            let Some(value) = self.resolve(Given::Literal(&argument.value)) else {
                continue;
            };
            let key = (parent.clone(), field.name.clone(), argument.name.clone());
            total += self
                .model
                .argument_weights
                .get(&key)
                .copied()
                .unwrap_or(0.0);
            if let Some(input) = definition.argument_by_name(&argument.name) {
                total += self.input_cost(input.ty.inner_named_type(), value);
            }
        }
        total
    }

    /// What the fields given inside an input value of type `type_name` weigh, at any depth.
    fn input_cost<'v>(&mut self, type_name: &Name, value: Given<'v>) -> f64
    where
        'a: 'v,
    {
        let Some(ExtendedType::InputObject(input)) = self.schema.types.get(type_name) else {
            return 0.0;
        };
        let mut total = 0.0;
        for (field_name, item) in value.entries() {
            let Some(item) = self.resolve(item) else {
                continue;
            };
            let Some(definition) = input.fields.get(field_name.as_str()) else {
                continue;
            };
            total += self
                .model
                .input_field_weights
                .get(&(type_name.clone(), definition.name.clone()))
                .copied()
                .unwrap_or(0.0);
            let nested = definition.ty.inner_named_type().clone();
            total += item
                .items()
                .into_iter()
                .map(|element| self.input_cost(&nested, element))
                .sum::<f64>();
        }
        total
    }

    /// The largest value of the field's slicing arguments (given, or their schema defaults).
    fn slicing_size(
        &mut self,
        parent: &Name,
        field: &Field,
        list_size: Option<&ListSize>,
    ) -> Option<f64> {
        let names = match list_size {
            Some(l) if !l.slicing_arguments.is_empty() => l.slicing_arguments.as_slice(),
            _ => self.model.slicing_arguments.as_slice(),
        };
        let mut size: Option<f64> = None;
        for name in names {
            let given = field.arguments.iter().find(|a| a.name == name.as_str());
            let value = match given {
                Some(argument) => self.argument_number(&argument.value),
                None => self.default_number(parent, &field.name, name),
            };
            if let Some(value) = value {
                size = Some(size.map_or(value, |s: f64| s.max(value)));
            }
        }
        size
    }

    /// The value itself with variables looked up; `None` when it is null or an unset variable.
    fn resolve<'v>(&mut self, value: Given<'v>) -> Option<Given<'v>>
    where
        'a: 'v,
    {
        let variables: &'v JsonMap = self.variables;
        match value {
            Given::Literal(ast::Value::Null) | Given::Json(JsonValue::Null) => None,
            Given::Literal(ast::Value::Variable(name)) => {
                self.uses_variables = true;
                match variables.get(name.as_str()) {
                    None | Some(JsonValue::Null) => None,
                    Some(json) => Some(Given::Json(json)),
                }
            }
            other => Some(other),
        }
    }

    fn argument_number(&mut self, value: &ast::Value) -> Option<f64> {
        match value {
            ast::Value::Variable(name) => {
                self.uses_variables = true;
                match self.variables.get(name.as_str()) {
                    Some(JsonValue::Number(n)) => n.as_f64(),
                    _ => None,
                }
            }
            other => number(other),
        }
    }

    fn default_number(&self, parent: &Name, field: &Name, argument: &str) -> Option<f64> {
        let definition = self.schema.type_field(parent, field).ok()?;
        let argument = definition.argument_by_name(argument)?;
        argument.default_value.as_deref().and_then(number)
    }
}

/// A value given in the operation: written in it, or a variable's JSON.
#[derive(Clone, Copy)]
enum Given<'v> {
    Literal(&'v ast::Value),
    Json(&'v JsonValue),
}

impl<'v> Given<'v> {
    /// The entries of an input object value (none for anything else).
    fn entries(self) -> Vec<(String, Given<'v>)> {
        match self {
            Given::Literal(ast::Value::Object(fields)) => fields
                .iter()
                .map(|(name, value)| (name.to_string(), Given::Literal(value)))
                .collect(),
            Given::Json(JsonValue::Object(fields)) => fields
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), Given::Json(value)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The elements of a list value, or the value itself.
    fn items(self) -> Vec<Given<'v>> {
        match self {
            Given::Literal(ast::Value::List(items)) => {
                items.iter().map(|item| Given::Literal(item)).collect()
            }
            Given::Json(JsonValue::Array(items)) => items.iter().map(Given::Json).collect(),
            other => vec![other],
        }
    }
}
