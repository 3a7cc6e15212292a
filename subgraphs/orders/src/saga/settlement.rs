//! The payment worker: charges every PAYMENT_PENDING order through the payment provider (with the
//! configured deadline; a charge that misses it is a timeout), outside any database transaction, then
//! records the outcome and the transition in one: CONFIRMED with the payment reference and
//! `OrderConfirmed`, or FAILED with the reason and `OrderFailed`. A provider that cannot be reached
//! leaves the order PAYMENT_PENDING for the next pass. If the order left PAYMENT_PENDING while it was
//! being charged (cancelled, or its reservation expired) a successful charge is recorded on it and
//! refunded; such stray charges are retried on every pass until the refund succeeds. It looks when the
//! saga handler pokes it and every `poll_interval` otherwise.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use shopgraph_events::{Money as EventMoney, OrderConfirmed, OrderFailed, Shutdown, outbox};
use shopgraph_kit::Money;
use tokio::sync::Notify;

use crate::entity::order;
use crate::payment::{self, Charge, PaymentError, SharedPaymentProvider};
use crate::status::OrderStatus;
use crate::store::{self, PaymentChange, StoreError};

/// Settings of the payment worker.
#[derive(Debug, Clone)]
pub struct SettlementOptions {
    /// Longest wait for one charge.
    pub charge_timeout: Duration,
    /// How often to look for PAYMENT_PENDING orders when not poked.
    pub poll_interval: Duration,
    /// Orders read per pass.
    pub batch_size: u64,
    /// Charges in flight at once.
    pub concurrency: usize,
}

impl SettlementOptions {
    /// Defaults with the configured charge deadline.
    pub fn new(charge_timeout: Duration) -> SettlementOptions {
        SettlementOptions {
            charge_timeout,
            poll_interval: Duration::from_millis(250),
            batch_size: 32,
            concurrency: 8,
        }
    }
}

/// What became of one PAYMENT_PENDING order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Confirmed {
        reference: String,
    },
    Failed {
        reason: String,
    },
    /// The provider could not be asked; the order stays PAYMENT_PENDING.
    Deferred {
        error: String,
    },
    /// The order was no longer PAYMENT_PENDING when the outcome came back.
    Superseded {
        refunded: bool,
    },
}

/// Charges PAYMENT_PENDING orders.
pub struct PaymentSettlement {
    db: DatabaseConnection,
    payments: SharedPaymentProvider,
    options: SettlementOptions,
    due: Arc<Notify>,
}

impl PaymentSettlement {
    /// A worker over `db` charging through `payments`, woken early by `due`.
    pub fn new(
        db: DatabaseConnection,
        payments: SharedPaymentProvider,
        options: SettlementOptions,
        due: Arc<Notify>,
    ) -> PaymentSettlement {
        PaymentSettlement {
            db,
            payments,
            options,
            due,
        }
    }

    /// Settles until `shutdown` fires.
    pub async fn run(self, shutdown: Shutdown) {
        tracing::info!(provider = self.payments.name(), "payment worker started");
        while !shutdown.is_triggered() {
            if let Err(err) = self.settle_pending().await {
                tracing::warn!(error = %err, "payment worker pass failed; retrying");
            }
            if let Err(err) = self.refund_strays().await {
                tracing::warn!(error = %err, "refunding stray charges failed; retrying");
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = self.due.notified() => {}
                () = tokio::time::sleep(self.options.poll_interval) => {}
            }
        }
        tracing::info!("payment worker stopped");
    }

    /// One pass: settles up to a batch of PAYMENT_PENDING orders; returns what became of each.
    pub async fn settle_pending(&self) -> Result<Vec<Settled>, DbErr> {
        let orders = store::in_status(
            &self.db,
            OrderStatus::PaymentPending,
            self.options.batch_size,
        )
        .await?;
        let outcomes: Vec<Settled> = futures::stream::iter(orders)
            .map(|order| async move {
                let id = order.id;
                match self.settle(order).await {
                    Ok(settled) => Some(settled),
                    Err(err) => {
                        tracing::warn!(order_id = %id, error = %err, "cannot record a payment outcome; will retry");
                        None
                    }
                }
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .filter_map(std::future::ready)
            .collect()
            .await;
        Ok(outcomes)
    }

    /// Charges `order` and records the outcome.
    async fn settle(&self, order: order::Model) -> Result<Settled, StoreError> {
        let amount = Money::new(order.total_amount, order.currency.clone());
        let outcome = payment::charge_within(
            self.payments.as_ref(),
            self.options.charge_timeout,
            order.id,
            &amount,
            &order.payment_token,
        )
        .await;
        if let Err(err) = &outcome
            && !err.fails_the_order()
        {
            tracing::warn!(order_id = %order.id, error = %err, "payment provider unavailable; the charge will be retried");
            return Ok(Settled::Deferred {
                error: err.to_string(),
            });
        }
        let lines = store::lines_of(&self.db, &[order.id])
            .await?
            .remove(&order.id)
            .unwrap_or_default();
        let txn = self.db.begin().await?;
        let recorded = match &outcome {
            Ok(Charge { reference }) => {
                let reason = format!("payment {reference} received");
                let payment = PaymentChange::Paid {
                    reference: reference.clone(),
                };
                match store::transition(&txn, &order, OrderStatus::Confirmed, &reason, payment)
                    .await
                {
                    Ok(_) => {
                        let event = OrderConfirmed {
                            order_id: order.id,
                            user_id: order.user_id,
                            lines: store::event_lines(&lines),
                            total: EventMoney::new(order.total_amount, order.currency.clone()),
                            payment_reference: reference.clone(),
                        };
                        outbox::append(&txn, crate::SERVICE, event, None).await?;
                        Ok(Settled::Confirmed {
                            reference: reference.clone(),
                        })
                    }
                    Err(err) => Err(err),
                }
            }
            Err(err) => {
                let reason = err.to_string();
                let payment = PaymentChange::Failed {
                    reason: reason.clone(),
                };
                match store::transition(&txn, &order, OrderStatus::Failed, &reason, payment).await {
                    Ok(_) => {
                        let event = OrderFailed {
                            order_id: order.id,
                            user_id: order.user_id,
                            reason: reason.clone(),
                        };
                        outbox::append(&txn, crate::SERVICE, event, None).await?;
                        Ok(Settled::Failed { reason })
                    }
                    Err(err) => Err(err),
                }
            }
        };
        match recorded {
            Ok(settled) => {
                txn.commit().await?;
                outbox::wake_relays();
                Ok(settled)
            }
            Err(StoreError::Stale { .. }) => {
                txn.rollback().await?;
                self.superseded(&order, outcome).await
            }
            Err(err) => {
                txn.rollback().await?;
                Err(err)
            }
        }
    }

    /// The order left PAYMENT_PENDING while it was charged. Another worker may have recorded this very
    /// charge; otherwise a successful charge is marked on the order and paid back.
    async fn superseded(
        &self,
        order: &order::Model,
        outcome: Result<Charge, PaymentError>,
    ) -> Result<Settled, StoreError> {
        let Ok(Charge { reference }) = outcome else {
            return Ok(Settled::Superseded { refunded: false });
        };
        let current = store::find(&self.db, order.id).await?;
        let recorded_elsewhere = current.as_ref().is_some_and(|current| {
            current.status == OrderStatus::Confirmed.as_str()
                && current.payment_reference.as_deref() == Some(reference.as_str())
        });
        if recorded_elsewhere {
            return Ok(Settled::Superseded { refunded: false });
        }
        tracing::warn!(order_id = %order.id, charge = %reference,
            "order left PAYMENT_PENDING while it was charged; refunding the charge");
        store::record_stray_charge(&self.db, order.id, &reference).await?;
        let refunded = self.refund_stray(order.id, &reference).await?;
        Ok(Settled::Superseded { refunded })
    }

    /// Pays back charges recorded on CANCELLED or FAILED orders (a refund that failed before is tried
    /// again here on every pass). Returns how many were refunded.
    pub async fn refund_strays(&self) -> Result<usize, StoreError> {
        let mut refunded = 0;
        for order in store::stray_charges(&self.db, self.options.batch_size).await? {
            if let Some(reference) = &order.payment_reference
                && self.refund_stray(order.id, reference).await?
            {
                refunded += 1;
            }
        }
        Ok(refunded)
    }

    async fn refund_stray(
        &self,
        order_id: uuid::Uuid,
        reference: &str,
    ) -> Result<bool, StoreError> {
        match self.payments.refund(order_id, reference).await {
            Ok(refund) => {
                tracing::info!(%order_id, charge = reference, refund = %refund.reference, "stray charge refunded");
                store::record_stray_refund(&self.db, order_id, reference).await?;
                Ok(true)
            }
            Err(err) => {
                tracing::error!(%order_id, charge = reference, error = %err,
                    "cannot refund a charge of an order that is no longer being paid; will retry");
                Ok(false)
            }
        }
    }
}
