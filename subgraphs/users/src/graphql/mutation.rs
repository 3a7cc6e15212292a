//! Mutations: registering, logging in (both answer with a token and the user) and changing one's own
//! profile.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;
use shopgraph_kit::error::internal;
use shopgraph_kit::{ClientAddress, JwtKeys, Role, TraceParent, ViewerExt};

use super::account_error;
use super::user::User;
use crate::account::{self, NewAccount, ProfileChanges};
use crate::credential_guard::{Attempt, CredentialGuard};
use crate::entity::user;

pub struct Mutation;

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// Trimmed and lower-cased; must not belong to another account.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Display name, 1 to 100 characters after trimming.
    pub name: String,
}

/// Changes to the signed-in user's profile; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// New display name, 1 to 100 characters after trimming.
    pub name: Option<String>,
    /// New sign-in address; same rules as at registration.
    pub email: Option<String>,
    /// New password, at least 8 characters; requires `currentPassword`.
    pub new_password: Option<String>,
    /// The present password, required to set `newPassword`.
    pub current_password: Option<String>,
}

/// A signed-in session: the bearer token to send as `Authorization: Bearer <token>`, and its user.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub token: String,
    pub user: User,
}

#[Object]
impl Mutation {
    /// Opens a customer account and signs it in. EMAIL_TAKEN when the email has an account already;
    /// RATE_LIMITED (with `retryAfter` seconds) after too many registrations from one address or with
    /// one email.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        admit(ctx, Attempt::Register, &input.email)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let new = NewAccount {
            email: input.email,
            password: input.password,
            name: input.name,
            role: Role::Customer,
            traceparent: ctx.data_opt::<TraceParent>().map(|t| t.0.clone()),
        };
        let account = account::create(db, new).await.map_err(account_error)?;
        signed_in(ctx, account)
    }

    /// Signs in. INVALID_CREDENTIALS, the same for an unknown email and a wrong password; RATE_LIMITED
    /// (with `retryAfter` seconds) after too many attempts from one address or for one email.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        admit(ctx, Attempt::Login, &email)?;
        let db = ctx.data::<DatabaseConnection>()?;
        let account = account::authenticate(db, &email, &password)
            .await
            .map_err(account_error)?;
        signed_in(ctx, account)
    }

    /// Changes the signed-in user's name, email and/or password.
    async fn update_profile(&self, ctx: &Context<'_>, input: UpdateProfileInput) -> Result<User> {
        let id = ctx.viewer().require_user()?.sub;
        let db = ctx.data::<DatabaseConnection>()?;
        let changes = ProfileChanges {
            name: input.name,
            email: input.email,
            new_password: input.new_password,
            current_password: input.current_password,
        };
        let account = account::update_profile(db, id, changes)
            .await
            .map_err(account_error)?;
        Ok(User::new(account))
    }
}

/// Takes a token from the attempt's buckets, or RATE_LIMITED.
fn admit(ctx: &Context<'_>, attempt: Attempt, email: &str) -> Result<()> {
    let client = ctx.data_opt::<ClientAddress>().copied();
    ctx.data::<CredentialGuard>()?
        .admit(attempt, email, client)
        .map_err(|limited| limited.into_error(attempt))
}

fn signed_in(ctx: &Context<'_>, account: user::Model) -> Result<AuthPayload> {
    let keys = ctx.data::<JwtKeys>()?;
    let role = account::role_of(&account).map_err(account_error)?;
    let token = keys
        .issue(account.id, role)
        .map_err(|e| internal("signing a token", e))?;
    Ok(AuthPayload {
        token,
        user: User::signed_in(account),
    })
}
