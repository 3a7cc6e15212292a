//! The orders GraphQL schema (Federation v2): the `Order` entity, `User.orders` on the users' `User`
//! entity, the `Product` reference of order lines, `order(id)`, and the checkout, cancel and
//! shipping mutations; and how domain errors become GraphQL errors with `extensions.code`.

mod connection;
mod loader;
mod mutation;
mod query;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, ID, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ErrorCode;
use shopgraph_kit::error::internal;
use uuid::Uuid;

pub use connection::{OrderConnection, OrderEdge, PageInfo};
pub use loader::{HistoryByOrder, LinesByOrder, OrdersById};
pub use mutation::{CheckoutInput, Mutation, ShippingAddressInput};
pub use query::Query;
pub use types::{Order, OrderLine, OrderStatusChange, Payment, Product, ShippingAddress, User};

use crate::checkout::CheckoutError;
use crate::lifecycle::LifecycleError;
use crate::payment::{PaymentError, SharedPaymentProvider};
use crate::snapshot::{SnapshotError, Upstream};
use crate::store::StoreError;

/// The orders subgraph's schema.
pub type OrdersSchema = Schema<Query, Mutation, EmptySubscription>;

/// What a non-owner is told about an order, whether or not it exists.
const NOT_YOURS: &str = "you may only see and change your own orders";

/// The schema over `db`, fetching carts and prices through `upstream` and refunding through `payments`.
pub fn schema_builder(
    db: DatabaseConnection,
    upstream: Upstream,
    payments: SharedPaymentProvider,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .data(DataLoader::new(OrdersById::new(db.clone()), tokio::spawn))
        .data(DataLoader::new(LinesByOrder::new(db.clone()), tokio::spawn))
        .data(DataLoader::new(
            HistoryByOrder::new(db.clone()),
            tokio::spawn,
        ))
        .data(db)
        .data(upstream)
        .data(payments)
}

/// A client-supplied order id, which must be a UUID.
fn parse_order_id(id: &ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| {
        ErrorCode::BadUserInput.error(format!("`{}` is not a valid order id", id.as_str()))
    })
}

/// An error with the code `SERVICE_UNAVAILABLE`.
fn service_unavailable(message: String) -> async_graphql::Error {
    ErrorCode::ServiceUnavailable.error(message)
}

/// The GraphQL error a client sees for a failed checkout.
fn checkout_error(err: CheckoutError) -> async_graphql::Error {
    let message = err.to_string();
    match err {
        CheckoutError::InvalidIdempotencyKey
        | CheckoutError::InvalidPaymentToken
        | CheckoutError::Address(_) => ErrorCode::BadUserInput.error(message),
        CheckoutError::Snapshot(snapshot) => match snapshot {
            SnapshotError::EmptyCart | SnapshotError::Overflow => {
                ErrorCode::BadUserInput.error(message)
            }
            SnapshotError::UnavailableProducts(_) => ErrorCode::ProductUnavailable.error(message),
            SnapshotError::MixedCurrencies(..) => ErrorCode::Conflict.error(message),
            SnapshotError::Unavailable { .. } => service_unavailable(message),
            SnapshotError::Rejected { ref code, .. }
                if code.as_deref() == Some(ErrorCode::Unauthenticated.as_str()) =>
            {
                ErrorCode::Unauthenticated.error(message)
            }
            SnapshotError::Rejected { .. } | SnapshotError::BadResponse { .. } => {
                internal("checkout snapshot failed", snapshot)
            }
        },
        CheckoutError::Store(err) => internal("storing an order failed", err),
    }
}

/// The GraphQL error a client sees for a failed cancel or status change.
fn lifecycle_error(err: LifecycleError) -> async_graphql::Error {
    let message = err.to_string();
    match err {
        LifecycleError::NotFound(_) => ErrorCode::NotFound.error(message),
        LifecycleError::Illegal(_) | LifecycleError::Contended(_) => {
            ErrorCode::Conflict.error(message)
        }
        LifecycleError::Refund(PaymentError::Unavailable(_)) => service_unavailable(format!(
            "{message}; the order was not cancelled, try again later"
        )),
        LifecycleError::Refund(_) => internal("refunding an order failed", err),
        LifecycleError::Store(StoreError::Illegal(_)) => ErrorCode::Conflict.error(message),
        LifecycleError::Store(err) => internal("changing an order failed", err),
    }
}
