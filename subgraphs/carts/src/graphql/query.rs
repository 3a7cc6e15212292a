//! The Query root: only the federation entity resolvers (`User`, `Cart`, `Product` by id); it has no
//! fields of its own. A client reads its cart through the users' `User` entity (`User.cart`) via the
//! router, or gets it back from any cart mutation.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object};
use shopgraph_kit::ViewerExt;
use shopgraph_kit::error::internal;
use uuid::Uuid;

use crate::graphql::loaded_carts::LoadedCarts;
use crate::graphql::loader::CartsById;
use crate::graphql::types::{Cart, Product, RequiredCartItem, User};

pub struct Query;

#[Object]
impl Query {
    /// `{"__typename": "User", "id": …}`: any well-formed id resolves; `cart` checks who may see it.
    #[graphql(entity)]
    async fn find_user_by_id(&self, #[graphql(key)] id: ID) -> Option<User> {
        Uuid::parse_str(id.as_str()).ok().map(|id| User { id })
    }

    /// `{"__typename": "Cart", "id": …, "items": [{"product": {"price": {"amount": …, "currency": …}}}, …]}`,
    /// `items` (the `@requires` of `subtotal`) being optional. Needs a signed-in user; a cart that does not
    /// exist or belongs to someone else resolves to null, so cart ids cannot be probed.
    #[graphql(entity)]
    async fn find_cart_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        items: Option<Vec<RequiredCartItem>>,
    ) -> async_graphql::Result<Option<Cart>> {
        let viewer = ctx.viewer().require_user()?;
        let Ok(id) = Uuid::parse_str(id.as_str()) else {
            return Ok(None);
        };
        let Some(record) = ctx
            .data::<LoadedCarts>()?
            .by_id(ctx.data::<DataLoader<CartsById>>()?, id)
            .await
            .map_err(|err| internal("loading cart", err))?
        else {
            return Ok(None);
        };
        let cart = match items {
            Some(items) => Cart::with_required_items(record, items),
            None => Cart::new(record),
        };
        Ok((cart.owner() == viewer.sub).then_some(cart))
    }

    /// `{"__typename": "Product", "id": …}`: a reference; carts knows nothing else about products.
    #[graphql(entity)]
    async fn find_product_by_id(&self, #[graphql(key)] id: ID) -> Option<Product> {
        Uuid::parse_str(id.as_str()).ok().map(|id| Product { id })
    }
}
