//! The platform's own tests, in one binary: end to end through the router (`e2e`), carts and the
//! catalogue kept consistent through the router (`catalogue`), the checkout saga
//! through the router on the one-process stack (`checkout`, `contention`, `payment_failures`,
//! `idempotency`, `redelivery`), the services as separate processes over PostgreSQL and Redis with
//! crashes (`processes`), the deployment files rendered and checked against the code
//! (`deployment`, `kubernetes`), the start-up refusal of weak secrets (`start_checks`), and the credential limits
//! seen through the router (`credentials`), and the command line (`cli`).

mod catalogue;
mod checkout;
mod cli;
mod contention;
mod credentials;
mod deployment;
mod e2e;
mod idempotency;
mod kubernetes;
mod payment_failures;
mod processes;
mod redelivery;
mod start_checks;
mod support;
