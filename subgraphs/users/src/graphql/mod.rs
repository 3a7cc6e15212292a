//! The GraphQL face of the users subgraph: the schema (a Federation v2 subgraph whose `User` entity is
//! keyed by `id`) and how account errors become GraphQL errors with `extensions.code`.

mod mutation;
mod query;
mod user;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use shopgraph_kit::error::internal;
use shopgraph_kit::{CredentialLimits, ErrorCode, JwtKeys};

pub use mutation::{AuthPayload, Mutation, RegisterInput, UpdateProfileInput};
pub use query::Query;
pub use user::{User, UserLoader};

use crate::account::AccountError;
use crate::credential_guard::{CredentialFieldLimit, CredentialGuard};

/// The users subgraph's schema.
pub type UsersSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema over `db`, issuing tokens signed with `keys`, holding sign-in and registration attempts to
/// `limits` and to one per operation.
pub fn schema_builder(
    db: DatabaseConnection,
    keys: JwtKeys,
    limits: &CredentialLimits,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .extension(CredentialFieldLimit)
        .data(CredentialGuard::new(limits))
        .data(DataLoader::new(UserLoader::new(db.clone()), tokio::spawn))
        .data(db)
        .data(keys)
}

/// The GraphQL error a client sees for `err`; failures on our side are logged and reported generically.
fn account_error(err: AccountError) -> async_graphql::Error {
    let message = err.to_string();
    match err {
        AccountError::InvalidEmail
        | AccountError::PasswordTooShort
        | AccountError::PasswordTooLong
        | AccountError::InvalidName
        | AccountError::CurrentPasswordRequired => ErrorCode::BadUserInput.error(message),
        AccountError::EmailTaken => ErrorCode::EmailTaken.error(message),
        AccountError::InvalidCredentials | AccountError::WrongCurrentPassword => {
            ErrorCode::InvalidCredentials.error(message)
        }
        AccountError::NotFound(_) => {
            ErrorCode::Unauthenticated.error("the signed-in account no longer exists")
        }
        AccountError::UnknownRole { .. }
        | AccountError::Database(_)
        | AccountError::Password(_) => internal("account operation failed", err),
    }
}
