//! The carts subgraph's object types: `User` (the users' entity, extended with `cart`), `Cart`, `CartItem`,
//! the `Product` reference, and the hidden input types that parse the `@requires` data of a `Cart`
//! representation.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use shopgraph_kit::error::internal;
use shopgraph_kit::{ErrorCode, Money, ViewerExt};
use uuid::Uuid;

use crate::entity::cart_item;
use crate::graphql::loaded_carts::LoadedCarts;
use crate::graphql::loader::{AvailabilityLoader, CartsByUser};
use crate::store::CartRecord;
use crate::subtotal::{SubtotalError, subtotal};

/// A user of the users subgraph; carts adds their cart.
pub struct User {
    pub id: Uuid,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The user's cart, created empty on first use. Only the user themselves may see it.
    async fn cart(&self, ctx: &Context<'_>) -> async_graphql::Result<Cart> {
        let viewer = ctx.viewer().require_user()?;
        if viewer.sub != self.id {
            return Err(ErrorCode::Forbidden.error("you may only see your own cart"));
        }
        let record = ctx
            .data::<LoadedCarts>()?
            .of_user(ctx.data::<DataLoader<CartsByUser>>()?, self.id)
            .await
            .map_err(|err| internal("loading cart", err))?
            .ok_or_else(|| internal("loading cart", "no cart after creating it"))?;
        Ok(Cart::new(record))
    }
}

/// A user's cart.
pub struct Cart {
    record: CartRecord,
    /// The unit price of each line, in line order, when the router supplied them (`@requires`).
    unit_prices: Option<Vec<Option<Money>>>,
}

impl Cart {
    pub fn new(record: CartRecord) -> Cart {
        Cart {
            record,
            unit_prices: None,
        }
    }

    /// The cart with the prices of a `Cart` representation's `items { product { price } }`.
    pub fn with_required_items(record: CartRecord, items: Vec<RequiredCartItem>) -> Cart {
        let unit_prices = items
            .into_iter()
            .map(|item| {
                item.product
                    .and_then(|product| product.price)
                    .map(|price| Money::new(price.amount, price.currency))
            })
            .collect();
        Cart {
            record,
            unit_prices: Some(unit_prices),
        }
    }

    pub fn owner(&self) -> Uuid {
        self.record.cart.user_id
    }

    /// Whether each line's product is on sale, in line order, from the catalogue projection.
    async fn availability(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<bool>> {
        let ids: Vec<Uuid> = self
            .record
            .items
            .iter()
            .map(|item| item.product_id)
            .collect();
        let found = ctx
            .data::<DataLoader<AvailabilityLoader>>()?
            .load_many(ids.iter().copied())
            .await
            .map_err(|err| internal("reading the catalogue projection", err))?;
        Ok(ids
            .iter()
            .map(|id| found.get(id).is_some_and(|state| state.is_available()))
            .collect())
    }
}

#[Object]
impl Cart {
    async fn id(&self) -> ID {
        ID(self.record.cart.id.to_string())
    }

    /// The lines, oldest first.
    async fn items(&self) -> Vec<CartItem> {
        self.record.items.iter().cloned().map(CartItem).collect()
    }

    /// The sum of quantity times current unit price over the available lines only: a line whose product
    /// is archived or no longer exists (`CartItem.available: false`) is not counted, and
    /// `hasUnavailableItems` says whether any line was left out. The prices come from the products
    /// subgraph through the router (`@requires`), so they are the prices checkout charges.
    #[graphql(requires = "items { product { price { amount currency } } }")]
    async fn subtotal(&self, ctx: &Context<'_>) -> async_graphql::Result<Money> {
        let Some(unit_prices) = &self.unit_prices else {
            return Err(subtotal_error(SubtotalError::PricesNotSupplied));
        };
        let quantities: Vec<i32> = self.record.items.iter().map(|item| item.quantity).collect();
        if unit_prices.len() != quantities.len() {
            return Err(subtotal_error(SubtotalError::LineCountMismatch {
                stored: quantities.len(),
                supplied: unit_prices.len(),
            }));
        }
        let available = self.availability(ctx).await?;
        let counted: Vec<Option<Money>> = unit_prices
            .iter()
            .zip(available)
            .map(|(price, available)| price.clone().filter(|_| available))
            .collect();
        subtotal(&quantities, &counted).map_err(subtotal_error)
    }

    /// Whether some line's product is archived or no longer exists. Such lines are left out of
    /// `subtotal`, and `checkout` refuses the cart (naming them) until they are removed.
    async fn has_unavailable_items(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self.availability(ctx).await?.contains(&false))
    }

    /// How many items the cart holds: the sum of the line quantities.
    async fn item_count(&self) -> async_graphql::Result<i32> {
        let total: i64 = self
            .record
            .items
            .iter()
            .map(|item| i64::from(item.quantity))
            .sum();
        i32::try_from(total).map_err(|_| internal("counting cart items", "item count exceeds Int"))
    }

    /// When a line was last added, changed or removed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.record.cart.updated_at
    }
}

/// The client-facing error for a subtotal that cannot be computed: `CONFLICT` when the cart does not fit
/// the prices (changed between fetches, or mixes currencies), `BAD_USER_INPUT` when the prices are missing
/// or out of range.
fn subtotal_error(err: SubtotalError) -> async_graphql::Error {
    let code = match err {
        SubtotalError::LineCountMismatch { .. } | SubtotalError::MixedCurrencies { .. } => {
            ErrorCode::Conflict
        }
        SubtotalError::PricesNotSupplied | SubtotalError::Overflow => ErrorCode::BadUserInput,
    };
    code.error(err.to_string())
}

/// One line of a cart.
pub struct CartItem(cart_item::Model);

#[Object]
impl CartItem {
    /// The product of the line. An archived product still resolves (with `archived: true`); this is
    /// null only when the catalogue no longer knows the product at all, so that one such line never
    /// takes the whole cart with it.
    async fn product(&self) -> Option<Product> {
        Some(Product {
            id: self.0.product_id,
        })
    }

    /// Whether the product can be bought: false when it is archived or does not exist (any more). An
    /// unavailable line is left out of `Cart.subtotal` and makes `checkout` refuse the cart until it is
    /// removed with `removeFromCart`.
    async fn available(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let state = ctx
            .data::<DataLoader<AvailabilityLoader>>()?
            .load_one(self.0.product_id)
            .await
            .map_err(|err| internal("reading the catalogue projection", err))?;
        Ok(state.is_some_and(|state| state.is_available()))
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// When the product was first put into the cart; raising its quantity does not change it.
    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
}

/// A product of the products subgraph, referenced by id.
pub struct Product {
    pub id: Uuid,
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Owned by the products subgraph; declared here for `Cart.subtotal`'s `@requires`.
    #[graphql(external)]
    async fn price(&self) -> async_graphql::Result<Money> {
        Err(ErrorCode::BadUserInput.error(
            "Product.price is resolved by the products subgraph; query it through the router",
        ))
    }
}

/// One entry of a `Cart` representation's `items`, as the router sends it for `@requires`.
/// Not part of the schema: only parsed from `_entities` representations.
#[derive(Debug, InputObject)]
#[graphql(name = "CartItemPriceRepresentation", visible = false)]
pub struct RequiredCartItem {
    pub product: Option<RequiredProduct>,
}

/// `product { price { … } }` of a `RequiredCartItem`.
#[derive(Debug, InputObject)]
#[graphql(name = "ProductPriceRepresentation", visible = false)]
pub struct RequiredProduct {
    pub price: Option<RequiredPrice>,
}

/// `price { amount currency }` of a `RequiredProduct`.
#[derive(Debug, InputObject)]
#[graphql(name = "MoneyRepresentation", visible = false)]
pub struct RequiredPrice {
    pub amount: i64,
    pub currency: String,
}
