//! Mutations: marking one of one's own notifications read.

use async_graphql::{Context, ID, Object, Result};
use sea_orm::DatabaseConnection;
use shopgraph_kit::{ErrorCode, ViewerExt};
use uuid::Uuid;

use super::inbox_error;
use super::notification::Notification;
use crate::inbox;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Marks the signed-in user's notification read (again: it keeps the first read time). NOT_FOUND for
    /// an id that is not one of the caller's notifications.
    async fn mark_notification_read(&self, ctx: &Context<'_>, id: ID) -> Result<Notification> {
        let viewer = ctx.viewer().require_user()?;
        let id = Uuid::parse_str(id.as_str()).map_err(|_| {
            ErrorCode::BadUserInput
                .error(format!("`{}` is not a valid notification id", id.as_str()))
        })?;
        let db = ctx.data::<DatabaseConnection>()?;
        let row = inbox::mark_read(db, viewer.sub, id)
            .await
            .map_err(inbox_error)?;
        Ok(Notification(row))
    }
}
