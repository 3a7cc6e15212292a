//! The local user directory: who to address. `UserRegistered` and `UserEmailChanged` record a user's
//! email and name here (an event older than the stored entry is ignored, so a late redelivery cannot undo
//! a newer change); order notifications look the recipient up here instead of asking the users service.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entity::known_user;

/// A user as the directory knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
}

impl From<known_user::Model> for Contact {
    fn from(row: known_user::Model) -> Contact {
        Contact {
            user_id: row.user_id,
            email: row.email,
            name: row.name,
        }
    }
}

/// Records that, as of `changed_at`, `user_id` has `email` and `name`, unless the directory holds a
/// newer entry. Returns the entry now in the directory.
pub async fn record(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    email: &str,
    name: &str,
    changed_at: DateTime<Utc>,
) -> Result<Contact, DbErr> {
    known_user::Entity::insert(known_user::ActiveModel {
        user_id: Set(user_id),
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        changed_at: Set(changed_at),
    })
    .on_conflict(
        OnConflict::column(known_user::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    known_user::Entity::update_many()
        .set(known_user::ActiveModel {
            email: Set(email.to_owned()),
            name: Set(name.to_owned()),
            changed_at: Set(changed_at),
            ..Default::default()
        })
        .filter(known_user::Column::UserId.eq(user_id))
        .filter(known_user::Column::ChangedAt.lt(changed_at))
        .exec(conn)
        .await?;
    find(conn, user_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {user_id} vanished from the directory")))
}

/// The directory entry of `user_id`.
pub async fn find(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<Contact>, DbErr> {
    Ok(known_user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .map(Contact::from))
}

/// The names of the known users among `user_ids`, in one query.
pub async fn names(
    conn: &impl ConnectionTrait,
    user_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    let rows = known_user::Entity::find()
        .filter(known_user::Column::UserId.is_in(user_ids))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.user_id, row.name))
        .collect())
}
