//! Checkout: turning the caller's cart into a PENDING order. The request is checked (idempotency key,
//! payment token, shipping address); an order the user already placed with the same idempotency key is
//! returned as it is, whatever the cart holds now; otherwise the cart and current prices are snapshotted
//! from carts and products and the order is stored with its `OrderPlaced` event in one transaction, where
//! the unique (user, key) index makes a concurrent duplicate return the first order. Nothing is charged
//! here: the saga charges once the stock is reserved.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::address::{AddressError, RawAddress};
use crate::snapshot::{SnapshotError, Upstream};
use crate::store::{self, NewOrder, Placed, StoreError};

/// Most characters of an idempotency key.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
/// Most characters of a payment token.
pub const MAX_PAYMENT_TOKEN_CHARS: usize = 200;

/// A checkout as the caller asked for it.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub user_id: Uuid,
    /// The caller's `Authorization` header, forwarded to carts (and products).
    pub authorization: Option<String>,
    /// Trace context of the request, carried on by `OrderPlaced`.
    pub traceparent: Option<String>,
    pub idempotency_key: String,
    pub payment_token: String,
    pub address: RawAddress,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error(
        "idempotencyKey must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters, not only spaces, without control characters"
    )]
    InvalidIdempotencyKey,
    #[error(
        "paymentToken must be 1 to {MAX_PAYMENT_TOKEN_CHARS} characters without spaces or control characters"
    )]
    InvalidPaymentToken,
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for CheckoutError {
    fn from(err: sea_orm::DbErr) -> CheckoutError {
        CheckoutError::Store(StoreError::Database(err))
    }
}

/// Places the order `request` asks for, or returns the one placed before with its idempotency key.
pub async fn checkout(
    db: &DatabaseConnection,
    upstream: &Upstream,
    request: CheckoutRequest,
) -> Result<Placed, CheckoutError> {
    let key = &request.idempotency_key;
    let key_chars = key.chars().count();
    if key.trim().is_empty()
        || key_chars > MAX_IDEMPOTENCY_KEY_CHARS
        || key.chars().any(char::is_control)
    {
        return Err(CheckoutError::InvalidIdempotencyKey);
    }
    let token = request.payment_token.trim();
    if token.is_empty()
        || token.chars().count() > MAX_PAYMENT_TOKEN_CHARS
        || token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CheckoutError::InvalidPaymentToken);
    }
    let address = request.address.check()?;
    if let Some(existing) =
        store::find_by_idempotency_key(db, request.user_id, &request.idempotency_key).await?
    {
        return Ok(Placed::Existing(existing));
    }
    let snapshot = upstream
        .snapshot(request.user_id, request.authorization.as_deref())
        .await?;
    let new = NewOrder {
        user_id: request.user_id,
        idempotency_key: request.idempotency_key,
        payment_token: token.to_owned(),
        address,
        snapshot,
        traceparent: request.traceparent,
    };
    Ok(store::place(db, new).await?)
}
