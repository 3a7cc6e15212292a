//! Orders' part in the checkout saga. The [`SagaHandler`] consumes, as consumer group `orders`, what
//! products says about an order's stock: `StockReserved` moves a PENDING order to PAYMENT_PENDING;
//! `StockRejected` fails a PENDING order; `ReservationExpired` fails an order not yet charged. The
//! [`PaymentSettlement`] worker then charges PAYMENT_PENDING orders — outside any database transaction,
//! through the idempotent payment provider — and records the outcome and the transition (CONFIRMED with
//! `OrderConfirmed`, or FAILED with `OrderFailed`) in one transaction. Because the worker picks up every
//! PAYMENT_PENDING order, a crash between the two steps only delays the charge, and because the provider
//! is idempotent by order id, a redelivered or repeated step never charges twice. A charge that succeeds
//! after the order was cancelled or failed meanwhile is refunded at once.

mod handler;
mod settlement;

pub use handler::SagaHandler;
pub use settlement::{PaymentSettlement, Settled, SettlementOptions};
