//! The GraphQL face of the notifications subgraph: a Federation v2 subgraph that contributes
//! `notifications` to the `User` entity and the `markNotificationRead` mutation, and how inbox errors
//! become GraphQL errors with `extensions.code`.

mod connection;
mod mutation;
mod notification;
mod query;
mod user;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ErrorCode;
use shopgraph_kit::error::internal;

pub use connection::{NotificationConnection, NotificationEdge, PageInfo};
pub use mutation::Mutation;
pub use notification::Notification;
pub use query::Query;
pub use user::User;

use crate::inbox::InboxError;

/// The notifications subgraph's schema.
pub type NotificationsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema over `db`.
pub fn schema_builder(db: DatabaseConnection) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .data(db)
}

/// The GraphQL error a client sees for `err`.
fn inbox_error(err: InboxError) -> async_graphql::Error {
    let message = err.to_string();
    match err {
        InboxError::InvalidPageSize | InboxError::InvalidCursor => {
            ErrorCode::BadUserInput.error(message)
        }
        InboxError::NotFound(_) => ErrorCode::NotFound.error(message),
        InboxError::Database(err) => internal("notifications database operation failed", err),
    }
}
