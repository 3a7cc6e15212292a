//! The sea-orm entities of the notifications database: the stored notifications and the local directory
//! of users (who to address).

pub mod known_user;
pub mod notification;
