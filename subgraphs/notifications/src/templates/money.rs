//! Money for people to read: an amount in minor units shown with its currency's decimal places (ISO 4217
//! exponent), thousands separators and a symbol for the few currencies that have an unambiguous one
//! (`$1,234.50`, `€9.99`, `¥1,200`, `12.345 KWD`).

use shopgraph_events::Money;

/// Digits after the decimal point in `currency` (2 unless ISO 4217 says otherwise).
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// `money` formatted for a message.
pub fn format_money(money: &Money) -> String {
    let exponent = exponent(&money.currency);
    let magnitude = money.amount.unsigned_abs();
    let scale = 10u64.pow(exponent);
    let whole = group_thousands(magnitude / scale);
    let number = if exponent == 0 {
        whole
    } else {
        let fraction = magnitude % scale;
        format!("{whole}.{fraction:0width$}", width = exponent as usize)
    };
    let sign = if money.amount < 0 { "-" } else { "" };
    match symbol(&money.currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {}", money.currency),
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// `unit` times `quantity`, if that fits.
pub fn times(unit: &Money, quantity: i32) -> Option<Money> {
    unit.amount
        .checked_mul(i64::from(quantity))
        .map(|amount| Money::new(amount, unit.currency.clone()))
}

/// The sum of `amounts`, if they share one currency and the sum fits.
pub fn sum<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Option<Money> {
    let mut total: Option<Money> = None;
    for money in amounts {
        total = Some(match total {
            None => money.clone(),
            Some(sum) if sum.currency == money.currency => {
                Money::new(sum.amount.checked_add(money.amount)?, sum.currency)
            }
            Some(_) => return None,
        });
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_the_currency_exponent_symbol_and_separators() {
        assert_eq!(format_money(&Money::new(1250, "USD")), "$12.50");
        assert_eq!(
            format_money(&Money::new(123_456_789, "USD")),
            "$1,234,567.89"
        );
        assert_eq!(format_money(&Money::new(5, "EUR")), "€0.05");
        assert_eq!(format_money(&Money::new(-1999, "GBP")), "-£19.99");
        assert_eq!(format_money(&Money::new(1200, "JPY")), "¥1,200");
        assert_eq!(format_money(&Money::new(12345, "KWD")), "12.345 KWD");
        assert_eq!(format_money(&Money::new(100_000, "CHF")), "1,000.00 CHF");
        assert_eq!(format_money(&Money::new(0, "USD")), "$0.00");
        assert_eq!(
            format_money(&Money::new(i64::MIN, "USD")),
            "-$92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn sums_need_one_currency() {
        let a = Money::new(100, "USD");
        let b = Money::new(250, "USD");
        assert_eq!(sum([&a, &b]), Some(Money::new(350, "USD")));
        assert_eq!(sum([&a, &Money::new(1, "EUR")]), None);
        assert_eq!(sum(std::iter::empty::<&Money>()), None);
        assert_eq!(times(&b, 3), Some(Money::new(750, "USD")));
        assert_eq!(times(&Money::new(i64::MAX, "USD"), 2), None);
    }
}
