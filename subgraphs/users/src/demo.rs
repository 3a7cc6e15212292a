//! Demo accounts for the development stack: an administrator and a customer with well-known passwords.
//! Seeding is idempotent: an account whose email exists already is left alone.

use sea_orm::{DatabaseConnection, DbErr};
use shopgraph_kit::Role;

use crate::account::{self, AccountError, NewAccount};

pub const ADMIN_EMAIL: &str = "admin@shopgraph.dev";
pub const ADMIN_PASSWORD: &str = "admin-password";
pub const ADMIN_NAME: &str = "Shop Admin";
pub const CUSTOMER_EMAIL: &str = "demo@shopgraph.dev";
pub const CUSTOMER_PASSWORD: &str = "demo-password";
pub const CUSTOMER_NAME: &str = "Demo Customer";

/// Creates the demo administrator and customer unless they exist.
pub async fn seed(db: &DatabaseConnection) -> Result<(), DbErr> {
    let accounts = [
        (ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_NAME, Role::Admin),
        (
            CUSTOMER_EMAIL,
            CUSTOMER_PASSWORD,
            CUSTOMER_NAME,
            Role::Customer,
        ),
    ];
    for (email, password, name, role) in accounts {
        if account::find_by_email(db, email).await?.is_some() {
            continue;
        }
        let new = NewAccount {
            email: email.to_owned(),
            password: password.to_owned(),
            name: name.to_owned(),
            role,
            traceparent: None,
        };
        match account::create(db, new).await {
            // Created, or created by a concurrent seed in the meantime.
            Ok(_) | Err(AccountError::EmailTaken) => {}
            Err(AccountError::Database(err)) => return Err(err),
            Err(err) => {
                return Err(DbErr::Custom(format!(
                    "cannot seed demo account {email}: {err}"
                )));
            }
        }
    }
    tracing::info!("demo accounts ready: {ADMIN_EMAIL}, {CUSTOMER_EMAIL}");
    Ok(())
}
