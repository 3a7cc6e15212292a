//! A page of a user's notifications as a Relay cursor connection: `NotificationConnection`,
//! `NotificationEdge` and the shared `PageInfo`.

use async_graphql::{Context, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;
use shopgraph_kit::error::internal;
use uuid::Uuid;

use super::notification::Notification;
use crate::inbox::{self, Cursor, Page};

/// A notification and its position in the listing.
#[derive(SimpleObject)]
pub struct NotificationEdge {
    /// Pass as `after` to continue the listing after this notification.
    pub cursor: String,
    pub node: Notification,
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

/// One page of a user's notifications, newest first.
pub struct NotificationConnection {
    edges: Vec<NotificationEdge>,
    page_info: PageInfo,
    user_id: Uuid,
    unread_only: bool,
}

impl NotificationConnection {
    pub fn new(page: Page, user_id: Uuid, unread_only: bool) -> NotificationConnection {
        let edges: Vec<NotificationEdge> = page
            .notifications
            .into_iter()
            .map(|row| NotificationEdge {
                cursor: Cursor(row.id).encode(),
                node: Notification(row),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        NotificationConnection {
            edges,
            page_info,
            user_id,
            unread_only,
        }
    }
}

/// One page of a user's notifications, newest first (a Relay cursor connection).
#[Object]
impl NotificationConnection {
    /// The notifications of the page, each with its cursor.
    async fn edges(&self) -> &[NotificationEdge] {
        &self.edges
    }

    /// The notifications of `edges`, without their cursors.
    async fn nodes(&self) -> Vec<&Notification> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// Whether more notifications follow or precede, and the cursors of the page's ends.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many notifications the listing has over all pages (only unread ones with `unreadOnly`).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        self.count(ctx, self.unread_only).await
    }

    /// How many of the user's notifications are unread, whatever the listing's filter.
    async fn unread_count(&self, ctx: &Context<'_>) -> Result<i64> {
        self.count(ctx, true).await
    }
}

impl NotificationConnection {
    async fn count(&self, ctx: &Context<'_>, unread_only: bool) -> Result<i64> {
        let db = ctx.data::<DatabaseConnection>()?;
        let count = inbox::count(db, self.user_id, unread_only)
            .await
            .map_err(|err| internal("counting notifications failed", err))?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}
