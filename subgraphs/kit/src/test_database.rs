//! Fresh, throw-away databases for tests: a SQLite file in a new temporary directory, or — when
//! `TEST_DATABASE_URL` names a PostgreSQL server — a new database on it, dropped again afterwards.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Database};

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    /// The URL to give the service under test.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(PathBuf),
    Postgres { server_url: String, name: String },
}

impl TestDatabase {
    /// A new empty SQLite database.
    pub fn sqlite(prefix: &str) -> TestDatabase {
        let dir = std::env::temp_dir().join(format!("shopgraph-{prefix}-{}", uuid::Uuid::new_v4()));
        TestDatabase {
            url: format!("sqlite://{}/{prefix}.db", dir.display()),
            cleanup: Cleanup::SqliteDir(dir),
        }
    }

    /// A new empty PostgreSQL database on the server of `server_url`.
    pub async fn postgres(server_url: &str, prefix: &str) -> Result<TestDatabase, sea_orm::DbErr> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(server_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        Ok(TestDatabase {
            url: replace_database_name(server_url, &name),
            cleanup: Cleanup::Postgres {
                server_url: server_url.to_owned(),
                name,
            },
        })
    }

    /// PostgreSQL when `TEST_DATABASE_URL` is set, SQLite otherwise.
    pub async fn from_env(prefix: &str) -> Result<TestDatabase, sea_orm::DbErr> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => TestDatabase::postgres(&url, prefix).await,
            _ => Ok(TestDatabase::sqlite(prefix)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }
}

/// `postgres://user@host:5432/test?x=y` with the database `name` instead of `test`.
fn replace_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { server_url, name } => {
                let server_url = server_url.clone();
                let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                // Drop may run inside a runtime, which cannot block: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&server_url).await {
                            let _ = admin.execute_unprepared(&statement).await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database_name;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database_name("postgres://h/test?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(replace_database_name("postgres://h", "x"), "postgres://h/x");
    }
}
