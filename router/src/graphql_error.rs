//! GraphQL errors as the router reports them: message, locations in the client's document, the path in
//! the client's response, and `extensions` with a machine-readable `code` (plus `serviceName` when a
//! subgraph is involved).

use serde::{Deserialize, Serialize};

/// Codes the router itself puts in `extensions.code`.
pub mod codes {
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const OPERATION_NOT_FOUND: &str = "OPERATION_RESOLUTION_FAILURE";
    pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";
    pub const SUBREQUEST_HTTP_ERROR: &str = "SUBREQUEST_HTTP_ERROR";
    pub const SUBREQUEST_MALFORMED_RESPONSE: &str = "SUBREQUEST_MALFORMED_RESPONSE";
    pub const SUBREQUEST_TIMEOUT: &str = "SUBREQUEST_TIMEOUT";
    pub const INVALID_RESPONSE_VALUE: &str = "INVALID_RESPONSE_VALUE";
    pub const NON_NULL_VIOLATION: &str = "NON_NULL_VIOLATION";
    /// An object that an entity fetch should have sent could not be (incomplete representation,
    /// no `__typename`, or a type no input matches).
    pub const ENTITY_REPRESENTATION_INVALID: &str = "ENTITY_REPRESENTATION_INVALID";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    pub const MAX_SELECTIONS_EXCEEDED: &str = "MAX_SELECTIONS_EXCEEDED";
    pub const MAX_DEPTH_EXCEEDED: &str = "MAX_DEPTH_EXCEEDED";
    pub const MAX_ALIASES_EXCEEDED: &str = "MAX_ALIASES_EXCEEDED";
    pub const MAX_ROOT_FIELDS_EXCEEDED: &str = "MAX_ROOT_FIELDS_EXCEEDED";
    pub const MAX_DIRECTIVES_EXCEEDED: &str = "MAX_DIRECTIVES_EXCEEDED";
    pub const MAX_TOKENS_EXCEEDED: &str = "MAX_TOKENS_EXCEEDED";
    pub const MAX_INTROSPECTION_DEPTH_EXCEEDED: &str = "MAX_INTROSPECTION_DEPTH_EXCEEDED";
    pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";
    pub const COST_ESTIMATED_TOO_EXPENSIVE: &str = "COST_ESTIMATED_TOO_EXPENSIVE";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const SERVICE_OVERLOADED: &str = "SERVICE_OVERLOADED";
    pub const REQUEST_TIMEOUT: &str = "GATEWAY_TIMEOUT";
    pub const RESPONSE_TOO_LARGE: &str = "RESPONSE_TOO_LARGE";
    pub const CSRF_PREVENTED: &str = "CSRF_PREVENTION";
    pub const SHUTTING_DOWN: &str = "SHUTTING_DOWN";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One step of a response path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    Index(usize),
    Key(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl GraphqlError {
    pub fn new(message: impl Into<String>, code: &str) -> GraphqlError {
        let mut extensions = serde_json::Map::new();
        extensions.insert("code".to_owned(), code.into());
        GraphqlError {
            message: message.into(),
            locations: Vec::new(),
            path: None,
            extensions,
        }
    }

    pub fn with_path(mut self, path: Vec<PathSegment>) -> GraphqlError {
        self.path = Some(path);
        self
    }

    pub fn with_location(mut self, line: usize, column: usize) -> GraphqlError {
        self.locations.push(Location { line, column });
        self
    }

    pub fn with_service(mut self, service: &str) -> GraphqlError {
        self.extensions
            .insert("serviceName".to_owned(), service.into());
        self
    }

    pub fn code(&self) -> Option<&str> {
        self.extensions.get("code").and_then(|c| c.as_str())
    }
}
