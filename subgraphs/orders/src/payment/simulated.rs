//! The built-in simulated payment provider, for development and tests. The payment token decides the
//! outcome:
//!
//! | token                    | outcome                                                                   |
//! |--------------------------|---------------------------------------------------------------------------|
//! | `tok_visa`               | the charge succeeds, with a `sim_ch_…` reference                          |
//! | `tok_decline`            | declined                                                                  |
//! | `tok_insufficient_funds` | insufficient funds                                                        |
//! | `tok_timeout`            | answers only after twice the payment timeout, with a timeout              |
//! | anything else            | the token is not valid                                                    |
//!
//! It is idempotent by order id: it keeps its own record in the orders database
//! (`simulated_payment_charges`, one row per order id, so a restart keeps it), and charging an order it
//! has seen before returns the recorded outcome — the same reference — without charging again; a refund
//! likewise happens once. [`SimulatedProvider::charges`] and [`SimulatedProvider::refunds`] count the
//! charges and refunds this instance (and its clones) actually carried out, which tests use to prove it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use shopgraph_kit::Money;
use uuid::Uuid;

use super::{Charge, PaymentError, PaymentProvider, Refund};
use crate::entity::simulated_charge;

/// The charge succeeds.
pub const TOKEN_SUCCESS: &str = "tok_visa";
/// The charge is declined.
pub const TOKEN_DECLINE: &str = "tok_decline";
/// The charge fails for insufficient funds.
pub const TOKEN_INSUFFICIENT_FUNDS: &str = "tok_insufficient_funds";
/// The provider does not answer within the payment timeout.
pub const TOKEN_TIMEOUT: &str = "tok_timeout";

/// How long a `tok_timeout` charge takes with the payment timeout `timeout`: twice as long, so the
/// caller's deadline always passes first.
pub fn hang_for(timeout: Duration) -> Duration {
    timeout.saturating_mul(2)
}

/// What the provider decided for an order, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Declined,
    InsufficientFunds,
    TimedOut,
    InvalidToken,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Succeeded,
        Outcome::Declined,
        Outcome::InsufficientFunds,
        Outcome::TimedOut,
        Outcome::InvalidToken,
    ];

    fn for_token(token: &str) -> Outcome {
        match token {
            TOKEN_SUCCESS => Outcome::Succeeded,
            TOKEN_DECLINE => Outcome::Declined,
            TOKEN_INSUFFICIENT_FUNDS => Outcome::InsufficientFunds,
            TOKEN_TIMEOUT => Outcome::TimedOut,
            _ => Outcome::InvalidToken,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "SUCCEEDED",
            Outcome::Declined => "DECLINED",
            Outcome::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Outcome::TimedOut => "TIMED_OUT",
            Outcome::InvalidToken => "INVALID_TOKEN",
        }
    }

    fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The error a refused charge reports.
    fn error(self) -> Option<PaymentError> {
        match self {
            Outcome::Succeeded => None,
            Outcome::Declined => Some(PaymentError::Declined),
            Outcome::InsufficientFunds => Some(PaymentError::InsufficientFunds),
            Outcome::TimedOut => Some(PaymentError::Timeout),
            Outcome::InvalidToken => Some(PaymentError::InvalidToken),
        }
    }
}

/// The simulated provider over the orders database. Clones share the counters.
#[derive(Debug, Clone)]
pub struct SimulatedProvider {
    db: DatabaseConnection,
    /// How long a `tok_timeout` charge takes.
    hang: Duration,
    charges: Arc<AtomicU64>,
    refunds: Arc<AtomicU64>,
}

impl SimulatedProvider {
    /// A provider recording in `db` whose `tok_timeout` charges answer after `hang`.
    pub fn new(db: DatabaseConnection, hang: Duration) -> SimulatedProvider {
        SimulatedProvider {
            db,
            hang,
            charges: Arc::new(AtomicU64::new(0)),
            refunds: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many charges this provider carried out (successful charges, not replays of recorded ones).
    pub fn charges(&self) -> u64 {
        self.charges.load(Ordering::SeqCst)
    }

    /// How many refunds this provider carried out (not replays).
    pub fn refunds(&self) -> u64 {
        self.refunds.load(Ordering::SeqCst)
    }

    async fn record_of(
        &self,
        order_id: Uuid,
    ) -> Result<Option<simulated_charge::Model>, PaymentError> {
        simulated_charge::Entity::find_by_id(order_id)
            .one(&self.db)
            .await
            .map_err(unavailable)
    }
}

/// The outcome a record says, replayed.
fn replay(record: &simulated_charge::Model) -> Result<Charge, PaymentError> {
    let outcome = Outcome::parse(&record.outcome).ok_or_else(|| {
        PaymentError::Unavailable(format!(
            "unknown recorded outcome `{}` for order {}",
            record.outcome, record.order_id
        ))
    })?;
    match (outcome.error(), &record.reference) {
        (Some(err), _) => Err(err),
        (None, Some(reference)) => Ok(Charge {
            reference: reference.clone(),
        }),
        (None, None) => Err(PaymentError::Unavailable(format!(
            "recorded charge of order {} has no reference",
            record.order_id
        ))),
    }
}

fn unavailable(err: DbErr) -> PaymentError {
    PaymentError::Unavailable(format!("simulated provider records: {err}"))
}

#[async_trait]
impl PaymentProvider for SimulatedProvider {
    async fn charge(
        &self,
        order_id: Uuid,
        amount: &Money,
        token: &str,
    ) -> Result<Charge, PaymentError> {
        if let Some(record) = self.record_of(order_id).await? {
            return replay(&record);
        }
        let outcome = Outcome::for_token(token);
        let reference =
            (outcome == Outcome::Succeeded).then(|| format!("sim_ch_{}", Uuid::now_v7().simple()));
        let inserted = simulated_charge::Entity::insert(simulated_charge::ActiveModel {
            order_id: Set(order_id),
            amount: Set(amount.amount),
            currency: Set(amount.currency.clone()),
            outcome: Set(outcome.as_str().to_owned()),
            reference: Set(reference.clone()),
            created_at: Set(Utc::now()),
            refund_reference: Set(None),
            refunded_at: Set(None),
        })
        .on_conflict(
            OnConflict::column(simulated_charge::Column::OrderId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(unavailable)?;
        if inserted == 0 {
            // A concurrent charge of the same order recorded first: its outcome stands.
            let record = self.record_of(order_id).await?.ok_or_else(|| {
                PaymentError::Unavailable(format!("the charge record of order {order_id} vanished"))
            })?;
            return replay(&record);
        }
        match (outcome, reference) {
            (Outcome::Succeeded, Some(reference)) => {
                self.charges.fetch_add(1, Ordering::SeqCst);
                tracing::info!(%order_id, amount = amount.amount, currency = %amount.currency, %reference, "simulated charge");
                Ok(Charge { reference })
            }
            (Outcome::TimedOut, _) => {
                tokio::time::sleep(self.hang).await;
                Err(PaymentError::Timeout)
            }
            (outcome, _) => Err(outcome.error().unwrap_or(PaymentError::Declined)),
        }
    }

    async fn refund(&self, order_id: Uuid, reference: &str) -> Result<Refund, PaymentError> {
        let unknown = || PaymentError::UnknownCharge {
            order_id,
            reference: reference.to_owned(),
        };
        let record = self.record_of(order_id).await?.ok_or_else(unknown)?;
        if record.outcome != Outcome::Succeeded.as_str()
            || record.reference.as_deref() != Some(reference)
        {
            return Err(unknown());
        }
        if let Some(refund_reference) = record.refund_reference {
            return Ok(Refund {
                reference: refund_reference,
            });
        }
        let refund_reference = format!("sim_re_{}", Uuid::now_v7().simple());
        let updated = simulated_charge::Entity::update_many()
            .col_expr(
                simulated_charge::Column::RefundReference,
                Expr::value(refund_reference.clone()),
            )
            .col_expr(
                simulated_charge::Column::RefundedAt,
                Expr::value(Utc::now()),
            )
            .filter(simulated_charge::Column::OrderId.eq(order_id))
            .filter(simulated_charge::Column::RefundReference.is_null())
            .exec(&self.db)
            .await
            .map_err(unavailable)?;
        if updated.rows_affected == 1 {
            self.refunds.fetch_add(1, Ordering::SeqCst);
            tracing::info!(%order_id, charge = reference, refund = %refund_reference, "simulated refund");
            return Ok(Refund {
                reference: refund_reference,
            });
        }
        // A concurrent refund won: report it.
        self.record_of(order_id)
            .await?
            .and_then(|record| record.refund_reference)
            .map(|reference| Refund { reference })
            .ok_or_else(unknown)
    }

    fn name(&self) -> &'static str {
        "simulated"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_to_their_documented_outcomes() {
        assert_eq!(Outcome::for_token(TOKEN_SUCCESS).error(), None);
        assert_eq!(
            Outcome::for_token(TOKEN_DECLINE).error(),
            Some(PaymentError::Declined)
        );
        assert_eq!(
            Outcome::for_token(TOKEN_INSUFFICIENT_FUNDS).error(),
            Some(PaymentError::InsufficientFunds)
        );
        assert_eq!(
            Outcome::for_token(TOKEN_TIMEOUT).error(),
            Some(PaymentError::Timeout)
        );
        assert_eq!(
            Outcome::for_token("4242 4242 4242 4242").error(),
            Some(PaymentError::InvalidToken)
        );
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(
            hang_for(Duration::from_millis(300)),
            Duration::from_millis(600)
        );
    }
}
