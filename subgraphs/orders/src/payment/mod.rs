//! Taking and giving back money: the [`PaymentProvider`] trait orders charges and refunds through —
//! idempotent by order id, so asking twice never charges twice — its outcomes ([`Charge`], [`Refund`],
//! [`PaymentError`]), the charge-with-deadline helper every caller uses, and the choice of provider from
//! the configuration. The built-in provider is [`simulated::SimulatedProvider`].

pub mod simulated;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use shopgraph_kit::Money;
use uuid::Uuid;

use crate::config::{PaymentConfig, PaymentProviderKind};

pub use simulated::SimulatedProvider;

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The provider's reference of the charge.
    pub reference: String,
}

/// A successful refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The provider's reference of the refund.
    pub reference: String,
}

/// Why a charge or refund did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("payment declined")]
    Declined,
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error("payment timed out")]
    Timeout,
    #[error("payment token is not valid")]
    InvalidToken,
    /// A refund of a charge the provider does not know (or that did not succeed).
    #[error("no successful charge {reference} for order {order_id}")]
    UnknownCharge { order_id: Uuid, reference: String },
    /// The provider could not be asked (it is down, or its records are unreadable); worth retrying.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

impl PaymentError {
    /// Whether the order's payment has definitely failed, so the order fails; otherwise the charge is
    /// tried again later.
    pub fn fails_the_order(&self) -> bool {
        !matches!(self, PaymentError::Unavailable(_))
    }
}

/// A payment service. Both operations are idempotent by order id: charging an order that was charged
/// before returns the first outcome (the same reference, or the same refusal) without charging again, and
/// refunding a refunded charge returns the first refund.
#[async_trait]
pub trait PaymentProvider: Send + Sync + fmt::Debug {
    /// Charges `amount` to the payment method behind `token` for `order_id`.
    async fn charge(
        &self,
        order_id: Uuid,
        amount: &Money,
        token: &str,
    ) -> Result<Charge, PaymentError>;

    /// Pays back the charge `reference` of `order_id`.
    async fn refund(&self, order_id: Uuid, reference: &str) -> Result<Refund, PaymentError>;

    /// The provider's name, for logs.
    fn name(&self) -> &'static str;
}

/// The payment provider a service shares between its API and its background work.
pub type SharedPaymentProvider = Arc<dyn PaymentProvider>;

/// The provider `config` names, over the orders database `db` (where the simulated provider keeps its
/// records).
pub fn provider_from_config(
    db: DatabaseConnection,
    config: &PaymentConfig,
) -> SharedPaymentProvider {
    match config.provider {
        PaymentProviderKind::Simulated => Arc::new(SimulatedProvider::new(
            db,
            simulated::hang_for(config.timeout),
        )),
    }
}

/// `provider.charge(…)`, given up as [`PaymentError::Timeout`] when it takes longer than `timeout`.
pub async fn charge_within(
    provider: &dyn PaymentProvider,
    timeout: Duration,
    order_id: Uuid,
    amount: &Money,
    token: &str,
) -> Result<Charge, PaymentError> {
    match tokio::time::timeout(timeout, provider.charge(order_id, amount, token)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(PaymentError::Timeout),
    }
}
