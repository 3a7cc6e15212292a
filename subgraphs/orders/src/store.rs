//! Reading and writing orders: placing an order (order, lines, first status entry and `OrderPlaced` in one
//! transaction; the unique (user, idempotency key) index turns a repeated or concurrent checkout into the
//! first order), loading orders, lines and histories in batches, a user's orders newest first by keyset,
//! and the one way an order's status changes — [`transition`], which checks the state machine, updates
//! only if the status is still the one it was read with, and appends the status history entry in the
//! caller's transaction.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use shopgraph_events::{Money as EventMoney, OrderLine as EventLine, OrderPlaced, outbox};
use uuid::Uuid;

use crate::address::ShippingAddress;
use crate::entity::{order, order_line, order_status_change};
use crate::snapshot::CartSnapshot;
use crate::status::{IllegalTransition, OrderStatus, PaymentStatus};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// The order's status changed since it was read; nothing was written.
    #[error("order {order_id} is no longer {expected}")]
    Stale {
        order_id: Uuid,
        expected: OrderStatus,
    },
    #[error("order {order_id} has the unknown {what} `{value}`")]
    Corrupt {
        order_id: Uuid,
        what: &'static str,
        value: String,
    },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// The status of `order`.
pub fn status_of(order: &order::Model) -> Result<OrderStatus, StoreError> {
    OrderStatus::parse(&order.status).ok_or_else(|| StoreError::Corrupt {
        order_id: order.id,
        what: "status",
        value: order.status.clone(),
    })
}

/// The payment status of `order`.
pub fn payment_status_of(order: &order::Model) -> Result<PaymentStatus, StoreError> {
    PaymentStatus::parse(&order.payment_status).ok_or_else(|| StoreError::Corrupt {
        order_id: order.id,
        what: "payment status",
        value: order.payment_status.clone(),
    })
}

/// An order about to be placed.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub user_id: Uuid,
    pub idempotency_key: String,
    pub payment_token: String,
    pub address: ShippingAddress,
    pub snapshot: CartSnapshot,
    /// Trace context of the checkout request, carried on by `OrderPlaced`.
    pub traceparent: Option<String>,
}

/// What placing an order did.
#[derive(Debug, Clone)]
pub enum Placed {
    /// The order was stored, with its `OrderPlaced` event.
    Created(order::Model),
    /// The user placed an order with this idempotency key before: that order, unchanged.
    Existing(order::Model),
}

impl Placed {
    pub fn into_order(self) -> order::Model {
        match self {
            Placed::Created(order) | Placed::Existing(order) => order,
        }
    }
}

/// The order `user_id` placed with `idempotency_key`, if any.
pub async fn find_by_idempotency_key(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    idempotency_key: &str,
) -> Result<Option<order::Model>, DbErr> {
    order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .filter(order::Column::IdempotencyKey.eq(idempotency_key))
        .one(conn)
        .await
}

/// Stores `new` as a PENDING order with its lines, its first status entry and an `OrderPlaced` event, in
/// one transaction. If the user has an order with the same idempotency key — placed before, or
/// concurrently and committed first — that order is returned instead and nothing is written.
pub async fn place(db: &DatabaseConnection, new: NewOrder) -> Result<Placed, StoreError> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let snapshot = &new.snapshot;
    let row = order::ActiveModel {
        id: Set(id),
        user_id: Set(new.user_id),
        idempotency_key: Set(new.idempotency_key.clone()),
        status: Set(OrderStatus::Pending.as_str().to_owned()),
        total_amount: Set(snapshot.total),
        currency: Set(snapshot.currency.clone()),
        payment_token: Set(new.payment_token.clone()),
        payment_status: Set(PaymentStatus::Unpaid.as_str().to_owned()),
        payment_reference: Set(None),
        payment_failure_reason: Set(None),
        shipping_name: Set(new.address.name.clone()),
        shipping_line1: Set(new.address.line1.clone()),
        shipping_line2: Set(new.address.line2.clone()),
        shipping_city: Set(new.address.city.clone()),
        shipping_postal_code: Set(new.address.postal_code.clone()),
        shipping_country: Set(new.address.country.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    let order = match row.insert(&txn).await {
        Ok(order) => order,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            return match find_by_idempotency_key(db, new.user_id, &new.idempotency_key).await? {
                Some(existing) => Ok(Placed::Existing(existing)),
                None => Err(StoreError::Database(err)),
            };
        }
        Err(err) => return Err(err.into()),
    };
    let lines: Vec<order_line::ActiveModel> = snapshot
        .lines
        .iter()
        .enumerate()
        .map(|(position, line)| order_line::ActiveModel {
            order_id: Set(id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            product_id: Set(line.product_id),
            name: Set(line.name.clone()),
            unit_price_amount: Set(line.unit_price),
            currency: Set(snapshot.currency.clone()),
            quantity: Set(line.quantity),
            line_total_amount: Set(line.line_total),
        })
        .collect();
    order_line::Entity::insert_many(lines)
        .exec_without_returning(&txn)
        .await?;
    append_history(&txn, id, OrderStatus::Pending, Some("order placed"), now).await?;
    let event = OrderPlaced {
        order_id: id,
        user_id: new.user_id,
        lines: snapshot
            .lines
            .iter()
            .map(|line| EventLine {
                product_id: line.product_id,
                name: line.name.clone(),
                quantity: line.quantity,
                unit_price: EventMoney::new(line.unit_price, snapshot.currency.clone()),
            })
            .collect(),
        total: EventMoney::new(snapshot.total, snapshot.currency.clone()),
    };
    outbox::append(&txn, crate::SERVICE, event, new.traceparent.clone()).await?;
    txn.commit().await?;
    outbox::wake_relays();
    Ok(Placed::Created(order))
}

async fn append_history(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
    at: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    order_status_change::Entity::insert(order_status_change::ActiveModel {
        order_id: Set(order_id),
        status: Set(status.as_str().to_owned()),
        reason: Set(reason.map(str::to_owned)),
        at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// What a status change does to the payment fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentChange {
    /// Leaves them as they are.
    Keep,
    /// The charge `reference` succeeded.
    Paid { reference: String },
    /// The charge failed for `reason`.
    Failed { reason: String },
    /// The charge was paid back (the reference stays).
    Refunded,
}

/// Moves `order` (as read) to `to`, recording `reason` in its history, in the caller's transaction
/// `conn`. Fails with `Illegal` if the state machine forbids the move, and with `Stale` (writing
/// nothing) if the order's status is no longer the one `order` holds. Returns the order as updated.
pub async fn transition(
    conn: &impl ConnectionTrait,
    order: &order::Model,
    to: OrderStatus,
    reason: &str,
    payment: PaymentChange,
) -> Result<order::Model, StoreError> {
    let from = status_of(order)?;
    from.transition(to)?;
    let now = Utc::now();
    let mut updated = order.clone();
    updated.status = to.as_str().to_owned();
    updated.updated_at = now;
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now));
    match payment {
        PaymentChange::Keep => {}
        PaymentChange::Paid { reference } => {
            update = update
                .col_expr(
                    order::Column::PaymentStatus,
                    Expr::value(PaymentStatus::Paid.as_str()),
                )
                .col_expr(
                    order::Column::PaymentReference,
                    Expr::value(reference.clone()),
                );
            updated.payment_status = PaymentStatus::Paid.as_str().to_owned();
            updated.payment_reference = Some(reference);
        }
        PaymentChange::Failed { reason } => {
            update = update
                .col_expr(
                    order::Column::PaymentStatus,
                    Expr::value(PaymentStatus::Failed.as_str()),
                )
                .col_expr(
                    order::Column::PaymentFailureReason,
                    Expr::value(reason.clone()),
                );
            updated.payment_status = PaymentStatus::Failed.as_str().to_owned();
            updated.payment_failure_reason = Some(reason);
        }
        PaymentChange::Refunded => {
            update = update.col_expr(
                order::Column::PaymentStatus,
                Expr::value(PaymentStatus::Refunded.as_str()),
            );
            updated.payment_status = PaymentStatus::Refunded.as_str().to_owned();
        }
    }
    let result = update
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::Stale {
            order_id: order.id,
            expected: from,
        });
    }
    append_history(conn, order.id, to, Some(reason), now).await?;
    Ok(updated)
}

/// Records on an order that already left the payment flow (CANCELLED or FAILED while its charge was in
/// flight) that the charge `reference` went through after all: its payment becomes PAID, which marks it
/// for a refund (see [`stray_charges`]). The status does not change. Returns whether it was recorded.
pub async fn record_stray_charge(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    reference: &str,
) -> Result<bool, DbErr> {
    let result = order::Entity::update_many()
        .col_expr(
            order::Column::PaymentStatus,
            Expr::value(PaymentStatus::Paid.as_str()),
        )
        .col_expr(order::Column::PaymentReference, Expr::value(reference))
        .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.is_in([
            OrderStatus::Cancelled.as_str(),
            OrderStatus::Failed.as_str(),
        ]))
        .filter(order::Column::PaymentStatus.eq(PaymentStatus::Unpaid.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Up to `limit` CANCELLED or FAILED orders whose payment is still PAID: charges that went through after
/// the order had left the payment flow, waiting for their refund.
pub async fn stray_charges(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<order::Model>, DbErr> {
    order::Entity::find()
        .filter(order::Column::Status.is_in([
            OrderStatus::Cancelled.as_str(),
            OrderStatus::Failed.as_str(),
        ]))
        .filter(order::Column::PaymentStatus.eq(PaymentStatus::Paid.as_str()))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Records that the stray charge `reference` of `order_id` was refunded (PAID → REFUNDED, the status
/// unchanged). Returns whether it was recorded.
pub async fn record_stray_refund(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    reference: &str,
) -> Result<bool, DbErr> {
    let result = order::Entity::update_many()
        .col_expr(
            order::Column::PaymentStatus,
            Expr::value(PaymentStatus::Refunded.as_str()),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::PaymentStatus.eq(PaymentStatus::Paid.as_str()))
        .filter(order::Column::PaymentReference.eq(reference))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The order with `id`.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<order::Model>, DbErr> {
    order::Entity::find_by_id(id).one(conn).await
}

/// The orders with these ids (unknown ids left out), in one query.
pub async fn find_many(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<order::Model>, DbErr> {
    order::Entity::find()
        .filter(order::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await
}

/// The lines of these orders, by order, each in position order; one query.
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    order_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<order_line::Model>>, DbErr> {
    let rows = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_line::Column::OrderId)
        .order_by_asc(order_line::Column::Position)
        .all(conn)
        .await?;
    let mut lines: HashMap<Uuid, Vec<order_line::Model>> = HashMap::new();
    for row in rows {
        lines.entry(row.order_id).or_default().push(row);
    }
    Ok(lines)
}

/// The status histories of these orders, by order, each oldest first; one query.
pub async fn history_of(
    conn: &impl ConnectionTrait,
    order_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<order_status_change::Model>>, DbErr> {
    let rows = order_status_change::Entity::find()
        .filter(order_status_change::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_status_change::Column::Id)
        .all(conn)
        .await?;
    let mut history: HashMap<Uuid, Vec<order_status_change::Model>> = HashMap::new();
    for row in rows {
        history.entry(row.order_id).or_default().push(row);
    }
    Ok(history)
}

/// The event form of an order's lines.
pub fn event_lines(lines: &[order_line::Model]) -> Vec<EventLine> {
    lines
        .iter()
        .map(|line| EventLine {
            product_id: line.product_id,
            name: line.name.clone(),
            quantity: line.quantity,
            unit_price: EventMoney::new(line.unit_price_amount, line.currency.clone()),
        })
        .collect()
}

/// One page of a user's orders, newest first.
#[derive(Debug, Clone)]
pub struct OrderPage {
    pub orders: Vec<order::Model>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// The first `first` orders of `user_id` after the order `after` (exclusive), newest first. Order ids
/// are UUIDv7, so descending id order is newest first; the keyset is the id alone.
pub async fn page_of_user(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    first: u64,
    after: Option<Uuid>,
) -> Result<OrderPage, DbErr> {
    let mut select = order::Entity::find().filter(order::Column::UserId.eq(user_id));
    if let Some(after) = after {
        select = select.filter(order::Column::Id.lt(after));
    }
    let mut orders = select
        .order_by_desc(order::Column::Id)
        .limit(first.saturating_add(1))
        .all(conn)
        .await?;
    let has_next_page = orders.len() as u64 > first;
    orders.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    let has_previous_page = match after {
        Some(after) => order::Entity::find()
            .filter(order::Column::UserId.eq(user_id))
            .filter(order::Column::Id.gte(after))
            .select_only()
            .column(order::Column::Id)
            .into_tuple::<Uuid>()
            .one(conn)
            .await?
            .is_some(),
        None => false,
    };
    Ok(OrderPage {
        orders,
        has_next_page,
        has_previous_page,
    })
}

/// How many orders `user_id` has.
pub async fn count_of_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .count(conn)
        .await
}

/// Up to `limit` orders in `status`, oldest first.
pub async fn in_status(
    conn: &impl ConnectionTrait,
    status: OrderStatus,
    limit: u64,
) -> Result<Vec<order::Model>, DbErr> {
    order::Entity::find()
        .filter(order::Column::Status.eq(status.as_str()))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}
