//! The catalogue events: what a write tells other services (`ProductCreated`, `ProductUpdated`,
//! `ProductArchived`, `ProductRestored`), appended to the outbox through the writing transaction.

use sea_orm::{ConnectionTrait, DbErr};
use shopgraph_events::{
    Money, ProductArchived, ProductCreated, ProductRestored, ProductUpdated, outbox,
};

use crate::SERVICE;
use crate::entity::product;

fn price(row: &product::Model) -> Money {
    Money::new(row.price_amount, row.price_currency.clone())
}

/// Appends `ProductCreated` for `row`.
pub async fn announce_created(
    conn: &impl ConnectionTrait,
    row: &product::Model,
) -> Result<(), DbErr> {
    let event = ProductCreated {
        product_id: row.id,
        sku: row.sku.clone(),
        name: row.name.clone(),
        price: price(row),
        archived: row.archived_at.is_some(),
        changed_at: row.updated_at,
    };
    outbox::append(conn, SERVICE, event, None).await.map(|_| ())
}

/// Appends `ProductUpdated` when the name or price changed from `before` to `after`; says whether it did.
pub(super) async fn announce_update(
    conn: &impl ConnectionTrait,
    before: &product::Model,
    after: &product::Model,
) -> Result<bool, DbErr> {
    if before.name == after.name
        && before.price_amount == after.price_amount
        && before.price_currency == after.price_currency
    {
        return Ok(false);
    }
    let event = ProductUpdated {
        product_id: after.id,
        name: after.name.clone(),
        price: price(after),
        changed_at: after.updated_at,
    };
    outbox::append(conn, SERVICE, event, None).await?;
    Ok(true)
}

/// Appends `ProductArchived` or `ProductRestored`, as `row` now is.
pub(super) async fn announce_archived(
    conn: &impl ConnectionTrait,
    row: &product::Model,
) -> Result<(), DbErr> {
    if row.archived_at.is_some() {
        let event = ProductArchived {
            product_id: row.id,
            changed_at: row.updated_at,
        };
        outbox::append(conn, SERVICE, event, None).await.map(|_| ())
    } else {
        let event = ProductRestored {
            product_id: row.id,
            price: price(row),
            changed_at: row.updated_at,
        };
        outbox::append(conn, SERVICE, event, None).await.map(|_| ())
    }
}
