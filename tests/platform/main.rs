//! The platform's own tests, in one binary: end to end through the router (`e2e`), and the deployment
//! files rendered and checked against the code (`deployment`).

mod deployment;
mod e2e;
