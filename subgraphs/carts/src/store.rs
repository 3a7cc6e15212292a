//! Cart persistence: loading carts with their lines (batched by user or by cart id), creating a user's cart
//! lazily and race-free, the atomic line changes behind the mutations, and taking a confirmed order's
//! quantities out of the cart.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use crate::entity::{cart, cart_item};

/// The largest quantity one line of a cart may hold.
pub const MAX_LINE_QUANTITY: i32 = 999;

/// Why a cart operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// The product has no line in the cart.
    #[error("product {product_id} is not in the cart")]
    LineNotFound { product_id: Uuid },
    /// The change would take the line above `MAX_LINE_QUANTITY`.
    #[error("a cart line may hold at most {MAX_LINE_QUANTITY} items")]
    QuantityLimit,
    /// The cart row was not there right after it was created or changed (it was deleted concurrently).
    #[error("cart of user {user_id} disappeared while it was in use")]
    CartVanished { user_id: Uuid },
}

/// A cart with its lines, ordered by `added_at`, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRecord {
    pub cart: cart::Model,
    pub items: Vec<cart_item::Model>,
}

/// Now, at the microsecond precision both SQLite and PostgreSQL keep, so stored and returned times agree.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The carts of `user_ids` with their lines; users without a cart get an empty one created first. At most
/// four queries, however many users: select carts, insert the missing ones, select those, select the lines.
pub async fn carts_of_users(
    db: &DatabaseConnection,
    user_ids: &[Uuid],
) -> Result<HashMap<Uuid, CartRecord>, StoreError> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut carts = cart::Entity::find()
        .filter(cart::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    let missing: Vec<Uuid> = user_ids
        .iter()
        .copied()
        .filter(|user| !carts.iter().any(|c| c.user_id == *user))
        .collect();
    if !missing.is_empty() {
        create_carts(db, &missing).await?;
        let created = cart::Entity::find()
            .filter(cart::Column::UserId.is_in(missing.iter().copied()))
            .all(db)
            .await?;
        if let Some(user_id) = missing
            .iter()
            .copied()
            .find(|user| !created.iter().any(|c| c.user_id == *user))
        {
            return Err(StoreError::CartVanished { user_id });
        }
        carts.extend(created);
    }
    let mut records = with_items(db, carts).await?;
    Ok(records
        .drain(..)
        .map(|record| (record.cart.user_id, record))
        .collect())
}

/// The carts with ids `cart_ids` that exist, with their lines. Two queries.
pub async fn carts_by_id(
    db: &DatabaseConnection,
    cart_ids: &[Uuid],
) -> Result<HashMap<Uuid, CartRecord>, StoreError> {
    if cart_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let carts = cart::Entity::find()
        .filter(cart::Column::Id.is_in(cart_ids.iter().copied()))
        .all(db)
        .await?;
    let mut records = with_items(db, carts).await?;
    Ok(records
        .drain(..)
        .map(|record| (record.cart.id, record))
        .collect())
}

/// The cart of `user_id`, created when missing; without its lines.
pub async fn cart_of_user(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<cart::Model, StoreError> {
    if let Some(found) = find_cart_of_user(db, user_id).await? {
        return Ok(found);
    }
    create_carts(db, &[user_id]).await?;
    find_cart_of_user(db, user_id)
        .await?
        .ok_or(StoreError::CartVanished { user_id })
}

/// `cart` as it is now (after a change), with its lines.
pub async fn reload(db: &DatabaseConnection, cart: &cart::Model) -> Result<CartRecord, StoreError> {
    carts_by_id(db, &[cart.id])
        .await?
        .remove(&cart.id)
        .ok_or(StoreError::CartVanished {
            user_id: cart.user_id,
        })
}

async fn find_cart_of_user(
    db: &DatabaseConnection,
    user_id: Uuid,
) -> Result<Option<cart::Model>, DbErr> {
    cart::Entity::find()
        .filter(cart::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Inserts an empty cart for each user; a user who got one concurrently keeps theirs (`ON CONFLICT DO
/// NOTHING` on the unique `user_id`).
async fn create_carts(db: &DatabaseConnection, user_ids: &[Uuid]) -> Result<(), DbErr> {
    let now = now();
    let mut insert = Query::insert();
    insert
        .into_table(cart::Entity)
        .columns([
            cart::Column::Id,
            cart::Column::UserId,
            cart::Column::CreatedAt,
            cart::Column::UpdatedAt,
        ])
        .on_conflict(
            OnConflict::column(cart::Column::UserId)
                .do_nothing()
                .to_owned(),
        );
    for user_id in user_ids {
        insert
            .values([
                Uuid::new_v4().into(),
                (*user_id).into(),
                now.into(),
                now.into(),
            ])
            .map_err(statement_error)?;
    }
    db.execute(&insert).await?;
    Ok(())
}

/// Attaches the lines of `carts` with one query, each cart's lines in display order.
async fn with_items(
    db: &DatabaseConnection,
    carts: Vec<cart::Model>,
) -> Result<Vec<CartRecord>, DbErr> {
    if carts.is_empty() {
        return Ok(Vec::new());
    }
    let items = cart_item::Entity::find()
        .filter(cart_item::Column::CartId.is_in(carts.iter().map(|c| c.id)))
        .order_by_asc(cart_item::Column::AddedAt)
        .order_by_asc(cart_item::Column::Id)
        .all(db)
        .await?;
    let mut by_cart: HashMap<Uuid, Vec<cart_item::Model>> = HashMap::new();
    for item in items {
        by_cart.entry(item.cart_id).or_default().push(item);
    }
    Ok(carts
        .into_iter()
        .map(|cart| CartRecord {
            items: by_cart.remove(&cart.id).unwrap_or_default(),
            cart,
        })
        .collect())
}

/// Adds `quantity` of `product_id` to the cart: a new line, or the existing line's quantity raised
/// atomically in the database, so concurrent adds never lose an increment. Fails with `QuantityLimit`
/// (changing nothing) when the line would exceed `MAX_LINE_QUANTITY`. `quantity` must be 1..=MAX.
pub async fn add_line(
    db: &DatabaseConnection,
    cart_id: Uuid,
    product_id: Uuid,
    quantity: i32,
) -> Result<(), StoreError> {
    let now = now();
    let raised = Expr::col((cart_item::Entity, cart_item::Column::Quantity)).add(quantity);
    let mut upsert = Query::insert();
    upsert
        .into_table(cart_item::Entity)
        .columns([
            cart_item::Column::Id,
            cart_item::Column::CartId,
            cart_item::Column::ProductId,
            cart_item::Column::Quantity,
            cart_item::Column::AddedAt,
        ])
        .values([
            Uuid::now_v7().into(),
            cart_id.into(),
            product_id.into(),
            quantity.into(),
            now.into(),
        ])
        .map_err(statement_error)?
        .on_conflict(
            OnConflict::columns([cart_item::Column::CartId, cart_item::Column::ProductId])
                .value(cart_item::Column::Quantity, raised.clone())
                .action_and_where(raised.lte(MAX_LINE_QUANTITY))
                .to_owned(),
        );
    let txn = db.begin().await?;
    let changed = txn.execute(&upsert).await?.rows_affected();
    if changed == 0 {
        txn.rollback().await?;
        return Err(StoreError::QuantityLimit);
    }
    touch(&txn, cart_id, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Sets the quantity of the existing line of `product_id` (1..=MAX); `LineNotFound` when there is none.
pub async fn set_line_quantity(
    db: &DatabaseConnection,
    cart_id: Uuid,
    product_id: Uuid,
    quantity: i32,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    let changed = cart_item::Entity::update_many()
        .col_expr(cart_item::Column::Quantity, Expr::val(quantity))
        .filter(cart_item::Column::CartId.eq(cart_id))
        .filter(cart_item::Column::ProductId.eq(product_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        txn.rollback().await?;
        return Err(StoreError::LineNotFound { product_id });
    }
    touch(&txn, cart_id, now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes the line of `product_id`, if there is one. Returns whether a line was removed.
pub async fn remove_line(
    db: &DatabaseConnection,
    cart_id: Uuid,
    product_id: Uuid,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    let removed = cart_item::Entity::delete_many()
        .filter(cart_item::Column::CartId.eq(cart_id))
        .filter(cart_item::Column::ProductId.eq(product_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed > 0 {
        touch(&txn, cart_id, now()).await?;
    }
    txn.commit().await?;
    Ok(removed > 0)
}

/// Removes every line. Returns how many lines were removed.
pub async fn clear(db: &DatabaseConnection, cart_id: Uuid) -> Result<u64, StoreError> {
    let txn = db.begin().await?;
    let removed = cart_item::Entity::delete_many()
        .filter(cart_item::Column::CartId.eq(cart_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed > 0 {
        touch(&txn, cart_id, now()).await?;
    }
    txn.commit().await?;
    Ok(removed)
}

/// Takes the `ordered` quantities (product id, quantity ordered; quantities positive) out of the cart of
/// `user_id`, through `conn` (the caller's transaction): a line holding no more than the ordered quantity
/// is removed, a larger one keeps the difference, so units added after the order was placed stay.
/// Products not in the cart, and a user without a cart, are passed over. Returns how many lines changed.
pub async fn remove_ordered(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    ordered: &[(Uuid, i32)],
) -> Result<u64, DbErr> {
    let Some(cart) = cart::Entity::find()
        .filter(cart::Column::UserId.eq(user_id))
        .one(conn)
        .await?
    else {
        return Ok(0);
    };
    let mut changed = 0;
    for (product_id, quantity) in ordered {
        let line = || {
            Condition::all()
                .add(cart_item::Column::CartId.eq(cart.id))
                .add(cart_item::Column::ProductId.eq(*product_id))
        };
        let removed = cart_item::Entity::delete_many()
            .filter(line())
            .filter(cart_item::Column::Quantity.lte(*quantity))
            .exec(conn)
            .await?
            .rows_affected;
        let reduced = cart_item::Entity::update_many()
            .col_expr(
                cart_item::Column::Quantity,
                Expr::col(cart_item::Column::Quantity).sub(*quantity),
            )
            .filter(line())
            .filter(cart_item::Column::Quantity.gt(*quantity))
            .exec(conn)
            .await?
            .rows_affected;
        changed += removed + reduced;
    }
    if changed > 0 {
        touch(conn, cart.id, now()).await?;
    }
    Ok(changed)
}

/// A statement that could not be built (a column/value count mismatch: a bug here, not bad input).
fn statement_error(err: sea_orm::sea_query::error::Error) -> DbErr {
    DbErr::Custom(format!("cannot build statement: {err}"))
}

/// Records that the cart changed at `at`.
async fn touch(db: &impl ConnectionTrait, cart_id: Uuid, at: DateTime<Utc>) -> Result<(), DbErr> {
    cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::val(at))
        .filter(cart::Column::Id.eq(cart_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use shopgraph_kit::test_database::TestDatabase;

    use super::*;
    use crate::migration::Migrator;

    async fn database() -> (TestDatabase, DatabaseConnection, Arc<AtomicUsize>) {
        let test_db = TestDatabase::from_env("carts_store").await.unwrap();
        let mut db = shopgraph_kit::db::connect_and_migrate::<Migrator>(&test_db.url)
            .await
            .unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        (test_db, db, queries)
    }

    #[tokio::test]
    async fn many_users_carts_load_in_a_constant_number_of_queries() {
        let (_test_db, db, queries) = database().await;
        let users: Vec<Uuid> = (0..100).map(|_| Uuid::new_v4()).collect();

        let created = carts_of_users(&db, &users).await.unwrap();
        assert_eq!(
            queries.swap(0, Ordering::SeqCst),
            4,
            "select, insert missing, select them, lines"
        );
        assert_eq!(created.len(), 100);
        let cart_ids: HashSet<Uuid> = created.values().map(|r| r.cart.id).collect();
        assert_eq!(cart_ids.len(), 100, "every user has a cart of their own");
        assert!(
            users
                .iter()
                .all(|u| created[u].cart.user_id == *u && created[u].cart.id != *u)
        );

        for (i, user) in users.iter().enumerate().take(10) {
            let cart = &created[user].cart;
            for n in 0..=i {
                add_line(&db, cart.id, Uuid::now_v7(), i32::try_from(n + 1).unwrap())
                    .await
                    .unwrap();
            }
        }
        queries.store(0, Ordering::SeqCst);
        let loaded = carts_of_users(&db, &users).await.unwrap();
        assert_eq!(
            queries.swap(0, Ordering::SeqCst),
            2,
            "existing carts: carts, then lines"
        );
        for (i, user) in users.iter().enumerate() {
            assert_eq!(loaded[user].cart.id, created[user].cart.id);
            let quantities: Vec<i32> = loaded[user]
                .items
                .iter()
                .map(|item| item.quantity)
                .collect();
            let expected: Vec<i32> = if i < 10 {
                (1..=i32::try_from(i + 1).unwrap()).collect()
            } else {
                vec![]
            };
            assert_eq!(
                quantities, expected,
                "user {i}: lines in the order they were added"
            );
        }

        let by_id = carts_by_id(
            &db,
            &cart_ids
                .iter()
                .copied()
                .chain([Uuid::new_v4()])
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
        assert_eq!(queries.swap(0, Ordering::SeqCst), 2);
        assert_eq!(by_id.len(), 100, "unknown ids are simply absent");
    }

    #[tokio::test]
    async fn concurrent_creation_yields_one_cart() {
        let (_test_db, db, _) = database().await;
        let user = Uuid::new_v4();
        let carts = futures::future::join_all((0..8).map(|_| cart_of_user(&db, user))).await;
        let ids: HashSet<Uuid> = carts.into_iter().map(|c| c.unwrap().id).collect();
        assert_eq!(ids.len(), 1);
    }
}
