//! The platform's own tests, in one binary: end to end through the router (`e2e`), carts and the
//! catalogue kept consistent through the router (`catalogue`), the checkout saga
//! through the router on the one-process stack (`checkout`, `contention`, `payment_failures`,
//! `idempotency`, `redelivery`), the services as separate processes over PostgreSQL and Redis with
//! crashes (`processes`), and the deployment files rendered and checked against the code
//! (`deployment`).

mod catalogue;
mod checkout;
mod contention;
mod deployment;
mod e2e;
mod idempotency;
mod payment_failures;
mod processes;
mod redelivery;
mod support;
