//! The `User` entity as this subgraph extends it: a user's notifications, readable by that user only.

use async_graphql::{Context, ID, Object, Result};
use sea_orm::DatabaseConnection;
use shopgraph_kit::{ErrorCode, ViewerExt};
use uuid::Uuid;

use super::connection::NotificationConnection;
use super::inbox_error;
use crate::inbox::{self, PageRequest};

/// Page size when `first` is omitted or null.
const DEFAULT_PAGE_SIZE: i32 = 20;

/// A shopgraph account (owned by the users subgraph), referenced by id.
pub struct User {
    pub id: Uuid,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The user's notifications, newest first. Only the user themself may read them.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "Some(DEFAULT_PAGE_SIZE)",
            desc = "Page size, 1 to 100; null means 20."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from a previous page: continue after it.")] after: Option<
            String,
        >,
        #[graphql(
            default_with = "Some(false)",
            desc = "Only notifications not marked read; null means false."
        )]
        unread_only: Option<bool>,
    ) -> Result<NotificationConnection> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        let unread_only = unread_only.unwrap_or(false);
        let viewer = ctx.viewer().require_user()?;
        if viewer.sub != self.id {
            return Err(ErrorCode::Forbidden.error("you may only read your own notifications"));
        }
        let db = ctx.data::<DatabaseConnection>()?;
        let request = PageRequest {
            first,
            after,
            unread_only,
        };
        let page = inbox::page(db, self.id, &request)
            .await
            .map_err(inbox_error)?;
        Ok(NotificationConnection::new(page, self.id, unread_only))
    }
}
