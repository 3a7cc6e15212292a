//! `Money`: an amount in integer minor units (cents) with an ISO 4217 currency code. The type is
//! `@shareable`, so every subgraph that returns money declares the identical type.

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};

/// An amount of money in minor units of its currency (cents for USD): `1999` with `USD` is $19.99.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(shareable)]
pub struct Money {
    /// Amount in minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 currency code, for example `USD`.
    pub currency: String,
}

impl Money {
    pub fn new(amount: i64, currency: impl Into<String>) -> Money {
        Money {
            amount,
            currency: currency.into(),
        }
    }
}
