//! Stock reservations of orders, the products side of the checkout saga: reserving every line of a
//! placed order or none ([`reserve`]), turning a reservation into a sale ([`sell`]), releasing it when
//! the order fails ([`release`]), is cancelled ([`cancel`]) or its hold lapses ([`expire`]).
//!
//! Stock accounting: `products.stock` is the number of units available to sell now. Reserving takes
//! the units out of it at once (a conditional `stock = stock - q … WHERE stock >= q`, so it never goes
//! below zero, which a CHECK constraint also guarantees); a sale leaves them out; releasing or
//! restocking puts them back (`stock = stock + q`). An administrator's `setStock`/`updateProduct(stock)`
//! sets the available units directly: units held by reservations are not part of that number, and a
//! reservation released later adds its units on top of whatever was set.
//!
//! Every change is a conditional update on the reservation's status (`… WHERE id = ? AND status = ?`),
//! so applying a change twice, or from two processes at once, changes the stock once. Rows of one order
//! are always visited in product id order, so concurrent transactions lock them in the same order.

pub mod expiry;
pub mod handler;
pub mod settings;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, TransactionTrait,
};
use shopgraph_events::OrderLine;
use uuid::Uuid;

use crate::catalogue;
use crate::entity::product;
use crate::entity::reservation::{self, ReservationStatus};

pub use expiry::{ExpirySweeper, SweepReport};
pub use handler::ReservationHandler;
pub use settings::{ReservationSettings, SettingsError};

/// Why a reservation operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// The event cannot be acted on as it is (retrying cannot help).
    #[error("{0}")]
    Invalid(String),
}

/// What became of a placed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Every line is reserved until `expires_at`.
    Reserved { expires_at: DateTime<Utc> },
    /// Nothing is reserved, for `reason`.
    Rejected { reason: String },
    /// The order has reservations already (it was placed before): nothing changed.
    AlreadyReserved,
}

/// What a confirmation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sale {
    /// Reservations that became sales.
    pub sold: u32,
    /// Lines whose reservation had been released (it expired) and were taken from stock again.
    pub resold: u32,
    /// Lines already sold before (a repeated confirmation).
    pub already_sold: u32,
    /// Lines that could not be taken from stock again: `(product id, quantity wanted, units available)`
    /// (`None` when the product does not exist).
    pub unavailable: Vec<(Uuid, i32, Option<i32>)>,
    /// Lines whose units were restocked after a cancellation; a confirmation leaves them alone.
    pub restocked_before: u32,
}

/// What a release or cancellation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Return {
    /// Reservations released (`RESERVED` → `RELEASED`), units back in stock.
    pub released: u32,
    /// Sales restocked (`SOLD` → `RESTOCKED`), units back in stock.
    pub restocked: u32,
    /// Sold lines left as they are (a failed order never restocks a sale).
    pub kept_sold: u32,
}

/// The lines of an order merged per product (quantities added up), in product id order; or why the
/// order cannot be reserved (no lines, a quantity that is not positive, a total beyond range).
pub fn merged_lines(lines: &[OrderLine]) -> Result<Vec<(Uuid, i32)>, String> {
    if lines.is_empty() {
        return Err(String::from("the order has no lines"));
    }
    let mut merged: BTreeMap<Uuid, i64> = BTreeMap::new();
    for line in lines {
        if line.quantity <= 0 {
            return Err(format!(
                "invalid quantity {} for product {}",
                line.quantity, line.product_id
            ));
        }
        *merged.entry(line.product_id).or_default() += i64::from(line.quantity);
    }
    merged
        .into_iter()
        .map(|(product_id, quantity)| {
            i32::try_from(quantity)
                .map(|quantity| (product_id, quantity))
                .map_err(|_| format!("quantity {quantity} of product {product_id} is too large"))
        })
        .collect()
}

/// Reserves every line of order `order_id` until now + `ttl`, or nothing. Inside `txn`, under a
/// savepoint: each line's stock is decremented with a conditional update; at the first line that
/// cannot be (unknown product, not enough stock) the savepoint is rolled back, so no stock change
/// remains, and the reason is returned. An order that has reservations already is left alone.
pub async fn reserve(
    txn: &DatabaseTransaction,
    order_id: Uuid,
    lines: &[OrderLine],
    ttl: Duration,
) -> Result<Placement, ReservationError> {
    if !of_order(txn, order_id).await?.is_empty() {
        return Ok(Placement::AlreadyReserved);
    }
    let wanted = match merged_lines(lines) {
        Ok(wanted) => wanted,
        Err(reason) => return Ok(Placement::Rejected { reason }),
    };
    let now = catalogue::now();
    let expires_at = chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .ok_or_else(|| {
            ReservationError::Invalid(format!("reservation lifetime {ttl:?} is out of range"))
        })?;
    let savepoint = txn.begin().await?;
    for (product_id, quantity) in &wanted {
        if !take_stock(&savepoint, *product_id, *quantity, now).await? {
            let reason = shortage(&savepoint, *product_id, *quantity).await?;
            savepoint.rollback().await?;
            return Ok(Placement::Rejected { reason });
        }
    }
    let rows = wanted
        .iter()
        .map(|(product_id, quantity)| reservation::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order_id),
            product_id: Set(*product_id),
            quantity: Set(*quantity),
            status: Set(ReservationStatus::Reserved.as_str().to_owned()),
            expires_at: Set(expires_at),
            created_at: Set(now),
            updated_at: Set(now),
        });
    reservation::Entity::insert_many(rows)
        .exec_without_returning(&savepoint)
        .await?;
    savepoint.commit().await?;
    Ok(Placement::Reserved { expires_at })
}

/// Turns the reservations of a confirmed order into sales. `RESERVED` → `SOLD`. A reservation already
/// `RELEASED` (its hold expired before the order was paid) is taken from stock again if there is enough
/// (→ `SOLD`); if not, it stays `RELEASED` and is listed in [`Sale::unavailable`] for the caller to
/// report. An order without reservations is sold from `lines` the same way. Repeating it changes nothing.
pub async fn sell(
    txn: &DatabaseTransaction,
    order_id: Uuid,
    lines: &[OrderLine],
) -> Result<Sale, ReservationError> {
    let now = catalogue::now();
    let mut sale = Sale::default();
    let rows = of_order(txn, order_id).await?;
    if rows.is_empty() {
        let wanted = merged_lines(lines).map_err(|reason| {
            ReservationError::Invalid(format!(
                "order {order_id} has no reservations and its lines cannot be sold: {reason}"
            ))
        })?;
        for (product_id, quantity) in wanted {
            if take_stock(txn, product_id, quantity, now).await? {
                reservation::Entity::insert(reservation::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    order_id: Set(order_id),
                    product_id: Set(product_id),
                    quantity: Set(quantity),
                    status: Set(ReservationStatus::Sold.as_str().to_owned()),
                    expires_at: Set(now),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
                sale.resold += 1;
            } else {
                let available = available(txn, product_id).await?;
                sale.unavailable.push((product_id, quantity, available));
            }
        }
        return Ok(sale);
    }
    for row in rows {
        if transition(
            txn,
            &row,
            ReservationStatus::Reserved,
            ReservationStatus::Sold,
            now,
        )
        .await?
        {
            sale.sold += 1;
            continue;
        }
        // Not RESERVED (any more): look at what it is now, in this transaction.
        match current_status(txn, row.id).await? {
            Some(ReservationStatus::Sold) => sale.already_sold += 1,
            Some(ReservationStatus::Restocked) => sale.restocked_before += 1,
            Some(ReservationStatus::Released) => {
                let savepoint = txn.begin().await?;
                let claimed = transition(
                    &savepoint,
                    &row,
                    ReservationStatus::Released,
                    ReservationStatus::Sold,
                    now,
                )
                .await?;
                if !claimed {
                    savepoint.rollback().await?;
                    return Err(changed_concurrently(order_id, &row));
                }
                if take_stock(&savepoint, row.product_id, row.quantity, now).await? {
                    savepoint.commit().await?;
                    sale.resold += 1;
                } else {
                    savepoint.rollback().await?;
                    let available = available(txn, row.product_id).await?;
                    sale.unavailable
                        .push((row.product_id, row.quantity, available));
                }
            }
            // Still RESERVED although the update did not match, or gone: a concurrent change in
            // flight; the consumer retries the event.
            Some(ReservationStatus::Reserved) | None => {
                return Err(changed_concurrently(order_id, &row));
            }
        }
    }
    Ok(sale)
}

/// A reservation that changed between two statements of this transaction; retrying sees it settled.
fn changed_concurrently(order_id: Uuid, row: &reservation::Model) -> ReservationError {
    ReservationError::Database(DbErr::Custom(format!(
        "reservation {} of order {order_id} changed concurrently",
        row.id
    )))
}

/// Releases the `RESERVED` reservations of a failed order (units back in stock). Sold lines are kept;
/// released or restocked ones are left alone, so repeating it changes nothing.
pub async fn release(txn: &DatabaseTransaction, order_id: Uuid) -> Result<Return, DbErr> {
    let now = catalogue::now();
    let mut result = Return::default();
    for row in of_order(txn, order_id).await? {
        if transition(
            txn,
            &row,
            ReservationStatus::Reserved,
            ReservationStatus::Released,
            now,
        )
        .await?
        {
            give_back(txn, &row, now).await?;
            result.released += 1;
        } else if current_status(txn, row.id).await? == Some(ReservationStatus::Sold) {
            result.kept_sold += 1;
        }
    }
    Ok(result)
}

/// Undoes the reservations of a cancelled order: `RESERVED` → `RELEASED` and `SOLD` → `RESTOCKED`,
/// units back in stock either way. Repeating it changes nothing.
pub async fn cancel(txn: &DatabaseTransaction, order_id: Uuid) -> Result<Return, DbErr> {
    let now = catalogue::now();
    let mut result = Return::default();
    for row in of_order(txn, order_id).await? {
        if transition(
            txn,
            &row,
            ReservationStatus::Reserved,
            ReservationStatus::Released,
            now,
        )
        .await?
        {
            give_back(txn, &row, now).await?;
            result.released += 1;
        } else if transition(
            txn,
            &row,
            ReservationStatus::Sold,
            ReservationStatus::Restocked,
            now,
        )
        .await?
        {
            give_back(txn, &row, now).await?;
            result.restocked += 1;
        }
    }
    Ok(result)
}

/// Releases those of `rows` (reservations of one order) that are still `RESERVED` and expired at
/// `now`, units back in stock; returns how many it released. Two sweepers racing over the same rows
/// release each row once: the status update is conditional.
pub async fn expire(
    conn: &impl ConnectionTrait,
    rows: &[reservation::Model],
    now: DateTime<Utc>,
) -> Result<u32, DbErr> {
    let mut rows: Vec<&reservation::Model> = rows.iter().collect();
    rows.sort_by_key(|row| row.product_id);
    let mut released = 0;
    for row in rows {
        let changed = reservation::Entity::update_many()
            .col_expr(
                reservation::Column::Status,
                Expr::val(ReservationStatus::Released.as_str()),
            )
            .col_expr(reservation::Column::UpdatedAt, Expr::val(now))
            .filter(reservation::Column::Id.eq(row.id))
            .filter(reservation::Column::Status.eq(ReservationStatus::Reserved.as_str()))
            .filter(reservation::Column::ExpiresAt.lte(now))
            .exec(conn)
            .await?
            .rows_affected;
        if changed == 1 {
            give_back(conn, row, now).await?;
            released += 1;
        }
    }
    Ok(released)
}

/// The reservations of `order_id`, in product id order.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<reservation::Model>, DbErr> {
    let mut rows = reservation::Entity::find()
        .filter(reservation::Column::OrderId.eq(order_id))
        .all(conn)
        .await?;
    rows.sort_by_key(|row| row.product_id);
    Ok(rows)
}

/// Takes `quantity` units of `product_id` from stock if there are that many: one conditional update.
async fn take_stock(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    quantity: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = product::Entity::update_many()
        .col_expr(
            product::Column::Stock,
            Expr::col(product::Column::Stock).sub(quantity),
        )
        .col_expr(product::Column::UpdatedAt, Expr::val(now))
        .filter(product::Column::Id.eq(product_id))
        .filter(product::Column::Stock.gte(quantity))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

/// Puts the units of `row` back into its product's stock.
async fn give_back(
    conn: &impl ConnectionTrait,
    row: &reservation::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let changed = product::Entity::update_many()
        .col_expr(
            product::Column::Stock,
            Expr::col(product::Column::Stock).add(row.quantity),
        )
        .col_expr(product::Column::UpdatedAt, Expr::val(now))
        .filter(product::Column::Id.eq(row.product_id))
        .exec(conn)
        .await?
        .rows_affected;
    if changed == 0 {
        tracing::warn!(
            product_id = %row.product_id,
            order_id = %row.order_id,
            quantity = row.quantity,
            "cannot put units back: the product does not exist"
        );
    }
    Ok(())
}

/// Moves `row` from `from` to `to` if it is in `from` now; whether it did.
async fn transition(
    conn: &impl ConnectionTrait,
    row: &reservation::Model,
    from: ReservationStatus,
    to: ReservationStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = reservation::Entity::update_many()
        .col_expr(reservation::Column::Status, Expr::val(to.as_str()))
        .col_expr(reservation::Column::UpdatedAt, Expr::val(now))
        .filter(reservation::Column::Id.eq(row.id))
        .filter(reservation::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

async fn current_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<ReservationStatus>, DbErr> {
    Ok(reservation::Entity::find_by_id(id)
        .one(conn)
        .await?
        .and_then(|row| row.status()))
}

/// The units of `product_id` available now; `None` when it does not exist.
async fn available(conn: &impl ConnectionTrait, product_id: Uuid) -> Result<Option<i32>, DbErr> {
    Ok(product::Entity::find_by_id(product_id)
        .one(conn)
        .await?
        .map(|product| product.stock))
}

/// Why `quantity` units of `product_id` cannot be reserved.
async fn shortage(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    quantity: i32,
) -> Result<String, DbErr> {
    Ok(
        match product::Entity::find_by_id(product_id).one(conn).await? {
            None => format!("product {product_id} does not exist"),
            Some(product) => format!(
                "not enough stock of {} (product {product_id}): {quantity} requested, {} available",
                product.name, product.stock
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use shopgraph_events::Money;

    use super::*;

    fn line(product_id: Uuid, quantity: i32) -> OrderLine {
        OrderLine {
            product_id,
            name: String::from("Mug"),
            quantity,
            unit_price: Money::new(500, "USD"),
        }
    }

    #[test]
    fn lines_merge_per_product_in_product_id_order() {
        let (a, b) = {
            let mut ids = [Uuid::new_v4(), Uuid::new_v4()];
            ids.sort();
            (ids[0], ids[1])
        };
        assert_eq!(
            merged_lines(&[line(b, 1), line(a, 2), line(b, 3)]).unwrap(),
            vec![(a, 2), (b, 4)]
        );
    }

    #[test]
    fn empty_orders_non_positive_and_huge_quantities_are_refused() {
        let id = Uuid::new_v4();
        assert_eq!(merged_lines(&[]).unwrap_err(), "the order has no lines");
        assert!(
            merged_lines(&[line(id, 0)])
                .unwrap_err()
                .contains("invalid quantity 0")
        );
        assert!(merged_lines(&[line(id, -2)]).is_err());
        assert!(
            merged_lines(&[line(id, i32::MAX), line(id, 1)])
                .unwrap_err()
                .contains("too large")
        );
    }
}
