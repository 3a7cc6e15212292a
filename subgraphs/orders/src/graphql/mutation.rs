//! Mutations: checkout (the caller's cart becomes a PENDING order, idempotently), cancelling an order
//! (its owner or an administrator; refunded if paid), and an administrator marking an order shipped or
//! delivered.

use async_graphql::{Context, ID, InputObject, Object, Result};
use sea_orm::DatabaseConnection;
use shopgraph_kit::error::internal;
use shopgraph_kit::{CallerAuthorization, Claims, ErrorCode, TraceParent, ViewerExt};

use super::types::{Order, may_see_orders_of};
use super::{NOT_YOURS, checkout_error, lifecycle_error, parse_order_id};
use crate::address::RawAddress;
use crate::checkout::{self, CheckoutRequest};
use crate::entity::order;
use crate::lifecycle;
use crate::payment::SharedPaymentProvider;
use crate::snapshot::Upstream;
use crate::status::OrderStatus;
use crate::store;

pub struct Mutation;

/// Where to deliver an order. Text is trimmed.
#[derive(Debug, InputObject)]
#[graphql(name = "ShippingAddressInput")]
pub struct ShippingAddressInput {
    /// The recipient, 1 to 100 characters.
    pub name: String,
    /// 1 to 200 characters.
    pub line1: String,
    /// Up to 200 characters; blank means none.
    pub line2: Option<String>,
    /// 1 to 100 characters.
    pub city: String,
    /// 1 to 20 letters, digits, spaces or dashes.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, for example `DE` (any letter case).
    pub country: String,
}

/// What checkout needs besides the cart.
#[derive(Debug, InputObject)]
pub struct CheckoutInput {
    pub shipping_address: ShippingAddressInput,
    /// The payment method to charge once the stock is reserved, as a token from the payment provider.
    /// The built-in simulated provider knows these test tokens: `tok_visa` (the charge succeeds),
    /// `tok_decline` (declined), `tok_insufficient_funds` (insufficient funds), `tok_timeout` (the
    /// provider does not answer in time: the payment times out); any other token is not valid. Each
    /// failure fails the order with the reason.
    pub payment_token: String,
}

#[Object]
impl Mutation {
    /// Places an order for everything in the caller's cart, at the current prices, as PENDING; the
    /// stock is reserved and the payment taken afterwards (watch `status`). Calling again with the same
    /// `idempotencyKey` returns the same order, never a second one, whatever the cart holds by then.
    /// BAD_USER_INPUT for an empty cart or invalid input; SERVICE_UNAVAILABLE (nothing ordered) when the
    /// cart or the prices cannot be fetched. PRODUCT_UNAVAILABLE (nothing ordered) when a line's product
    /// is archived or no longer exists (`CartItem.available: false`): the message names every such line,
    /// and checkout never drops lines silently — remove them with `removeFromCart`, then check out again.
    async fn checkout(
        &self,
        ctx: &Context<'_>,
        input: CheckoutInput,
        idempotency_key: String,
    ) -> Result<Order> {
        let claims = ctx.viewer().require_user()?;
        let address = input.shipping_address;
        let request = CheckoutRequest {
            user_id: claims.sub,
            authorization: ctx
                .data_opt::<CallerAuthorization>()
                .map(|header| header.0.clone()),
            traceparent: ctx.data_opt::<TraceParent>().map(|t| t.0.clone()),
            idempotency_key,
            payment_token: input.payment_token,
            address: RawAddress {
                name: address.name,
                line1: address.line1,
                line2: address.line2,
                city: address.city,
                postal_code: address.postal_code,
                country: address.country,
            },
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let upstream = ctx.data::<Upstream>()?;
        let placed = checkout::checkout(db, upstream, request)
            .await
            .map_err(checkout_error)?;
        Ok(Order(placed.into_order()))
    }

    /// Cancels an order that has not shipped yet (PENDING, PAYMENT_PENDING or CONFIRMED); a paid order
    /// is refunded. Its owner or an administrator may. CONFLICT when the order can no longer be
    /// cancelled.
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let claims = ctx.viewer().require_user()?;
        let order = order_for_change(ctx, claims, &id).await?;
        let reason = if order.user_id == claims.sub {
            "cancelled by the customer"
        } else {
            "cancelled by an administrator"
        };
        let db = ctx.data::<DatabaseConnection>()?;
        let payments = ctx.data::<SharedPaymentProvider>()?;
        let order = lifecycle::cancel(db, payments.as_ref(), order.id, reason)
            .await
            .map_err(lifecycle_error)?;
        Ok(Order(order))
    }

    /// Marks a CONFIRMED order as handed to the carrier. Administrators only.
    async fn mark_shipped(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        advance(ctx, &id, OrderStatus::Shipped, "shipped").await
    }

    /// Marks a SHIPPED order as received by the customer. Administrators only.
    async fn mark_delivered(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        advance(ctx, &id, OrderStatus::Delivered, "delivered").await
    }
}

async fn advance(ctx: &Context<'_>, id: &ID, to: OrderStatus, reason: &str) -> Result<Order> {
    let claims = ctx.viewer().require_admin()?;
    let order = order_for_change(ctx, claims, id).await?;
    let db = ctx.data::<DatabaseConnection>()?;
    let order = lifecycle::advance(db, order.id, to, reason)
        .await
        .map_err(lifecycle_error)?;
    Ok(Order(order))
}

/// The order `id` names, if `claims` may change it: NOT_FOUND for an administrator when it does not
/// exist; FORBIDDEN for anyone else unless it is theirs.
async fn order_for_change(ctx: &Context<'_>, claims: &Claims, id: &ID) -> Result<order::Model> {
    let id = parse_order_id(id)?;
    let db = ctx.data::<DatabaseConnection>()?;
    let order = store::find(db, id)
        .await
        .map_err(|e| internal("loading an order", e))?;
    match order {
        Some(order) if may_see_orders_of(claims, order.user_id) => Ok(order),
        None if claims.is_admin() => {
            Err(ErrorCode::NotFound.error(format!("order {id} does not exist")))
        }
        _ => Err(ErrorCode::Forbidden.error(NOT_YOURS)),
    }
}
