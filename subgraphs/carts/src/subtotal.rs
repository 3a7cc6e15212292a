//! The subtotal of a cart: Σ quantity × unit price over its lines, from the stored quantities and the unit
//! prices the router supplies (through `@requires`) in the same order as the lines. A line without a price
//! (its product is unavailable: archived, or unknown to the catalogue) is not counted. Checked arithmetic,
//! one currency per cart.

use shopgraph_kit::Money;

/// The currency of an empty cart's zero subtotal.
pub const EMPTY_CART_CURRENCY: &str = "USD";

/// Why a subtotal cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubtotalError {
    /// The request carried no prices: `subtotal` was not resolved through the router's `@requires`.
    #[error(
        "subtotal needs the product prices (`items {{ product {{ price {{ amount currency }} }} }}`), which \
         the router supplies through @requires; query the cart through the router"
    )]
    PricesNotSupplied,
    /// The supplied prices do not line up with the stored lines: the cart changed between fetches.
    #[error(
        "the cart has {stored} lines but prices were supplied for {supplied}; it changed while the \
         request ran, so query it again"
    )]
    LineCountMismatch { stored: usize, supplied: usize },
    #[error("the cart holds products priced in {first} and in {other}; it has no single subtotal")]
    MixedCurrencies { first: String, other: String },
    #[error("the subtotal is too large to represent")]
    Overflow,
}

/// Σ `quantities[i]` × `unit_prices[i]`, position by position, over the lines with a price. A cart
/// without priced lines costs 0 `USD`.
pub fn subtotal(quantities: &[i32], unit_prices: &[Option<Money>]) -> Result<Money, SubtotalError> {
    if quantities.len() != unit_prices.len() {
        return Err(SubtotalError::LineCountMismatch {
            stored: quantities.len(),
            supplied: unit_prices.len(),
        });
    }
    let mut total: Option<Money> = None;
    for (quantity, price) in quantities.iter().zip(unit_prices) {
        let Some(price) = price else {
            continue;
        };
        let line = price
            .amount
            .checked_mul(i64::from(*quantity))
            .ok_or(SubtotalError::Overflow)?;
        total = Some(match total {
            None => Money::new(line, price.currency.clone()),
            Some(sum) if sum.currency != price.currency => {
                return Err(SubtotalError::MixedCurrencies {
                    first: sum.currency,
                    other: price.currency.clone(),
                });
            }
            Some(sum) => Money::new(
                sum.amount
                    .checked_add(line)
                    .ok_or(SubtotalError::Overflow)?,
                sum.currency,
            ),
        });
    }
    Ok(total.unwrap_or_else(|| Money::new(0, EMPTY_CART_CURRENCY)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: i64) -> Option<Money> {
        Some(Money::new(amount, "USD"))
    }

    #[test]
    fn sums_quantity_times_price() {
        assert_eq!(
            subtotal(&[2, 3], &[usd(1999), usd(500)]),
            Ok(Money::new(2 * 1999 + 3 * 500, "USD"))
        );
        assert_eq!(subtotal(&[], &[]), Ok(Money::new(0, "USD")));
        assert_eq!(
            subtotal(&[2, 5], &[None, usd(300)]),
            Ok(Money::new(1500, "USD"))
        );
        assert_eq!(subtotal(&[2], &[None]), Ok(Money::new(0, "USD")));
        assert_eq!(
            subtotal(&[1], &[Some(Money::new(700, "EUR"))]),
            Ok(Money::new(700, "EUR"))
        );
    }

    #[test]
    fn rejects_what_cannot_be_summed() {
        assert_eq!(
            subtotal(&[1, 1], &[usd(1)]),
            Err(SubtotalError::LineCountMismatch {
                stored: 2,
                supplied: 1
            })
        );
        assert_eq!(
            subtotal(&[1, 1], &[usd(1), Some(Money::new(1, "EUR"))]),
            Err(SubtotalError::MixedCurrencies {
                first: "USD".to_owned(),
                other: "EUR".to_owned()
            })
        );
        assert_eq!(
            subtotal(&[2], &[usd(i64::MAX)]),
            Err(SubtotalError::Overflow)
        );
        assert_eq!(
            subtotal(&[1, 1], &[usd(i64::MAX), usd(1)]),
            Err(SubtotalError::Overflow)
        );
    }
}
