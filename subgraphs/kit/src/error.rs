//! The error codes every subgraph puts in `extensions.code`, and the start-up error of a service.

use std::fmt::Display;

use async_graphql::ErrorExtensions;

/// Machine-readable error codes, shared by all subgraphs so clients see one vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The input is malformed or breaks a rule (too short, not positive, unknown enum…).
    BadUserInput,
    /// The operation needs a valid token and there is none, or it is invalid or expired.
    Unauthenticated,
    /// The caller is known but not allowed to do this.
    Forbidden,
    /// The referenced object does not exist (or is not visible to the caller).
    NotFound,
    /// Registration with an email address that already has an account.
    EmailTaken,
    /// Login failed; deliberately the same for an unknown email and a wrong password.
    InvalidCredentials,
    /// The request conflicts with the current state (for example a unique SKU).
    Conflict,
    /// Something failed on our side; details are logged, not returned.
    InternalServerError,
    /// Too many attempts from this client or for this account; `extensions.retryAfter` says how many
    /// seconds to wait.
    RateLimited,
    /// More `login`/`register` fields in one operation than allowed (one).
    TooManyCredentialFields,
    /// The request body is larger than the service accepts (HTTP 413).
    PayloadTooLarge,
    /// The operation nests fields deeper than the service accepts.
    QueryTooDeep,
    /// The operation selects more (after expanding fragments) than the service accepts.
    QueryTooComplex,
    /// The request did not come through the router: the router secret is missing (HTTP 401) or wrong
    /// (HTTP 403).
    UntrustedCaller,
    /// A product that exists but is off sale (archived), or a cart holding such or unknown products.
    ProductUnavailable,
    /// Another service this one needs could not be reached or did not answer in time.
    ServiceUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::EmailTaken => "EMAIL_TAKEN",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::TooManyCredentialFields => "TOO_MANY_CREDENTIAL_FIELDS",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::QueryTooDeep => "QUERY_TOO_DEEP",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::UntrustedCaller => "UNTRUSTED_CALLER",
            ErrorCode::ProductUnavailable => "PRODUCT_UNAVAILABLE",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }

    /// A GraphQL error with this code in `extensions.code`.
    pub fn error(self, message: impl Into<String>) -> async_graphql::Error {
        let code = self.as_str();
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }

    /// The same as a request-level error (from an extension, before any field runs): no location.
    pub fn server_error(self, message: impl Into<String>) -> async_graphql::ServerError {
        let mut error = async_graphql::ServerError::new(message, None);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", self.as_str());
        error.extensions = Some(extensions);
        error
    }
}

/// Logs an unexpected failure and returns an `INTERNAL_SERVER_ERROR` that reveals nothing about it.
pub fn internal(context: &str, err: impl Display) -> async_graphql::Error {
    tracing::error!(error = %err, "{context}");
    ErrorCode::InternalServerError.error("internal error")
}

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot connect to database {url}: {source}")]
    Connect { url: String, source: sea_orm::DbErr },
    #[error("database migration failed: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("database set-up failed: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}
