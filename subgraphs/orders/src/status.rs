//! The order state machine: the statuses an order passes through and the one table of legal
//! transitions every status change is checked against. PENDING → PAYMENT_PENDING → CONFIRMED → SHIPPED →
//! DELIVERED is the happy path; PENDING and PAYMENT_PENDING may end in FAILED; PENDING, PAYMENT_PENDING
//! and CONFIRMED may be CANCELLED. Anything else is an [`IllegalTransition`], never a silent update.
//! Also the payment status an order shows next to it.

use std::fmt;

use async_graphql::Enum;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum OrderStatus {
    /// Placed; its stock is being reserved.
    Pending,
    /// Stock reserved; the payment is being taken.
    PaymentPending,
    /// Paid; waiting to be shipped.
    Confirmed,
    /// Handed to the carrier.
    Shipped,
    /// Received by the customer.
    Delivered,
    /// Could not be completed (no stock, payment refused, reservation expired); see the status history.
    Failed,
    /// Cancelled by the customer or an administrator before shipping; a payment is refunded.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::PaymentPending,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Failed,
        OrderStatus::Cancelled,
    ];

    /// The text stored in the database (and shown to clients).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::PaymentPending => "PAYMENT_PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Failed => "FAILED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    /// The status stored as `text`.
    pub fn parse(text: &str) -> Option<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// Whether an order in this status may move to `to`: the one table of legal transitions.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, PaymentPending)
                | (PaymentPending, Confirmed)
                | (Confirmed, Shipped)
                | (Shipped, Delivered)
                | (Pending | PaymentPending, Failed)
                | (Pending | PaymentPending | Confirmed, Cancelled)
        )
    }

    /// `to`, if the move from this status is legal.
    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// Whether no transition leads out of this status.
    pub fn is_final(self) -> bool {
        OrderStatus::ALL.into_iter().all(|to| !self.can_become(to))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// Where an order's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum PaymentStatus {
    /// Nothing has been charged (yet).
    Unpaid,
    /// The amount was charged; `reference` identifies the charge.
    Paid,
    /// The charge was refused or timed out; `failureReason` says why. Nothing was charged.
    Failed,
    /// The charge was paid back.
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 4] = [
        PaymentStatus::Unpaid,
        PaymentStatus::Paid,
        PaymentStatus::Failed,
        PaymentStatus::Refunded,
    ];

    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "UNPAID",
            PaymentStatus::Paid => "PAID",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Refunded => "REFUNDED",
        }
    }

    /// The payment status stored as `text`.
    pub fn parse(text: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    /// The legal transitions, spelled out once more, independently of `can_become`.
    const LEGAL: [(OrderStatus, OrderStatus); 9] = [
        (Pending, PaymentPending),
        (PaymentPending, Confirmed),
        (Confirmed, Shipped),
        (Shipped, Delivered),
        (Pending, Failed),
        (PaymentPending, Failed),
        (Pending, Cancelled),
        (PaymentPending, Cancelled),
        (Confirmed, Cancelled),
    ];

    #[test]
    fn exactly_the_listed_transitions_are_legal() {
        let mut legal = 0;
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = LEGAL.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
                match from.transition(to) {
                    Ok(status) => {
                        assert!(expected, "{from} -> {to}");
                        assert_eq!(status, to);
                        legal += 1;
                    }
                    Err(err) => {
                        assert!(!expected, "{from} -> {to}");
                        assert_eq!(err, IllegalTransition { from, to });
                        assert_eq!(
                            err.to_string(),
                            format!("an order cannot go from {from} to {to}")
                        );
                    }
                }
            }
        }
        assert_eq!(legal, LEGAL.len());
    }

    #[test]
    fn no_status_leads_to_itself_and_the_ends_are_final() {
        for status in OrderStatus::ALL {
            assert!(!status.can_become(status), "{status}");
        }
        let finals: Vec<OrderStatus> = OrderStatus::ALL
            .into_iter()
            .filter(|status| status.is_final())
            .collect();
        assert_eq!(finals, vec![Delivered, Failed, Cancelled]);
        for status in OrderStatus::ALL {
            assert!(!status.can_become(Pending), "nothing leads back to PENDING");
        }
    }

    #[test]
    fn statuses_round_trip_through_their_stored_text() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("pending"), None);
        assert_eq!(PaymentStatus::parse(""), None);
    }
}
