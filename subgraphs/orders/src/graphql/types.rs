//! The orders subgraph's object types: `Order` (an entity) with its lines, status history, payment and
//! shipping address; the `Product` and `User` references (orders adds `User.orders`).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use shopgraph_kit::error::internal;
use shopgraph_kit::{Claims, ErrorCode, Money, ViewerExt};
use uuid::Uuid;

use super::connection::{self, OrderConnection};
use super::loader::{HistoryByOrder, LinesByOrder};
use crate::entity::{order, order_line, order_status_change};
use crate::status::{OrderStatus, PaymentStatus};
use crate::store;

/// Whether `claims` may see the orders of `owner`: the owner and administrators may.
pub fn may_see_orders_of(claims: &Claims, owner: Uuid) -> bool {
    claims.sub == owner || claims.is_admin()
}

/// An order: a snapshot of the cart at checkout, with its progress through payment and delivery.
pub struct Order(pub order::Model);

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Who placed the order.
    async fn user(&self) -> User {
        User { id: self.0.user_id }
    }

    /// The ordered products, in cart order, at their prices when the order was placed.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderLine>> {
        let lines = ctx
            .data::<DataLoader<LinesByOrder>>()?
            .load_one(self.0.id)
            .await
            .map_err(|e| internal("loading order lines", e))?
            .unwrap_or_default();
        Ok(lines.into_iter().map(OrderLine).collect())
    }

    /// The sum of the line totals.
    async fn total(&self) -> Money {
        Money::new(self.0.total_amount, self.0.currency.clone())
    }

    async fn status(&self) -> Result<OrderStatus> {
        store::status_of(&self.0).map_err(|e| internal("reading an order's status", e))
    }

    /// Every status the order entered, oldest first, with when and why.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<OrderStatusChange>> {
        let changes = ctx
            .data::<DataLoader<HistoryByOrder>>()?
            .load_one(self.0.id)
            .await
            .map_err(|e| internal("loading order history", e))?
            .unwrap_or_default();
        changes
            .into_iter()
            .map(|change| {
                let status = OrderStatus::parse(&change.status).ok_or_else(|| {
                    internal(
                        "reading an order's history",
                        format!("unknown status `{}`", change.status),
                    )
                })?;
                Ok(OrderStatusChange { status, change })
            })
            .collect()
    }

    async fn payment(&self) -> Result<Payment> {
        let status = store::payment_status_of(&self.0)
            .map_err(|e| internal("reading an order's payment status", e))?;
        Ok(Payment {
            status,
            reference: self.0.payment_reference.clone(),
            failure_reason: self.0.payment_failure_reason.clone(),
        })
    }

    async fn shipping_address(&self) -> ShippingAddress {
        let order = &self.0;
        ShippingAddress {
            name: order.shipping_name.clone(),
            line1: order.shipping_line1.clone(),
            line2: order.shipping_line2.clone(),
            city: order.shipping_city.clone(),
            postal_code: order.shipping_postal_code.clone(),
            country: order.shipping_country.clone(),
        }
    }

    /// When the order was placed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the order last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One line of an order.
pub struct OrderLine(order_line::Model);

#[Object]
impl OrderLine {
    async fn product(&self) -> Product {
        Product {
            id: self.0.product_id,
        }
    }

    /// The product's name when the order was placed.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The price of one unit when the order was placed.
    async fn unit_price(&self) -> Money {
        Money::new(self.0.unit_price_amount, self.0.currency.clone())
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// `unitPrice` times `quantity`.
    async fn line_total(&self) -> Money {
        Money::new(self.0.line_total_amount, self.0.currency.clone())
    }
}

/// A status an order entered.
pub struct OrderStatusChange {
    status: OrderStatus,
    change: order_status_change::Model,
}

#[Object]
impl OrderStatusChange {
    async fn status(&self) -> OrderStatus {
        self.status
    }

    async fn at(&self) -> DateTime<Utc> {
        self.change.at
    }

    /// Why, for example `payment declined` or `cancelled by the customer`.
    async fn reason(&self) -> Option<&str> {
        self.change.reason.as_deref()
    }
}

/// The payment of an order.
#[derive(SimpleObject)]
pub struct Payment {
    pub status: PaymentStatus,
    /// The payment provider's reference of the charge, once charged.
    pub reference: Option<String>,
    /// Why the charge failed, when it did.
    pub failure_reason: Option<String>,
}

/// Where an order is delivered.
#[derive(SimpleObject)]
pub struct ShippingAddress {
    /// The recipient.
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, for example `DE`.
    pub country: String,
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
}

/// A user of the users subgraph; orders adds their orders.
pub struct User {
    pub id: Uuid,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The user's orders, newest first: the first `first` (0 to 100) after the cursor `after`. Only the
    /// user themselves and administrators may see them.
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let claims = ctx.viewer().require_user()?;
        if !may_see_orders_of(claims, self.id) {
            return Err(ErrorCode::Forbidden.error("you may only see your own orders"));
        }
        connection::page(ctx, self.id, first, after.as_deref()).await
    }
}
