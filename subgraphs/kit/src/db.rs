//! The service's own database: connect to SQLite (a file, created with its directory) or PostgreSQL
//! from one URL, run the service's migrations, and answer readiness pings.

use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;

use crate::error::StartError;

/// Connects to `url`. A SQLite file and its directory are created when missing, and the database is put
/// in WAL mode so readers do not block the writer.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StartError> {
    let url = sqlite_url_with_create_mode(url)?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(16)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .map_err(|source| StartError::Connect {
            url: redact(&url),
            source,
        })?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    Ok(db)
}

/// Connects and brings the schema up to date with `M`'s migrations.
pub async fn connect_and_migrate<M: MigratorTrait>(
    url: &str,
) -> Result<DatabaseConnection, StartError> {
    let db = connect(url).await?;
    M::up(&db, None).await.map_err(StartError::Migrate)?;
    Ok(db)
}

/// For `sqlite:` URLs: creates the file's directory and asks for the file to be created (`mode=rwc`).
fn sqlite_url_with_create_mode(url: &str) -> Result<String, StartError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(url.to_owned());
    };
    let path = rest.trim_start_matches("//");
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| StartError::Connect {
            url: url.to_owned(),
            source: sea_orm::DbErr::Custom(format!(
                "cannot create directory {}: {e}",
                dir.display()
            )),
        })?;
    }
    Ok(match query {
        Some(query) if query.contains("mode=") => url.to_owned(),
        Some(query) => format!("sqlite://{path}?{query}&mode=rwc"),
        None => format!("sqlite://{path}?mode=rwc"),
    })
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Whether the database answers a trivial query.
pub async fn is_reachable(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_passwords_are_redacted() {
        let dir = std::env::temp_dir().join(format!("kit-db-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/x.db", dir.display());
        assert_eq!(
            sqlite_url_with_create_mode(&url).unwrap(),
            format!("{url}?mode=rwc")
        );
        assert!(dir.is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            sqlite_url_with_create_mode("postgres://a@b/c").unwrap(),
            "postgres://a@b/c"
        );
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
    }
}
