//! The carts' projection of the catalogue (`catalogue_product`): which products exist, their current
//! price and whether they are archived, kept from the products' catalogue events (`ProductCreated`,
//! `ProductUpdated`, `ProductArchived`, `ProductRestored`) by a consumer group named per database
//! (`carts-catalogue-<random>`, see [`consumer_group`]). A new group reads the event stream from its
//! start, so a new or wiped database rebuilds its projection from the history; after a restart the group
//! goes on where it stopped. Each event is applied once (the
//! consumer records it in the same transaction) and only when it is newer than what the row holds, so
//! redelivered or reordered events cannot roll a product back. Carts reads it to refuse unknown and
//! archived products without asking products.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Statement,
};
use shopgraph_events::{
    DomainEvent, EventHandler, EventPayload, HandlerError, Interest, Money, ProductArchived,
    ProductCreated, ProductRestored, ProductUpdated, ReceivedEvent,
};
use uuid::Uuid;

use crate::entity::catalogue_product::{self, Column, Entity};

/// How the name of every catalogue projection's consumer group starts.
pub const CATALOGUE_GROUP_PREFIX: &str = "carts-catalogue-";

/// The consumer group that fills this database's projection (chosen by its migration).
pub async fn consumer_group(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT consumer_group FROM catalogue_projection WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("catalogue_projection has no row".to_owned()))?;
    row.try_get("", "consumer_group")
}

/// Whether a product may be put into a cart, as the projection knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// On sale.
    Available,
    /// Taken off sale.
    Archived,
    /// No catalogue event named it: it does not exist (or carts has not heard of it yet).
    Unknown,
}

impl Availability {
    pub fn is_available(self) -> bool {
        self == Availability::Available
    }
}

/// The availability of each of `ids` (unknown ids are `Unknown`). One query.
pub async fn availability(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Availability>, DbErr> {
    let mut found: HashMap<Uuid, Availability> =
        ids.iter().map(|id| (*id, Availability::Unknown)).collect();
    if ids.is_empty() {
        return Ok(found);
    }
    let rows = Entity::find()
        .filter(Column::ProductId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    for row in rows {
        let state = if row.archived {
            Availability::Archived
        } else {
            Availability::Available
        };
        found.insert(row.product_id, state);
    }
    Ok(found)
}

/// What one catalogue event says about a product.
struct Change {
    product_id: Uuid,
    price: Option<Money>,
    archived: Option<bool>,
    changed_at: DateTime<Utc>,
}

impl Change {
    fn of(event: &DomainEvent) -> Option<Change> {
        Some(match event {
            DomainEvent::ProductCreated(e) => Change {
                product_id: e.product_id,
                price: Some(e.price.clone()),
                archived: Some(e.archived),
                changed_at: e.changed_at,
            },
            DomainEvent::ProductUpdated(e) => Change {
                product_id: e.product_id,
                price: Some(e.price.clone()),
                archived: None,
                changed_at: e.changed_at,
            },
            DomainEvent::ProductArchived(e) => Change {
                product_id: e.product_id,
                price: None,
                archived: Some(true),
                changed_at: e.changed_at,
            },
            DomainEvent::ProductRestored(e) => Change {
                product_id: e.product_id,
                price: Some(e.price.clone()),
                archived: Some(false),
                changed_at: e.changed_at,
            },
            _ => return None,
        })
    }
}

/// Applies `change` unless the projection already holds a newer state of the product; says whether it
/// did. Both writes are conditional in the database (insert if absent, update only where the stored
/// change time is not newer), so two consumers applying events of one product at once cannot let the
/// older one win.
async fn apply(txn: &DatabaseTransaction, change: Change) -> Result<bool, DbErr> {
    let (amount, currency) = match &change.price {
        Some(price) => (Some(price.amount), Some(price.currency.clone())),
        None => (None, None),
    };
    let inserted = Entity::insert(catalogue_product::ActiveModel {
        product_id: Set(change.product_id),
        price_amount: Set(amount),
        price_currency: Set(currency.clone()),
        archived: Set(change.archived.unwrap_or(false)),
        changed_at: Set(change.changed_at),
    })
    .on_conflict(
        OnConflict::column(Column::ProductId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted > 0 {
        return Ok(true);
    }
    let mut update = Entity::update_many()
        .col_expr(Column::ChangedAt, Expr::value(change.changed_at))
        .filter(Column::ProductId.eq(change.product_id))
        .filter(Column::ChangedAt.lte(change.changed_at));
    if change.price.is_some() {
        update = update
            .col_expr(Column::PriceAmount, Expr::value(amount))
            .col_expr(Column::PriceCurrency, Expr::value(currency));
    }
    if let Some(archived) = change.archived {
        update = update.col_expr(Column::Archived, Expr::value(archived));
    }
    Ok(update.exec(txn).await?.rows_affected > 0)
}

/// Keeps the projection from the catalogue events.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatalogueHandler;

#[async_trait]
impl EventHandler for CatalogueHandler {
    fn interest(&self) -> Interest {
        Interest::only([
            ProductCreated::TYPE,
            ProductUpdated::TYPE,
            ProductArchived::TYPE,
            ProductRestored::TYPE,
        ])
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        received: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let Some(change) = Change::of(&received.event) else {
            return Ok(());
        };
        let product_id = change.product_id;
        let applied = apply(txn, change).await?;
        tracing::debug!(
            %product_id,
            event = received.event.event_type(),
            applied,
            "catalogue projection"
        );
        Ok(())
    }
}
