//! The product catalogue over the `products` table: lookups by id and SKU, filtered keyset pages and
//! counts, the category list, and the writes (create, update, set stock) with their validation rules and
//! the SKU uniqueness rule (enforced by the unique index, so it also holds under concurrent writes), and
//! archiving. Every write that changes what other services know of a product (creation, name, price,
//! archiving) appends its event to the outbox in the same transaction ([`announce`]).

mod announce;
mod keyset;
mod rules;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use shopgraph_events::outbox;
use uuid::Uuid;

use crate::entity::product::{self, Column, Entity};

pub use announce::announce_created;
pub use keyset::{Cursor, CursorError, Page, PageRequest, SortOrder, page};

/// Why a catalogue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The input breaks a rule; the message says which, in terms of the API's field names.
    #[error("{0}")]
    Invalid(String),
    #[error("a product with SKU `{0}` already exists")]
    SkuTaken(String),
    #[error("product {0} does not exist")]
    NotFound(Uuid),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A price as stored: integer minor units and an ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub amount: i64,
    pub currency: String,
}

/// A product to add to the catalogue.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Price,
    pub category: String,
    pub stock: i32,
}

/// Changes to an existing product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Price>,
    pub category: Option<String>,
    pub stock: Option<i32>,
}

/// Which products a listing or count includes; every `None` matches everything. Archived products are
/// never listed.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Case-insensitive substring of the name or the description, taken literally (`%` and `_` too).
    pub search: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// Smallest price amount in minor units, inclusive.
    pub min_price: Option<i64>,
    /// Largest price amount in minor units, inclusive.
    pub max_price: Option<i64>,
    /// `true`: only products with stock; `false`: only sold-out products.
    pub in_stock: Option<bool>,
}

/// The escape character of our `LIKE` patterns; not a backslash, whose meaning in string literals
/// differs between database settings.
const LIKE_ESCAPE: char = '!';

impl ProductFilter {
    /// The filter with its search text trimmed (a blank search matches everything), or the rule it
    /// breaks (search too long, `minPrice` above `maxPrice`).
    pub fn validated(self) -> Result<ProductFilter, CatalogueError> {
        rules::validate_filter(self)
    }

    pub(crate) fn condition(&self) -> Condition {
        let mut condition = Condition::all().add(Column::ArchivedAt.is_null());
        if let Some(search) = &self.search {
            let pattern = format!("%{}%", escape_like(search));
            condition = condition.add(
                Condition::any()
                    .add(contains_ignoring_case(Column::Name, &pattern))
                    .add(contains_ignoring_case(Column::Description, &pattern)),
            );
        }
        if let Some(category) = &self.category {
            condition = condition.add(Column::Category.eq(category.clone()));
        }
        if let Some(min) = self.min_price {
            condition = condition.add(Column::PriceAmount.gte(min));
        }
        if let Some(max) = self.max_price {
            condition = condition.add(Column::PriceAmount.lte(max));
        }
        match self.in_stock {
            Some(true) => condition = condition.add(Column::Stock.gt(0)),
            Some(false) => condition = condition.add(Column::Stock.lte(0)),
            None => {}
        }
        condition
    }
}

/// `text` with the `LIKE` wildcards and the escape character itself escaped, so they match literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch == LIKE_ESCAPE || ch == '%' || ch == '_' {
            escaped.push(LIKE_ESCAPE);
        }
        escaped.push(ch);
    }
    escaped
}

/// `LOWER(column) LIKE LOWER(pattern) ESCAPE '!'`: the same spelling and meaning on SQLite and
/// PostgreSQL (PostgreSQL's `LIKE` is case-sensitive, SQLite's is not; lowering both sides agrees).
fn contains_ignoring_case(column: Column, pattern: &str) -> Expr {
    let lowered_pattern = Expr::Binary(
        Box::new(Func::lower(Expr::val(pattern)).into()),
        BinOper::Escape,
        Box::new(Expr::Constant(LIKE_ESCAPE.into())),
    );
    Expr::expr(Func::lower(Expr::col((Entity, column)))).binary(BinOper::Like, lowered_pattern)
}

/// The current time at the precision every supported database stores (microseconds), so a value read
/// back compares equal to the one written — keyset cursors depend on it.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The products with these ids; unknown ids are simply absent. One query.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<product::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The products with these SKUs; unknown SKUs are simply absent. One query.
pub async fn by_skus(
    db: &impl ConnectionTrait,
    skus: &[String],
) -> Result<Vec<product::Model>, DbErr> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Sku.is_in(skus.iter().cloned()))
        .all(db)
        .await
}

/// How many products match `filter`.
pub async fn count(db: &impl ConnectionTrait, filter: &ProductFilter) -> Result<u64, DbErr> {
    Entity::find().filter(filter.condition()).count(db).await
}

/// Every category that has at least one product on sale, distinct and sorted.
pub async fn categories(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    Entity::find()
        .filter(Column::ArchivedAt.is_null())
        .select_only()
        .column(Column::Category)
        .distinct()
        .order_by_asc(Column::Category)
        .into_tuple::<String>()
        .all(db)
        .await
}

/// Adds a product after checking the rules, with its `ProductCreated` event; `SkuTaken` when the SKU is
/// in use.
pub async fn create(
    db: &DatabaseConnection,
    new: NewProduct,
) -> Result<product::Model, CatalogueError> {
    let new = rules::validate_new(new)?;
    let now = now();
    let sku = new.sku.clone();
    let row = product::ActiveModel {
        id: Set(Uuid::new_v4()),
        sku: Set(new.sku),
        name: Set(new.name),
        description: Set(new.description),
        price_amount: Set(new.price.amount),
        price_currency: Set(new.price.currency),
        category: Set(new.category),
        stock: Set(new.stock),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
    };
    let txn = db.begin().await?;
    let created = row
        .insert(&txn)
        .await
        .map_err(|err| sku_conflict(err, &sku))?;
    announce::announce_created(&txn, &created).await?;
    txn.commit().await?;
    outbox::wake_relays();
    Ok(created)
}

/// Applies `changes` to product `id`; `NotFound` for an unknown id, `SkuTaken` when the new SKU is in
/// use by another product. A new `stock` means what it means for [`set_stock`]. A changed name or price
/// is announced with `ProductUpdated`.
pub async fn update(
    db: &DatabaseConnection,
    id: Uuid,
    changes: ProductChanges,
) -> Result<product::Model, CatalogueError> {
    let changes = rules::validate_changes(changes)?;
    let txn = db.begin().await?;
    let current = Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(CatalogueError::NotFound(id))?;
    let mut row = current.clone().into_active_model();
    let new_sku = changes.sku.clone();
    if let Some(sku) = changes.sku {
        row.sku.set_if_not_equals(sku);
    }
    if let Some(name) = changes.name {
        row.name.set_if_not_equals(name);
    }
    if let Some(description) = changes.description {
        row.description.set_if_not_equals(description);
    }
    if let Some(price) = changes.price {
        row.price_amount.set_if_not_equals(price.amount);
        row.price_currency.set_if_not_equals(price.currency);
    }
    if let Some(category) = changes.category {
        row.category.set_if_not_equals(category);
    }
    if let Some(stock) = changes.stock {
        // Written even when equal to the value just read: reservations move stock concurrently, and
        // the administrator's number must be the one that stands.
        row.stock = Set(stock);
    }
    let before = current.clone();
    let saved = save_changes(&txn, id, current, row, new_sku.as_deref()).await?;
    let announced = announce::announce_update(&txn, &before, &saved).await?;
    txn.commit().await?;
    if announced {
        outbox::wake_relays();
    }
    Ok(saved)
}

/// Takes product `id` off sale (idempotent): it leaves the listing, search and categories, cannot be put
/// into carts or ordered, and still resolves by id. `ProductArchived` is announced when it was on sale.
pub async fn archive(db: &DatabaseConnection, id: Uuid) -> Result<product::Model, CatalogueError> {
    set_archived(db, id, true).await
}

/// Puts an archived product `id` on sale again (idempotent), announcing `ProductRestored`.
pub async fn restore(db: &DatabaseConnection, id: Uuid) -> Result<product::Model, CatalogueError> {
    set_archived(db, id, false).await
}

async fn set_archived(
    db: &DatabaseConnection,
    id: Uuid,
    archived: bool,
) -> Result<product::Model, CatalogueError> {
    let txn = db.begin().await?;
    let current = Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(CatalogueError::NotFound(id))?;
    if current.archived_at.is_some() == archived {
        return Ok(current);
    }
    let mut row = current.into_active_model();
    let now = now();
    row.archived_at = Set(archived.then_some(now));
    row.updated_at = Set(now);
    let saved = row.update(&txn).await?;
    announce::announce_archived(&txn, &saved).await?;
    txn.commit().await?;
    outbox::wake_relays();
    Ok(saved)
}

/// Sets the stock of product `id`; `NotFound` for an unknown id. Stock is the number of units available
/// to sell now: units held by order reservations are not in it, and a reservation released later adds
/// its units to whatever was set here (see [`crate::reservations`]).
pub async fn set_stock(
    db: &impl ConnectionTrait,
    id: Uuid,
    stock: i32,
) -> Result<product::Model, CatalogueError> {
    rules::validate_stock(stock)?;
    let current = Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(CatalogueError::NotFound(id))?;
    let mut row = current.clone().into_active_model();
    // Always written (see `update`): the stock read above may already be out of date.
    row.stock = Set(stock);
    save_changes(db, id, current, row, None).await
}

/// Writes the changed columns of `row` (and `updated_at`), or nothing when no value differs.
async fn save_changes(
    db: &impl ConnectionTrait,
    id: Uuid,
    current: product::Model,
    mut row: product::ActiveModel,
    new_sku: Option<&str>,
) -> Result<product::Model, CatalogueError> {
    if !row.is_changed() {
        return Ok(current);
    }
    row.updated_at = Set(now());
    match row.update(db).await {
        Ok(model) => Ok(model),
        Err(DbErr::RecordNotUpdated) => Err(CatalogueError::NotFound(id)),
        Err(err) => Err(match new_sku {
            Some(sku) => sku_conflict(err, sku),
            None => CatalogueError::Database(err),
        }),
    }
}

/// A unique-index violation (only the SKU can collide; ids are random) becomes `SkuTaken`.
fn sku_conflict(err: DbErr, sku: &str) -> CatalogueError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CatalogueError::SkuTaken(sku.to_owned()),
        _ => CatalogueError::Database(err),
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(escape_like("50% off_now!"), "50!% off!_now!!");
        assert_eq!(escape_like("plain"), "plain");
    }
}
