//! Queries: the signed-in user (`me`), any user for administrators (`user`), and the federation entity
//! resolver for `User` by id.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use shopgraph_kit::error::internal;
use shopgraph_kit::{ErrorCode, Viewer, ViewerExt};
use uuid::Uuid;

use super::user::{User, UserLoader};

pub struct Query;

#[Object]
impl Query {
    /// The signed-in user: null without a token (or when the token's account no longer exists); an
    /// UNAUTHENTICATED error when the token is invalid or expired.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let viewer = ctx.viewer();
        if matches!(viewer, Viewer::Anonymous) {
            return Ok(None);
        }
        let id = viewer.require_user()?.sub;
        load_user(ctx, id).await
    }

    /// Any user by id, or null if there is none. Administrators only.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        ctx.viewer().require_admin()?;
        let id = Uuid::parse_str(&id)
            .map_err(|_| ErrorCode::BadUserInput.error("id is not a valid user id"))?;
        load_user(ctx, id).await
    }

    /// Federation: the users with these ids; null for ids that do not exist.
    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        match Uuid::parse_str(&id) {
            Ok(id) => load_user(ctx, id).await,
            Err(_) => Ok(None),
        }
    }
}

async fn load_user(ctx: &Context<'_>, id: Uuid) -> Result<Option<User>> {
    let loader = ctx.data::<DataLoader<UserLoader>>()?;
    let account = loader
        .load_one(id)
        .await
        .map_err(|e| internal("loading users", e))?;
    Ok(account.map(User::new))
}
