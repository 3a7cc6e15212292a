//! The account rules and operations behind the GraphQL API: normalising and checking emails, names and
//! passwords, creating accounts (the unique email index decides races), checking credentials, and
//! changing a profile. Creating an account and changing its email announce it (`UserRegistered`,
//! `UserEmailChanged`) through the outbox, in the same transaction as the row.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    SqlErr, TransactionTrait,
};
use shopgraph_events::{UserEmailChanged, UserRegistered, outbox};
use shopgraph_kit::Role;
use uuid::Uuid;

use crate::entity::user;
use crate::password::{self, PasswordError};

/// Fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters a password may have (bounds the hashing work one request can cause).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Most characters a display name may have (after trimming).
pub const MAX_NAME_CHARS: usize = 100;
/// Most characters an email address may have.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Most characters of the part of an email address before the `@`.
const MAX_EMAIL_LOCAL_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email is not a valid email address")]
    InvalidEmail,
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters long")]
    PasswordTooShort,
    #[error("password must be at most {MAX_PASSWORD_CHARS} characters long")]
    PasswordTooLong,
    #[error("name must be 1 to {MAX_NAME_CHARS} characters long (after trimming spaces)")]
    InvalidName,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("currentPassword is required to set a new password")]
    CurrentPasswordRequired,
    #[error("current password is incorrect")]
    WrongCurrentPassword,
    #[error("account {0} does not exist")]
    NotFound(Uuid),
    #[error("account {id} has the unknown role `{role}`")]
    UnknownRole { id: Uuid, role: String },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// The email trimmed and lower-cased, if it looks like an address: one `@` with a non-empty part before
/// it and a dotted domain after it, no spaces, at most 254 characters.
pub fn normalize_email(raw: &str) -> Result<String, AccountError> {
    let email = raw.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS
        || email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
    {
        return Err(AccountError::InvalidEmail);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(AccountError::InvalidEmail);
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    let local_ok = !local.is_empty()
        && local.chars().count() <= MAX_EMAIL_LOCAL_CHARS
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if local_ok && domain_ok && !domain.contains('@') {
        Ok(email)
    } else {
        Err(AccountError::InvalidEmail)
    }
}

/// The name trimmed, if it has 1 to 100 characters.
pub fn normalize_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if (1..=MAX_NAME_CHARS).contains(&chars) {
        Ok(name.to_owned())
    } else {
        Err(AccountError::InvalidName)
    }
}

/// Whether `password` may be chosen as a new password.
pub fn check_new_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(AccountError::PasswordTooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(AccountError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// The role stored for `account`.
pub fn role_of(account: &user::Model) -> Result<Role, AccountError> {
    Role::parse(&account.role).ok_or_else(|| AccountError::UnknownRole {
        id: account.id,
        role: account.role.clone(),
    })
}

/// What is needed to open an account; `create` checks and normalises it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
    /// Trace context of the request, carried on by `UserRegistered`.
    pub traceparent: Option<String>,
}

/// Opens an account and records `UserRegistered` in the outbox in the same transaction. A taken email
/// (in any letter case or surrounding spaces) is `EmailTaken`, decided by the unique index, so of two
/// racing registrations exactly one succeeds, and only its event is written.
pub async fn create(db: &DatabaseConnection, new: NewAccount) -> Result<user::Model, AccountError> {
    let traceparent = new.traceparent.clone();
    let email = normalize_email(&new.email)?;
    check_new_password(&new.password)?;
    let name = normalize_name(&new.name)?;
    let password_hash = password::hash(new.password).await?;
    let now = Utc::now();
    let account = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        name: Set(name),
        password_hash: Set(password_hash),
        role: Set(new.role.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db.begin().await?;
    let account = account.insert(&txn).await.map_err(email_conflict)?;
    let event = UserRegistered {
        user_id: account.id,
        email: account.email.clone(),
        name: account.name.clone(),
    };
    outbox::append(&txn, crate::SERVICE, event, traceparent).await?;
    txn.commit().await?;
    outbox::wake_relays();
    Ok(account)
}

/// The account with `email` and `password`. An unknown (or malformed) email and a wrong password give the
/// same `InvalidCredentials` after the same amount of hashing work.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> Result<user::Model, AccountError> {
    let account = match normalize_email(email) {
        Ok(email) => find_by_email(db, &email).await?,
        Err(_) => None,
    };
    let Some(account) = account else {
        password::verify_decoy(password.to_owned()).await?;
        return Err(AccountError::InvalidCredentials);
    };
    if password::verify(password.to_owned(), account.password_hash.clone()).await? {
        Ok(account)
    } else {
        Err(AccountError::InvalidCredentials)
    }
}

/// The account whose (normalised) email is `email`.
pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

/// The accounts with the given ids (unknown ids are left out), in one query.
pub async fn find_by_ids(db: &DatabaseConnection, ids: &[Uuid]) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// Changes to a profile; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub new_password: Option<String>,
    /// Required, and checked, when `new_password` is set.
    pub current_password: Option<String>,
}

/// Applies `changes` to account `id`, with the same rules as at registration. All values are checked
/// before anything is written. A changed email is announced with `UserEmailChanged`, written to the
/// outbox in the same transaction as the change.
pub async fn update_profile(
    db: &DatabaseConnection,
    id: Uuid,
    changes: ProfileChanges,
) -> Result<user::Model, AccountError> {
    let name = changes.name.as_deref().map(normalize_name).transpose()?;
    let email = changes.email.as_deref().map(normalize_email).transpose()?;
    if let Some(new_password) = &changes.new_password {
        check_new_password(new_password)?;
    }
    let account = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AccountError::NotFound(id))?;
    let password_hash = match changes.new_password {
        None => None,
        Some(new_password) => {
            let current = changes
                .current_password
                .ok_or(AccountError::CurrentPasswordRequired)?;
            if !password::verify(current, account.password_hash.clone()).await? {
                return Err(AccountError::WrongCurrentPassword);
            }
            Some(password::hash(new_password).await?)
        }
    };
    if name.is_none() && email.is_none() && password_hash.is_none() {
        return Ok(account);
    }
    let previous_email = account.email.clone();
    let mut active: user::ActiveModel = account.into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(email) = email {
        active.email = Set(email);
    }
    if let Some(password_hash) = password_hash {
        active.password_hash = Set(password_hash);
    }
    active.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let account = active.update(&txn).await.map_err(email_conflict)?;
    let email_changed = account.email != previous_email;
    if email_changed {
        let event = UserEmailChanged {
            user_id: account.id,
            email: account.email.clone(),
            name: account.name.clone(),
        };
        outbox::append(&txn, crate::SERVICE, event, None).await?;
    }
    txn.commit().await?;
    if email_changed {
        outbox::wake_relays();
    }
    Ok(account)
}

/// A write's error, with a unique-index violation (the only unique key a write can break is the email)
/// read as `EmailTaken`.
fn email_conflict(err: DbErr) -> AccountError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AccountError::EmailTaken,
        _ => AccountError::Database(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        assert_eq!(
            normalize_email("  Jane.Doe+shop@Example.COM \n").unwrap(),
            "jane.doe+shop@example.com"
        );
        for bad in [
            "",
            "jane",
            "@example.com",
            "jane@",
            "jane@example",
            "jane@@example.com",
            "ja ne@example.com",
            "jane@example..com",
            "jane@.example.com",
            "jane@example.com.",
            ".jane@example.com",
            "jane..doe@example.com",
            "jane@-example.com",
            "<jane>@example.com",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(AccountError::InvalidEmail)),
                "{bad:?} accepted"
            );
        }
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert!(normalize_email(&long).is_err());
        let local_too_long = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&local_too_long).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_name("  Jane Doe ").unwrap(), "Jane Doe");
        assert!(normalize_name("   ").is_err());
        assert!(normalize_name(&"é".repeat(100)).is_ok());
        assert!(normalize_name(&"é".repeat(101)).is_err());
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(matches!(
            check_new_password("1234567"),
            Err(AccountError::PasswordTooShort)
        ));
        assert!(check_new_password("12345678").is_ok());
        assert!(check_new_password("ééééééé").is_err());
        assert!(matches!(
            check_new_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)),
            Err(AccountError::PasswordTooLong)
        ));
    }
}
