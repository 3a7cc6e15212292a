//! Queries: one order by id (its owner or an administrator), and the federation entity resolvers for
//! `Order`, `User` and `Product` by id.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use shopgraph_kit::error::internal;
use shopgraph_kit::{ErrorCode, Viewer, ViewerExt};
use uuid::Uuid;

use super::loader::OrdersById;
use super::types::{Order, Product, User, may_see_orders_of};
use super::{NOT_YOURS, parse_order_id};

pub struct Query;

#[Object]
impl Query {
    /// The order with this id. Its owner and administrators may read it; anyone else gets FORBIDDEN,
    /// whether or not the order exists. Null (for administrators) when there is no such order.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let claims = ctx.viewer().require_user()?;
        let id = parse_order_id(&id)?;
        match load_order(ctx, id).await? {
            Some(order) if may_see_orders_of(claims, order.0.user_id) => Ok(Some(order)),
            None if claims.is_admin() => Ok(None),
            _ => Err(ErrorCode::Forbidden.error(NOT_YOURS)),
        }
    }

    /// Federation: the orders with these ids that the caller may see (their own, or any for an
    /// administrator); null for the others and for ids that do not exist.
    #[graphql(entity)]
    async fn find_order_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
    ) -> Result<Option<Order>> {
        let Viewer::User(claims) = ctx.viewer() else {
            return Ok(None);
        };
        let Ok(id) = Uuid::parse_str(id.as_str()) else {
            return Ok(None);
        };
        Ok(load_order(ctx, id)
            .await?
            .filter(|order| may_see_orders_of(claims, order.0.user_id)))
    }

    /// Federation: `{"__typename": "User", "id": …}`; any well-formed id resolves, and `orders` checks
    /// who may see them.
    #[graphql(entity)]
    async fn find_user_by_id(&self, #[graphql(key)] id: ID) -> Option<User> {
        Uuid::parse_str(id.as_str()).ok().map(|id| User { id })
    }

    /// Federation: `{"__typename": "Product", "id": …}`, a reference; orders knows nothing else about
    /// products beyond its order lines.
    #[graphql(entity)]
    async fn find_product_by_id(&self, #[graphql(key)] id: ID) -> Option<Product> {
        Uuid::parse_str(id.as_str()).ok().map(|id| Product { id })
    }
}

async fn load_order(ctx: &Context<'_>, id: Uuid) -> Result<Option<Order>> {
    let order = ctx
        .data::<DataLoader<OrdersById>>()?
        .load_one(id)
        .await
        .map_err(|e| internal("loading orders", e))?;
    Ok(order.map(Order))
}
