//! Shipping addresses: the rules a checkout's address must meet (text trimmed; name, first line, city and
//! postal code present and not too long; an optional second line; an ISO 3166-1 alpha-2 country code,
//! upper-cased) and the normalised address that is stored with the order.

/// Most characters of the recipient's name.
pub const MAX_NAME_CHARS: usize = 100;
/// Most characters of an address line.
pub const MAX_LINE_CHARS: usize = 200;
/// Most characters of the city.
pub const MAX_CITY_CHARS: usize = 100;
/// Most characters of the postal code.
pub const MAX_POSTAL_CODE_CHARS: usize = 20;

/// An address as a client sent it.
#[derive(Debug, Clone, Default)]
pub struct RawAddress {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
}

/// A checked, normalised shipping address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    pub name: String,
    pub line1: String,
    /// `None` when absent or blank.
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case (`DE`, `US`).
    pub country: String,
}

/// Why an address was refused; the message names the field as clients know it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("shippingAddress.{field} must not be empty")]
    Missing { field: &'static str },
    #[error("shippingAddress.{field} must be at most {max} characters long")]
    TooLong { field: &'static str, max: usize },
    #[error("shippingAddress.{field} must not contain control characters")]
    ControlCharacters { field: &'static str },
    #[error("shippingAddress.postalCode may contain only letters, digits, spaces and dashes")]
    InvalidPostalCode,
    #[error(
        "shippingAddress.country must be a two-letter ISO 3166-1 country code, like `DE` or `US`"
    )]
    InvalidCountry,
}

impl RawAddress {
    /// The address normalised, or the first rule it breaks.
    pub fn check(&self) -> Result<ShippingAddress, AddressError> {
        let name = required("name", &self.name, MAX_NAME_CHARS)?;
        let line1 = required("line1", &self.line1, MAX_LINE_CHARS)?;
        let line2 = match self.line2.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(line2) => Some(required("line2", line2, MAX_LINE_CHARS)?),
        };
        let city = required("city", &self.city, MAX_CITY_CHARS)?;
        let postal_code = required("postalCode", &self.postal_code, MAX_POSTAL_CODE_CHARS)?;
        if !postal_code
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(AddressError::InvalidPostalCode);
        }
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AddressError::InvalidCountry);
        }
        Ok(ShippingAddress {
            name,
            line1,
            line2,
            city,
            postal_code,
            country,
        })
    }
}

/// `value` trimmed, if it is not empty, not longer than `max` and free of control characters.
fn required(field: &'static str, value: &str, max: usize) -> Result<String, AddressError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AddressError::Missing { field });
    }
    if value.chars().count() > max {
        return Err(AddressError::TooLong { field, max });
    }
    if value.chars().any(char::is_control) {
        return Err(AddressError::ControlCharacters { field });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> RawAddress {
        RawAddress {
            name: "  Ada Lovelace ".into(),
            line1: " 12 St James's Square ".into(),
            line2: Some("   ".into()),
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: " gb ".into(),
        }
    }

    #[test]
    fn a_valid_address_is_trimmed_and_normalised() {
        assert_eq!(
            valid().check().unwrap(),
            ShippingAddress {
                name: "Ada Lovelace".into(),
                line1: "12 St James's Square".into(),
                line2: None,
                city: "London".into(),
                postal_code: "SW1Y 4JH".into(),
                country: "GB".into(),
            }
        );
        let with_line2 = RawAddress {
            line2: Some(" Flat 3 ".into()),
            ..valid()
        };
        assert_eq!(with_line2.check().unwrap().line2.as_deref(), Some("Flat 3"));
    }

    #[test]
    fn each_rule_is_enforced() {
        let cases = [
            (
                RawAddress {
                    name: " ".into(),
                    ..valid()
                },
                AddressError::Missing { field: "name" },
            ),
            (
                RawAddress {
                    line1: "x".repeat(MAX_LINE_CHARS + 1),
                    ..valid()
                },
                AddressError::TooLong {
                    field: "line1",
                    max: MAX_LINE_CHARS,
                },
            ),
            (
                RawAddress {
                    line2: Some("a\u{7}b".into()),
                    ..valid()
                },
                AddressError::ControlCharacters { field: "line2" },
            ),
            (
                RawAddress {
                    city: String::new(),
                    ..valid()
                },
                AddressError::Missing { field: "city" },
            ),
            (
                RawAddress {
                    postal_code: "12345;".into(),
                    ..valid()
                },
                AddressError::InvalidPostalCode,
            ),
            (
                RawAddress {
                    country: "DEU".into(),
                    ..valid()
                },
                AddressError::InvalidCountry,
            ),
            (
                RawAddress {
                    country: "D1".into(),
                    ..valid()
                },
                AddressError::InvalidCountry,
            ),
        ];
        for (address, expected) in cases {
            assert_eq!(address.check().unwrap_err(), expected);
        }
    }
}
