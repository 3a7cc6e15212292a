//! The stored notifications as their owner sees them, and how they are created: [`store`] writes a new
//! notification (once per event and kind), [`page`] lists a user's notifications newest first with
//! opaque keyset cursors, [`mark_read`] marks one read for its owner only, and [`address_parked`] gives
//! notifications that were stored without a recipient one when the user becomes known.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::directory::Contact;
use crate::entity::notification::{self, Column, Entity};
use crate::notification::{Channel, DeliveryStatus};
use crate::templates::RenderedMessage;

/// Most notifications one page may hold.
pub const MAX_PAGE_SIZE: i32 = 100;

/// The error stored on a notification whose user the directory does not know.
pub const UNKNOWN_RECIPIENT: &str = "unknown recipient";

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("first must be between 1 and {MAX_PAGE_SIZE}")]
    InvalidPageSize,
    #[error("after is not a cursor of this listing")]
    InvalidCursor,
    #[error("notification {0} does not exist")]
    NotFound(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A notification to store.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Uuid,
    /// The event it is made for.
    pub event_id: Uuid,
    pub channel: Channel,
    /// Who it goes to; `None` stores it FAILED as [`UNKNOWN_RECIPIENT`], to be sent when
    /// [`address_parked`] finds the user.
    pub recipient: Option<Contact>,
    pub message: RenderedMessage,
}

/// Stores `new` as PENDING (or FAILED without a recipient). Returns `false`, storing nothing, when the
/// event already has a notification of this kind.
pub async fn store(conn: &impl ConnectionTrait, new: NewNotification) -> Result<bool, DbErr> {
    let now = Utc::now();
    let (status, error) = match &new.recipient {
        Some(_) => (DeliveryStatus::Pending, None),
        None => (
            DeliveryStatus::Failed,
            Some(format!(
                "{UNKNOWN_RECIPIENT}: user {} is not in the directory",
                new.user_id
            )),
        ),
    };
    let row = notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user_id),
        event_id: Set(new.event_id),
        kind: Set(new.message.kind.as_str().to_owned()),
        channel: Set(new.channel.as_str().to_owned()),
        recipient: Set(new.recipient.map(|contact| contact.email)),
        subject: Set(new.message.subject),
        body: Set(new.message.text),
        body_html: Set(Some(new.message.html)),
        status: Set(status.as_str().to_owned()),
        error: Set(error),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        read_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let inserted = Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::EventId, Column::Kind])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// Gives the notifications of `contact`'s user that were stored without a recipient the contact's
/// address and queues them for delivery again. Returns how many.
pub async fn address_parked(conn: &impl ConnectionTrait, contact: &Contact) -> Result<u64, DbErr> {
    let now = Utc::now();
    let result = Entity::update_many()
        .col_expr(Column::Recipient, Expr::value(contact.email.clone()))
        .col_expr(
            Column::Status,
            Expr::value(DeliveryStatus::Pending.as_str()),
        )
        .col_expr(Column::Error, Expr::value(Option::<String>::None))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::UserId.eq(contact.user_id))
        .filter(Column::Recipient.is_null())
        .filter(Column::Status.eq(DeliveryStatus::Failed.as_str()))
        .filter(Column::Channel.eq(Channel::Email.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// An opaque position in a user's listing: the id of the notification a page ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

impl Cursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    pub fn decode(text: &str) -> Result<Cursor, InboxError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| InboxError::InvalidCursor)?;
        Uuid::from_slice(&bytes)
            .map(Cursor)
            .map_err(|_| InboxError::InvalidCursor)
    }
}

/// Which part of a user's notifications to list.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// 1 to [`MAX_PAGE_SIZE`].
    pub first: i32,
    /// An encoded [`Cursor`]: list what comes after it.
    pub after: Option<String>,
    /// Only notifications not marked read.
    pub unread_only: bool,
}

/// One page, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub notifications: Vec<notification::Model>,
    pub has_next_page: bool,
    /// Whether the page started after a cursor (so something precedes it).
    pub has_previous_page: bool,
}

/// A page of `user_id`'s notifications, newest first (UUIDv7 ids sort by creation), in one query.
pub async fn page(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    request: &PageRequest,
) -> Result<Page, InboxError> {
    if !(1..=MAX_PAGE_SIZE).contains(&request.first) {
        return Err(InboxError::InvalidPageSize);
    }
    let after = request.after.as_deref().map(Cursor::decode).transpose()?;
    let mut select = Entity::find().filter(Column::UserId.eq(user_id));
    if request.unread_only {
        select = select.filter(Column::ReadAt.is_null());
    }
    if let Some(Cursor(id)) = after {
        select = select.filter(Column::Id.lt(id));
    }
    let limit = u64::try_from(request.first).unwrap_or(1);
    let mut notifications = select
        .order_by_desc(Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let has_next_page = notifications.len() as u64 > limit;
    notifications.truncate(limit as usize);
    Ok(Page {
        notifications,
        has_next_page,
        has_previous_page: after.is_some(),
    })
}

/// How many notifications `user_id` has (only unread ones with `unread_only`).
pub async fn count(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    unread_only: bool,
) -> Result<u64, DbErr> {
    let mut select = Entity::find().filter(Column::UserId.eq(user_id));
    if unread_only {
        select = select.filter(Column::ReadAt.is_null());
    }
    select.count(conn).await
}

/// Marks `id` read if it belongs to `user_id` (keeping the first read time when it was read before) and
/// returns it; someone else's notification is [`InboxError::NotFound`], exactly like a missing one.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<notification::Model, InboxError> {
    let now = Utc::now();
    Entity::update_many()
        .col_expr(Column::ReadAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::ReadAt.is_null())
        .exec(conn)
        .await?;
    Entity::find_by_id(id)
        .filter(Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or_else(|| InboxError::NotFound(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let id = Uuid::now_v7();
        assert_eq!(Cursor::decode(&Cursor(id).encode()).unwrap(), Cursor(id));
        for bad in ["", "!!", "AAAA"] {
            assert!(matches!(
                Cursor::decode(bad),
                Err(InboxError::InvalidCursor)
            ));
        }
    }
}
