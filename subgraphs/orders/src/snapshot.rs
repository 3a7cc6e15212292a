//! The checkout snapshot: what the caller's cart holds, asked of the carts subgraph with the caller's own
//! `Authorization` header, and each product's current name and price, asked of the products subgraph —
//! both through their federation `_entities` field over HTTP — turned into priced order lines and a
//! total. Prices always come from products, never from the client. Stock is not looked at (the saga
//! reserves it). A service that cannot be reached is [`SnapshotError::Unavailable`].

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

const CART_QUERY: &str = "query OrdersCartSnapshot($representations: [_Any!]!) { \
    _entities(representations: $representations) { \
    ... on User { cart { id items { quantity product { id } } } } } }";

const PRODUCTS_QUERY: &str = "query OrdersPriceSnapshot($representations: [_Any!]!) { \
    _entities(representations: $representations) { \
    ... on Product { id name price { amount currency } archived } } }";

/// One priced line of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotLine {
    pub product_id: Uuid,
    /// The product's name now.
    pub name: String,
    /// The product's unit price now, in minor units of the snapshot's currency.
    pub unit_price: i64,
    pub quantity: i32,
    /// `unit_price * quantity`.
    pub line_total: i64,
}

/// The caller's cart, priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartSnapshot {
    /// In cart order; never empty.
    pub lines: Vec<SnapshotLine>,
    /// The one currency of every price.
    pub currency: String,
    /// Sum of the line totals.
    pub total: i64,
}

/// Why no snapshot could be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "the {service} service is unavailable ({detail}); nothing was ordered, try again later"
    )]
    Unavailable {
        service: &'static str,
        detail: String,
    },
    #[error("the {service} service refused the request: {message}")]
    Rejected {
        service: &'static str,
        /// `extensions.code` of its first error, if any.
        code: Option<String>,
        message: String,
    },
    #[error("the {service} service answered unexpectedly: {detail}")]
    BadResponse {
        service: &'static str,
        detail: String,
    },
    #[error("your cart is empty")]
    EmptyCart,
    /// Lines whose product is archived or does not exist (any more), described for the customer; the
    /// whole checkout is refused rather than silently ordering less than the cart shows.
    #[error(
        "your cart holds products that cannot be bought: {}; remove them with removeFromCart and check out again",
        .0.join(", ")
    )]
    UnavailableProducts(Vec<String>),
    #[error("your cart mixes currencies ({0} and {1}); an order is paid in one currency")]
    MixedCurrencies(String, String),
    #[error("the order total is too large")]
    Overflow,
}

/// The HTTP client for the carts and products subgraphs.
#[derive(Debug, Clone)]
pub struct Upstream {
    client: reqwest::Client,
    carts_url: String,
    products_url: String,
}

/// A cart line as carts reports it.
struct CartLine {
    product_id: Uuid,
    quantity: i32,
}

/// A product as products reports it.
#[derive(Debug, Deserialize)]
struct PricedProduct {
    id: String,
    name: String,
    price: Price,
    /// Off sale (absent from an older products: on sale).
    #[serde(default)]
    archived: bool,
}

#[derive(Debug, Deserialize)]
struct Price {
    amount: i64,
    currency: String,
}

impl Upstream {
    /// A client for the two endpoints, giving up on a request after `timeout`, sending `router_secret`
    /// (when the platform has one) in the `shopgraph-router-secret` header so that carts and products,
    /// which answer only the router and orders, accept the requests.
    pub fn new(
        carts_url: &str,
        products_url: &str,
        timeout: Duration,
        router_secret: Option<&str>,
    ) -> Upstream {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(secret) = router_secret {
            match reqwest::header::HeaderValue::from_str(secret) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    headers.insert(shopgraph_kit::ROUTER_SECRET_HEADER, value);
                }
                Err(_) => tracing::warn!(
                    "the router secret is not a valid header value; carts and products will refuse checkout"
                ),
            }
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "cannot configure the upstream HTTP client; using defaults");
                reqwest::Client::new()
            });
        Upstream {
            client,
            carts_url: carts_url.to_owned(),
            products_url: products_url.to_owned(),
        }
    }

    /// The cart of `user_id`, priced, asked for with the caller's `authorization` header.
    pub async fn snapshot(
        &self,
        user_id: Uuid,
        authorization: Option<&str>,
    ) -> Result<CartSnapshot, SnapshotError> {
        let cart = self.cart_lines(user_id, authorization).await?;
        if cart.is_empty() {
            return Err(SnapshotError::EmptyCart);
        }
        let mut ids: Vec<Uuid> = cart.iter().map(|line| line.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let products = self.products(&ids, authorization).await?;
        price(&cart, &products)
    }

    async fn cart_lines(
        &self,
        user_id: Uuid,
        authorization: Option<&str>,
    ) -> Result<Vec<CartLine>, SnapshotError> {
        const SERVICE: &str = "carts";
        let representations = json!([{ "__typename": "User", "id": user_id.to_string() }]);
        let entities = self
            .entities(
                SERVICE,
                &self.carts_url,
                CART_QUERY,
                representations,
                authorization,
            )
            .await?;
        let bad = |detail: &str| SnapshotError::BadResponse {
            service: SERVICE,
            detail: detail.to_owned(),
        };
        let items = entities
            .first()
            .and_then(|user| user.get("cart"))
            .and_then(|cart| cart.get("items"))
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `cart { items }` for the user"))?;
        items
            .iter()
            .map(|item| {
                let quantity = item
                    .get("quantity")
                    .and_then(Value::as_i64)
                    .and_then(|q| i32::try_from(q).ok())
                    .filter(|q| *q > 0)
                    .ok_or_else(|| bad("a cart item without a positive quantity"))?;
                let product_id = item
                    .get("product")
                    .and_then(|product| product.get("id"))
                    .and_then(Value::as_str)
                    .and_then(|id| Uuid::parse_str(id).ok())
                    .ok_or_else(|| bad("a cart item without a product id"))?;
                Ok(CartLine {
                    product_id,
                    quantity,
                })
            })
            .collect()
    }

    async fn products(
        &self,
        ids: &[Uuid],
        authorization: Option<&str>,
    ) -> Result<HashMap<Uuid, PricedProduct>, SnapshotError> {
        const SERVICE: &str = "products";
        let representations: Vec<Value> = ids
            .iter()
            .map(|id| json!({ "__typename": "Product", "id": id.to_string() }))
            .collect();
        let entities = self
            .entities(
                SERVICE,
                &self.products_url,
                PRODUCTS_QUERY,
                Value::Array(representations),
                authorization,
            )
            .await?;
        if entities.len() != ids.len() {
            return Err(SnapshotError::BadResponse {
                service: SERVICE,
                detail: format!("{} entities for {} products", entities.len(), ids.len()),
            });
        }
        let mut products = HashMap::with_capacity(ids.len());
        for (id, entity) in ids.iter().zip(entities) {
            if entity.is_null() {
                // Unknown to products: left out, and `price` refuses the line by name.
                continue;
            }
            let product: PricedProduct =
                serde_json::from_value(entity).map_err(|err| SnapshotError::BadResponse {
                    service: SERVICE,
                    detail: format!("product {id}: {err}"),
                })?;
            if Uuid::parse_str(&product.id).ok() != Some(*id) {
                return Err(SnapshotError::BadResponse {
                    service: SERVICE,
                    detail: format!("asked for product {id}, got {}", product.id),
                });
            }
            products.insert(*id, product);
        }
        Ok(products)
    }

    /// The `_entities` list of a federation query to `url`.
    async fn entities(
        &self,
        service: &'static str,
        url: &str,
        query: &str,
        representations: Value,
        authorization: Option<&str>,
    ) -> Result<Vec<Value>, SnapshotError> {
        let mut request = self.client.post(url).json(&json!({
            "query": query,
            "variables": { "representations": representations },
        }));
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        let unavailable = |detail: String| SnapshotError::Unavailable { service, detail };
        let response = request.send().await.map_err(|err| {
            tracing::warn!(service, error = %err, "checkout snapshot request failed");
            unavailable(if err.is_timeout() {
                "no answer in time".to_owned()
            } else {
                "cannot connect".to_owned()
            })
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(format!("HTTP {}", status.as_u16())));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|err| SnapshotError::BadResponse {
                service,
                detail: format!("not a JSON GraphQL response: {err}"),
            })?;
        if let Some(error) = body
            .get("errors")
            .and_then(Value::as_array)
            .and_then(|errors| errors.first())
        {
            return Err(SnapshotError::Rejected {
                service,
                code: error
                    .pointer("/extensions/code")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error")
                    .to_owned(),
            });
        }
        match body.pointer("/data/_entities") {
            Some(Value::Array(entities)) => Ok(entities.clone()),
            _ => Err(SnapshotError::BadResponse {
                service,
                detail: "no `data._entities` list".to_owned(),
            }),
        }
    }
}

/// The priced lines and total of `cart` at `products`' prices.
fn price(
    cart: &[CartLine],
    products: &HashMap<Uuid, PricedProduct>,
) -> Result<CartSnapshot, SnapshotError> {
    let unavailable: Vec<String> = cart
        .iter()
        .filter_map(|line| match products.get(&line.product_id) {
            None => Some(format!("product {} (it no longer exists)", line.product_id)),
            Some(product) if product.archived => Some(format!(
                "\"{}\" ({}, no longer on sale)",
                product.name, line.product_id
            )),
            Some(_) => None,
        })
        .collect();
    if !unavailable.is_empty() {
        return Err(SnapshotError::UnavailableProducts(unavailable));
    }
    let mut currency: Option<&str> = None;
    let mut total: i64 = 0;
    let mut lines = Vec::with_capacity(cart.len());
    for line in cart {
        let Some(product) = products.get(&line.product_id) else {
            continue;
        };
        let price = &product.price;
        if price.amount < 0 {
            return Err(SnapshotError::BadResponse {
                service: "products",
                detail: format!("product {} has a negative price", line.product_id),
            });
        }
        match currency {
            None => currency = Some(&price.currency),
            Some(first) if first != price.currency => {
                return Err(SnapshotError::MixedCurrencies(
                    first.to_owned(),
                    price.currency.clone(),
                ));
            }
            Some(_) => {}
        }
        let line_total = price
            .amount
            .checked_mul(i64::from(line.quantity))
            .ok_or(SnapshotError::Overflow)?;
        total = total
            .checked_add(line_total)
            .ok_or(SnapshotError::Overflow)?;
        lines.push(SnapshotLine {
            product_id: line.product_id,
            name: product.name.clone(),
            unit_price: price.amount,
            quantity: line.quantity,
            line_total,
        });
    }
    let currency = currency.ok_or(SnapshotError::EmptyCart)?.to_owned();
    Ok(CartSnapshot {
        lines,
        currency,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: Uuid, amount: i64, currency: &str) -> PricedProduct {
        PricedProduct {
            id: id.to_string(),
            name: format!("product {amount}"),
            price: Price {
                amount,
                currency: currency.to_owned(),
            },
            archived: false,
        }
    }

    #[test]
    fn archived_and_unknown_products_are_refused_by_name() {
        let (a, b, gone) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut archived = product(b, 500, "USD");
        archived.archived = true;
        let products = HashMap::from([(a, product(a, 250, "USD")), (b, archived)]);
        let line = |product_id| CartLine {
            product_id,
            quantity: 1,
        };
        let err = price(&[line(a), line(b), line(gone)], &products).unwrap_err();
        assert_eq!(
            err,
            SnapshotError::UnavailableProducts(vec![
                format!("\"product 500\" ({b}, no longer on sale)"),
                format!("product {gone} (it no longer exists)"),
            ])
        );
        assert!(err.to_string().contains("removeFromCart"));
        assert!(price(&[line(a)], &products).is_ok());
    }

    #[test]
    fn lines_are_priced_in_cart_order_and_summed() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let products = HashMap::from([(a, product(a, 250, "EUR")), (b, product(b, 1999, "EUR"))]);
        let cart = [
            CartLine {
                product_id: b,
                quantity: 2,
            },
            CartLine {
                product_id: a,
                quantity: 3,
            },
        ];
        let snapshot = price(&cart, &products).unwrap();
        assert_eq!(snapshot.currency, "EUR");
        assert_eq!(snapshot.total, 2 * 1999 + 3 * 250);
        assert_eq!(snapshot.lines[0].product_id, b);
        assert_eq!(snapshot.lines[0].line_total, 3998);
        assert_eq!(snapshot.lines[1].unit_price, 250);
    }

    #[test]
    fn mixed_currencies_and_overflow_are_refused() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let products = HashMap::from([(a, product(a, 1, "EUR")), (b, product(b, i64::MAX, "USD"))]);
        let mixed = [
            CartLine {
                product_id: a,
                quantity: 1,
            },
            CartLine {
                product_id: b,
                quantity: 1,
            },
        ];
        assert_eq!(
            price(&mixed, &products).unwrap_err(),
            SnapshotError::MixedCurrencies("EUR".into(), "USD".into())
        );
        let huge = [CartLine {
            product_id: b,
            quantity: 2,
        }];
        assert_eq!(
            price(&huge, &products).unwrap_err(),
            SnapshotError::Overflow
        );
    }
}
