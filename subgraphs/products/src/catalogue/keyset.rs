//! Keyset ("seek") pagination of the catalogue: each ordering sorts by one column with `id` as the
//! tie-breaker, and a page starts strictly after the (sort key, id) pair carried by an opaque cursor —
//! no OFFSET, so pages stay stable while rows are added and ties never duplicate or skip a product.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ProductFilter;
use crate::entity::product::{self, Column, Entity};

/// The orderings a listing supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    NameAsc,
    NameDesc,
    PriceAsc,
    PriceDesc,
    /// Most recently created first.
    Newest,
}

impl SortOrder {
    const ALL: [SortOrder; 5] = [
        SortOrder::NameAsc,
        SortOrder::NameDesc,
        SortOrder::PriceAsc,
        SortOrder::PriceDesc,
        SortOrder::Newest,
    ];

    /// The name clients know the ordering by.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::NameAsc => "NAME_ASC",
            SortOrder::NameDesc => "NAME_DESC",
            SortOrder::PriceAsc => "PRICE_ASC",
            SortOrder::PriceDesc => "PRICE_DESC",
            SortOrder::Newest => "NEWEST",
        }
    }

    fn parse(text: &str) -> Option<SortOrder> {
        SortOrder::ALL
            .into_iter()
            .find(|order| order.as_str() == text)
    }

    fn column(self) -> Column {
        match self {
            SortOrder::NameAsc | SortOrder::NameDesc => Column::Name,
            SortOrder::PriceAsc | SortOrder::PriceDesc => Column::PriceAmount,
            SortOrder::Newest => Column::CreatedAt,
        }
    }

    fn is_descending(self) -> bool {
        matches!(
            self,
            SortOrder::NameDesc | SortOrder::PriceDesc | SortOrder::Newest
        )
    }

    fn direction(self) -> Order {
        if self.is_descending() {
            Order::Desc
        } else {
            Order::Asc
        }
    }

    fn apply(self, select: Select<Entity>) -> Select<Entity> {
        select
            .order_by(self.column(), self.direction())
            .order_by(Column::Id, self.direction())
    }
}

/// The value of a product's sort column.
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    Name(String),
    Price(i64),
    CreatedAt(DateTime<Utc>),
}

impl SortKey {
    fn of(order: SortOrder, product: &product::Model) -> SortKey {
        match order {
            SortOrder::NameAsc | SortOrder::NameDesc => SortKey::Name(product.name.clone()),
            SortOrder::PriceAsc | SortOrder::PriceDesc => SortKey::Price(product.price_amount),
            SortOrder::Newest => SortKey::CreatedAt(product.created_at),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            SortKey::Name(name) => serde_json::Value::from(name.as_str()),
            SortKey::Price(amount) => serde_json::Value::from(*amount),
            SortKey::CreatedAt(at) => serde_json::Value::from(at.timestamp_micros()),
        }
    }

    fn from_json(order: SortOrder, json: &serde_json::Value) -> Option<SortKey> {
        match order {
            SortOrder::NameAsc | SortOrder::NameDesc => {
                json.as_str().map(|name| SortKey::Name(name.to_owned()))
            }
            SortOrder::PriceAsc | SortOrder::PriceDesc => json.as_i64().map(SortKey::Price),
            SortOrder::Newest => json
                .as_i64()
                .and_then(DateTime::from_timestamp_micros)
                .map(SortKey::CreatedAt),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            SortKey::Name(name) => Value::from(name.clone()),
            SortKey::Price(amount) => Value::from(*amount),
            SortKey::CreatedAt(at) => Value::from(*at),
        }
    }
}

/// Why an `after` cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("`after` is not a valid cursor")]
    Malformed,
    #[error("`after` is a cursor of orderBy {cursor}, but the request orders by {requested}")]
    OtherOrder {
        cursor: &'static str,
        requested: &'static str,
    },
}

/// A position in one ordering: just after the product with this sort key and id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    order: SortOrder,
    key: SortKey,
    id: Uuid,
}

/// The wire form of a cursor, before base64.
#[derive(Serialize, Deserialize)]
struct CursorWire {
    /// Ordering.
    o: String,
    /// Sort key.
    k: serde_json::Value,
    /// Product id.
    i: Uuid,
}

impl Cursor {
    /// The position of `product` in `order`.
    pub fn of(order: SortOrder, product: &product::Model) -> Cursor {
        Cursor {
            order,
            key: SortKey::of(order, product),
            id: product.id,
        }
    }

    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        let wire = CursorWire {
            o: self.order.as_str().to_owned(),
            k: self.key.to_json(),
            i: self.id,
        };
        // Serialising a struct of a string, a JSON value and a UUID cannot fail.
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor a client sent back for a listing in `order`.
    pub fn decode(text: &str, order: SortOrder) -> Result<Cursor, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| CursorError::Malformed)?;
        let wire: CursorWire =
            serde_json::from_slice(&bytes).map_err(|_| CursorError::Malformed)?;
        let cursor_order = SortOrder::parse(&wire.o).ok_or(CursorError::Malformed)?;
        if cursor_order != order {
            return Err(CursorError::OtherOrder {
                cursor: cursor_order.as_str(),
                requested: order.as_str(),
            });
        }
        let key = SortKey::from_json(order, &wire.k).ok_or(CursorError::Malformed)?;
        Ok(Cursor {
            order,
            key,
            id: wire.i,
        })
    }

    /// Rows strictly after this position.
    fn rows_after(&self) -> Condition {
        let column = self.order.column();
        let key = self.key.to_value();
        let (key_beyond, id_beyond) = if self.order.is_descending() {
            (column.lt(key.clone()), Column::Id.lt(self.id))
        } else {
            (column.gt(key.clone()), Column::Id.gt(self.id))
        };
        Condition::any()
            .add(key_beyond)
            .add(Condition::all().add(column.eq(key)).add(id_beyond))
    }

    /// Rows at or before this position: what precedes a page that starts after it.
    fn rows_up_to(&self) -> Condition {
        let column = self.order.column();
        let key = self.key.to_value();
        let (key_before, id_up_to) = if self.order.is_descending() {
            (column.gt(key.clone()), Column::Id.gte(self.id))
        } else {
            (column.lt(key.clone()), Column::Id.lte(self.id))
        };
        Condition::any()
            .add(key_before)
            .add(Condition::all().add(column.eq(key)).add(id_up_to))
    }
}

/// What page of a listing to read.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub order: SortOrder,
    /// At most this many products.
    pub first: usize,
    /// Start after this position; from the beginning when `None`.
    pub after: Option<Cursor>,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    pub order: SortOrder,
    pub products: Vec<product::Model>,
    /// Whether products follow the last one of this page.
    pub has_next_page: bool,
    /// Whether products of the listing precede the `after` position.
    pub has_previous_page: bool,
}

/// Reads the page `request` of the products matching `filter`: one query for the page (one row more
/// than asked, to learn whether more follow), and with a cursor one more to learn whether rows precede it.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &ProductFilter,
    request: &PageRequest,
) -> Result<Page, DbErr> {
    let mut select = Entity::find().filter(filter.condition());
    if let Some(after) = &request.after {
        select = select.filter(after.rows_after());
    }
    let limit = u64::try_from(request.first)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut products = request.order.apply(select).limit(limit).all(db).await?;
    let has_next_page = products.len() > request.first;
    products.truncate(request.first);
    let has_previous_page = match &request.after {
        Some(after) => Entity::find()
            .filter(filter.condition())
            .filter(after.rows_up_to())
            .select_only()
            .column(Column::Id)
            .into_tuple::<Uuid>()
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    Ok(Page {
        order: request.order,
        products,
        has_next_page,
        has_previous_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(name: &str, price: i64) -> product::Model {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        product::Model {
            id: Uuid::new_v4(),
            sku: "S".to_owned(),
            name: name.to_owned(),
            description: String::new(),
            price_amount: price,
            price_currency: "USD".to_owned(),
            category: "C".to_owned(),
            stock: 1,
            created_at: at,
            updated_at: at,
            archived_at: None,
        }
    }

    #[test]
    fn cursors_round_trip_in_every_order() {
        let product = product("Chef's \"knife\" ✓", 1999);
        for order in SortOrder::ALL {
            let cursor = Cursor::of(order, &product);
            assert_eq!(Cursor::decode(&cursor.encode(), order).unwrap(), cursor);
        }
    }

    #[test]
    fn foreign_and_malformed_cursors_are_refused() {
        let cursor = Cursor::of(SortOrder::PriceAsc, &product("A", 5)).encode();
        assert_eq!(
            Cursor::decode(&cursor, SortOrder::Newest),
            Err(CursorError::OtherOrder {
                cursor: "PRICE_ASC",
                requested: "NEWEST"
            })
        );
        for text in [
            "",
            "not base64!",
            "bm90IGpzb24",
            &URL_SAFE_NO_PAD
                .encode(r#"{"o":"PRICE_ASC","k":"x","i":"00000000-0000-0000-0000-000000000000"}"#),
        ] {
            assert_eq!(
                Cursor::decode(text, SortOrder::PriceAsc),
                Err(CursorError::Malformed),
                "{text}"
            );
        }
    }
}
