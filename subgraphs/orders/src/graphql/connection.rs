//! A user's orders as a Relay cursor connection (`OrderConnection`, `OrderEdge`, the shareable
//! `PageInfo`), newest first, with opaque cursors that carry the order id (the keyset).

use async_graphql::{Context, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::DatabaseConnection;
use shopgraph_kit::ErrorCode;
use shopgraph_kit::error::internal;
use uuid::Uuid;

use super::types::Order;
use crate::store;

/// Orders per page when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 10;
/// Most orders per page.
pub const MAX_PAGE_SIZE: i32 = 100;

const CURSOR_PREFIX: &str = "order:";

/// The cursor just after order `id`.
pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{id}"))
}

/// The order id in a cursor a client sent back.
pub fn decode_cursor(cursor: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Uuid::parse_str(text.strip_prefix(CURSOR_PREFIX)?).ok()
}

/// An order and its position in the listing.
#[derive(SimpleObject)]
pub struct OrderEdge {
    /// Pass as `after` to continue after this order.
    pub cursor: String,
    pub node: Order,
}

/// Where a page lies in its listing (Relay cursor connections).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(shareable)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// One page of a user's orders.
pub struct OrderConnection {
    user_id: Uuid,
    edges: Vec<OrderEdge>,
    page_info: PageInfo,
}

/// One page of a user's orders (a Relay cursor connection), newest first.
#[Object]
impl OrderConnection {
    /// The orders of the page, each with its cursor.
    async fn edges(&self) -> &[OrderEdge] {
        &self.edges
    }

    /// The orders of `edges`, without their cursors.
    async fn nodes(&self) -> Vec<&Order> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// Whether more orders follow or precede, and the cursors of the page's ends.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many orders the user has, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let db = ctx.data::<DatabaseConnection>()?;
        let count = store::count_of_user(db, self.user_id)
            .await
            .map_err(|e| internal("counting orders", e))?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}

/// The page of `user_id`'s orders that `first` and `after` ask for.
pub async fn page(
    ctx: &Context<'_>,
    user_id: Uuid,
    first: Option<i32>,
    after: Option<&str>,
) -> Result<OrderConnection> {
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(0..=MAX_PAGE_SIZE).contains(&first) {
        return Err(ErrorCode::BadUserInput.error(format!(
            "first must be between 0 and {MAX_PAGE_SIZE}, got {first}"
        )));
    }
    let after = after
        .map(|cursor| {
            decode_cursor(cursor)
                .ok_or_else(|| ErrorCode::BadUserInput.error("`after` is not a valid cursor"))
        })
        .transpose()?;
    let db = ctx.data::<DatabaseConnection>()?;
    let page = store::page_of_user(db, user_id, u64::try_from(first).unwrap_or(0), after)
        .await
        .map_err(|e| internal("listing orders", e))?;
    let edges: Vec<OrderEdge> = page
        .orders
        .into_iter()
        .map(|order| OrderEdge {
            cursor: encode_cursor(order.id),
            node: Order(order),
        })
        .collect();
    let page_info = PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        start_cursor: edges.first().map(|edge| edge.cursor.clone()),
        end_cursor: edges.last().map(|edge| edge.cursor.clone()),
    };
    Ok(OrderConnection {
        user_id,
        edges,
        page_info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        for junk in [
            "",
            "!!",
            &URL_SAFE_NO_PAD.encode("product:x"),
            &URL_SAFE_NO_PAD.encode("order:1"),
        ] {
            assert_eq!(decode_cursor(junk), None, "{junk}");
        }
    }
}
