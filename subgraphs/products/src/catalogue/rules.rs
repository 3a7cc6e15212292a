//! The rules a product and a listing filter must satisfy; text fields are trimmed before they are
//! checked and stored. Messages name the API's fields so clients can show them as they are.

use super::{CatalogueError, NewProduct, Price, ProductChanges, ProductFilter};

pub const MAX_SKU_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_CATEGORY_CHARS: usize = 100;
pub const MAX_SEARCH_CHARS: usize = 200;

fn invalid(message: impl Into<String>) -> CatalogueError {
    CatalogueError::Invalid(message.into())
}

/// Trims `value` and checks it is non-empty and at most `max` characters long.
fn required_text(field: &str, value: &str, max: usize) -> Result<String, CatalogueError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(invalid(format!("{field} must be at most {max} characters")));
    }
    Ok(value.to_owned())
}

fn sku(value: &str) -> Result<String, CatalogueError> {
    let value = required_text("sku", value, MAX_SKU_CHARS)?;
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("sku must not contain whitespace"));
    }
    Ok(value)
}

fn description(value: &str) -> Result<String, CatalogueError> {
    let value = value.trim();
    if value.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(value.to_owned())
}

fn price(price: Price) -> Result<Price, CatalogueError> {
    if price.amount < 0 {
        return Err(invalid("price.amount must not be negative"));
    }
    let is_iso_code =
        price.currency.len() == 3 && price.currency.chars().all(|c| c.is_ascii_uppercase());
    if !is_iso_code {
        return Err(invalid(format!(
            "price.currency must be an ISO 4217 code of three uppercase letters, not `{}`",
            price.currency
        )));
    }
    Ok(price)
}

pub fn validate_stock(stock: i32) -> Result<(), CatalogueError> {
    if stock < 0 {
        return Err(invalid("stock must not be negative"));
    }
    Ok(())
}

pub fn validate_new(new: NewProduct) -> Result<NewProduct, CatalogueError> {
    validate_stock(new.stock)?;
    Ok(NewProduct {
        sku: sku(&new.sku)?,
        name: required_text("name", &new.name, MAX_NAME_CHARS)?,
        description: description(&new.description)?,
        price: price(new.price)?,
        category: required_text("category", &new.category, MAX_CATEGORY_CHARS)?,
        stock: new.stock,
    })
}

pub fn validate_changes(changes: ProductChanges) -> Result<ProductChanges, CatalogueError> {
    if let Some(stock) = changes.stock {
        validate_stock(stock)?;
    }
    Ok(ProductChanges {
        sku: changes.sku.as_deref().map(sku).transpose()?,
        name: changes
            .name
            .as_deref()
            .map(|name| required_text("name", name, MAX_NAME_CHARS))
            .transpose()?,
        description: changes
            .description
            .as_deref()
            .map(description)
            .transpose()?,
        price: changes.price.map(price).transpose()?,
        category: changes
            .category
            .as_deref()
            .map(|category| required_text("category", category, MAX_CATEGORY_CHARS))
            .transpose()?,
        stock: changes.stock,
    })
}

/// The filter with its search text trimmed (blank search means no search), or the rule it breaks.
pub fn validate_filter(mut filter: ProductFilter) -> Result<ProductFilter, CatalogueError> {
    filter.search = filter
        .search
        .map(|search| search.trim().to_owned())
        .filter(|search| !search.is_empty());
    if let Some(search) = &filter.search
        && search.chars().count() > MAX_SEARCH_CHARS
    {
        return Err(invalid(format!(
            "filter.search must be at most {MAX_SEARCH_CHARS} characters"
        )));
    }
    if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
        && min > max
    {
        return Err(invalid(
            "filter.minPrice must not be greater than filter.maxPrice",
        ));
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_product() -> NewProduct {
        NewProduct {
            sku: "  KIT-1 ".to_owned(),
            name: " Knife ".to_owned(),
            description: String::new(),
            price: Price {
                amount: 0,
                currency: "USD".to_owned(),
            },
            category: "Kitchen".to_owned(),
            stock: 0,
        }
    }

    #[test]
    fn text_is_trimmed_and_zero_price_and_stock_are_allowed() {
        let valid = validate_new(new_product()).unwrap();
        assert_eq!(valid.sku, "KIT-1");
        assert_eq!(valid.name, "Knife");
    }

    type BreakRule = fn(&mut NewProduct);

    #[test]
    fn broken_rules_are_reported_by_field() {
        let cases: [(BreakRule, &str); 6] = [
            (|p| p.name = "  ".to_owned(), "name must not be empty"),
            (
                |p| p.sku = "A B".to_owned(),
                "sku must not contain whitespace",
            ),
            (|p| p.price.amount = -1, "price.amount must not be negative"),
            (
                |p| p.price.currency = "usd".to_owned(),
                "price.currency must be",
            ),
            (|p| p.stock = -1, "stock must not be negative"),
            (|p| p.category = String::new(), "category must not be empty"),
        ];
        for (breaks, message) in cases {
            let mut product = new_product();
            breaks(&mut product);
            let err = validate_new(product).unwrap_err().to_string();
            assert!(
                err.starts_with(message),
                "{err} does not start with {message}"
            );
        }
    }
}
