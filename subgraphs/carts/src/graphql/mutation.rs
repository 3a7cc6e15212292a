//! The cart mutations. Each acts on the signed-in user's own cart (created on first use) and returns it.

use async_graphql::{Context, ID, Object};
use sea_orm::DatabaseConnection;
use shopgraph_kit::ViewerExt;

use crate::graphql::types::Cart;
use crate::graphql::{check_quantity, parse_product_id, require_available, store_error};
use crate::store;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Puts `quantity` of the product into the cart, adding to the line's quantity when it is already
    /// there. A line holds at most 999. `NOT_FOUND` for a product that does not exist,
    /// `PRODUCT_UNAVAILABLE` for one that is archived (off sale).
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        #[graphql(default = 1)] quantity: i32,
    ) -> async_graphql::Result<Cart> {
        let user = ctx.viewer().require_user()?.sub;
        let product_id = parse_product_id(&product_id)?;
        check_quantity(quantity)?;
        let db = ctx.data::<DatabaseConnection>()?;
        require_available(db, product_id).await?;
        let cart = store::cart_of_user(db, user).await.map_err(store_error)?;
        store::add_line(db, cart.id, product_id, quantity)
            .await
            .map_err(store_error)?;
        reload(db, cart).await
    }

    /// Sets the quantity of a product that is in the cart (`NOT_FOUND` otherwise).
    async fn update_cart_item(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        quantity: i32,
    ) -> async_graphql::Result<Cart> {
        let user = ctx.viewer().require_user()?.sub;
        let product_id = parse_product_id(&product_id)?;
        check_quantity(quantity)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let cart = store::cart_of_user(db, user).await.map_err(store_error)?;
        store::set_line_quantity(db, cart.id, product_id, quantity)
            .await
            .map_err(store_error)?;
        reload(db, cart).await
    }

    /// Takes the product out of the cart; a product that is not in it is left out, without error.
    async fn remove_from_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
    ) -> async_graphql::Result<Cart> {
        let user = ctx.viewer().require_user()?.sub;
        let product_id = parse_product_id(&product_id)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let cart = store::cart_of_user(db, user).await.map_err(store_error)?;
        store::remove_line(db, cart.id, product_id)
            .await
            .map_err(store_error)?;
        reload(db, cart).await
    }

    /// Empties the cart.
    async fn clear_cart(&self, ctx: &Context<'_>) -> async_graphql::Result<Cart> {
        let user = ctx.viewer().require_user()?.sub;
        let db = ctx.data::<DatabaseConnection>()?;
        let cart = store::cart_of_user(db, user).await.map_err(store_error)?;
        store::clear(db, cart.id).await.map_err(store_error)?;
        reload(db, cart).await
    }
}

/// The cart as it is now, with its lines.
async fn reload(
    db: &DatabaseConnection,
    cart: crate::entity::cart::Model,
) -> async_graphql::Result<Cart> {
    store::reload(db, &cart)
        .await
        .map(Cart::new)
        .map_err(store_error)
}
