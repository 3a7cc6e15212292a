//! The `User` entity type, whose `email` only its owner and administrators may read, and the DataLoader
//! that fetches any number of users by id in one query.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use shopgraph_kit::error::internal;
use shopgraph_kit::{ErrorCode, Role, Viewer, ViewerExt};
use uuid::Uuid;

use crate::account;
use crate::entity::user;

/// A shopgraph account.
pub struct User {
    account: user::Model,
    /// The caller has just proved to be this user (by registering or logging in), although the request
    /// carried no token for them yet.
    caller_is_owner: bool,
}

impl User {
    pub fn new(account: user::Model) -> User {
        User {
            account,
            caller_is_owner: false,
        }
    }

    /// The user returned to the person who has just signed in as them.
    pub fn signed_in(account: user::Model) -> User {
        User {
            account,
            caller_is_owner: true,
        }
    }

    fn may_read_private_fields(&self, viewer: &Viewer) -> bool {
        self.caller_is_owner
            || matches!(viewer, Viewer::User(claims) if claims.sub == self.account.id || claims.is_admin())
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.account.id.to_string())
    }

    /// Sign-in address, trimmed and lower-cased. Readable only by the user themself and administrators.
    async fn email(&self, ctx: &Context<'_>) -> Result<&str> {
        if self.may_read_private_fields(ctx.viewer()) {
            Ok(&self.account.email)
        } else {
            Err(ErrorCode::Forbidden
                .error("only the user themself or an administrator may read this email"))
        }
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.account.name
    }

    async fn role(&self) -> Result<Role> {
        account::role_of(&self.account).map_err(|e| internal("reading a user's role", e))
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.account.created_at
    }
}

/// Loads users by id, all keys of one batch in a single query.
pub struct UserLoader {
    db: DatabaseConnection,
}

impl UserLoader {
    pub fn new(db: DatabaseConnection) -> UserLoader {
        UserLoader { db }
    }
}

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, user::Model>, Arc<DbErr>> {
        let accounts = account::find_by_ids(&self.db, ids)
            .await
            .map_err(Arc::new)?;
        Ok(accounts
            .into_iter()
            .map(|account| (account.id, account))
            .collect())
    }
}
