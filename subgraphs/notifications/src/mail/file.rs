//! The default mail transport: every message becomes `<directory>/<notification id>.eml` (written to a
//! temporary name and renamed, so a reader never sees half a file) and a log line. Sending the same
//! message again replaces its file, so a retried notification still leaves exactly one file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{EmailMessage, SendError, Sender};

/// Where the file transport writes unless configured otherwise (`MAIL_DIR`).
pub const DEFAULT_MAIL_DIR: &str = "data/outbox-mail";

/// Writes messages as `.eml` files into a directory (created when missing).
#[derive(Debug, Clone)]
pub struct FileSender {
    dir: PathBuf,
}

impl FileSender {
    pub fn new(dir: impl Into<PathBuf>) -> FileSender {
        FileSender { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `message` is written to.
    pub fn path_for(&self, message: &EmailMessage) -> PathBuf {
        self.dir.join(format!("{}.eml", message.id))
    }
}

#[async_trait]
impl Sender for FileSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), SendError> {
        let path = self.path_for(message);
        let temporary = self.dir.join(format!(".{}.eml.tmp", message.id));
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source| SendError::Write { path, source }
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(write_error(&self.dir))?;
        tokio::fs::write(&temporary, message.to_rfc5322())
            .await
            .map_err(write_error(&temporary))?;
        tokio::fs::rename(&temporary, &path)
            .await
            .map_err(write_error(&path))?;
        tracing::info!(
            to = %message.to.address,
            subject = %message.subject,
            path = %path.display(),
            "email written"
        );
        Ok(())
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}
