//! Sending email: the [`EmailMessage`] a notification becomes (rendered as an RFC 5322 / MIME message in
//! [`rfc5322`]), the [`Sender`] trait every transport implements, and the two transports — [`FileSender`]
//! (the default: each message becomes an `.eml` file in a directory, and a log line) and [`SmtpSender`]
//! (a minimal SMTP client, used when `SMTP_URL` is configured) — chosen by [`MailConfig`].

pub mod config;
pub mod file;
pub mod rfc5322;
pub mod smtp;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use config::{MailConfig, MailConfigError};
pub use file::FileSender;
pub use smtp::{SmtpSender, SmtpServer};

/// A transport for email messages.
#[async_trait]
pub trait Sender: Send + Sync + fmt::Debug {
    /// Delivers `message` (or hands it to the next hop). Sending the same message again (same
    /// [`EmailMessage::id`]) after a failure must be safe; it may deliver a second copy.
    async fn send(&self, message: &EmailMessage) -> Result<(), SendError>;

    /// What this transport is, for logs: `files in data/outbox-mail`, `SMTP 127.0.0.1:25`.
    fn describe(&self) -> String;
}

/// A sender shared by the tasks of a process.
pub type SharedSender = Arc<dyn Sender>;

/// Why a message was not sent. [`SendError::is_permanent`] errors are not retried.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The address cannot be used in a message (or SMTP): retrying cannot help.
    #[error("invalid email address `{0}`")]
    InvalidAddress(String),
    /// The directory of the file transport cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The SMTP server cannot be reached.
    #[error("cannot connect to the SMTP server {server}: {message}")]
    Connect { server: String, message: String },
    #[error("SMTP {stage}: no answer within {after:?}")]
    Timeout {
        stage: &'static str,
        after: Duration,
    },
    #[error("SMTP {stage}: connection failed: {message}")]
    Io {
        stage: &'static str,
        message: String,
    },
    /// The SMTP server refused: 4xx codes are transient, 5xx permanent.
    #[error("SMTP {stage}: the server answered {code} {message}")]
    Rejected {
        stage: &'static str,
        code: u16,
        message: String,
    },
    #[error("SMTP {stage}: unreadable reply: {message}")]
    Protocol {
        stage: &'static str,
        message: String,
    },
    /// Any other failure that may pass (for transports other than the built-in ones).
    #[error("{0}")]
    Transient(String),
    /// Any other failure that retrying cannot fix.
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    /// Whether retrying the same message cannot succeed.
    pub fn is_permanent(&self) -> bool {
        match self {
            SendError::InvalidAddress(_) | SendError::Permanent(_) => true,
            SendError::Rejected { code, .. } => (500..600).contains(code),
            _ => false,
        }
    }
}

/// A name and an address: `Ada Lovelace <ada@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name, without control characters; `None` for a bare address.
    pub name: Option<String>,
    /// `local@domain`, printable ASCII without spaces or the characters that delimit addresses.
    pub address: String,
}

impl Mailbox {
    /// A mailbox, if `address` can be written into a message header and an SMTP command as it is.
    pub fn new(name: Option<&str>, address: &str) -> Result<Mailbox, SendError> {
        let address = address.trim();
        if !is_plain_address(address) {
            return Err(SendError::InvalidAddress(address.to_owned()));
        }
        let name = name
            .map(|name| {
                name.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .filter(|name| !name.is_empty());
        Ok(Mailbox {
            name,
            address: address.to_owned(),
        })
    }

    /// `Name <address>` or a bare `address`.
    pub fn parse(text: &str) -> Result<Mailbox, SendError> {
        let text = text.trim();
        match text
            .strip_suffix('>')
            .and_then(|rest| rest.rsplit_once('<'))
        {
            Some((name, address)) => {
                let name = name.trim().trim_matches('"');
                Mailbox::new(Some(name), address)
            }
            None => Mailbox::new(None, text),
        }
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map_or("localhost", |(_, domain)| domain)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// Whether `address` is `local@domain` in printable ASCII with none of the characters that would let it
/// escape a header or an SMTP command (spaces, `<>()[],;:"\`).
fn is_plain_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let plain = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"<>()[],;:\"\\@".contains(&b))
    };
    address.len() <= 254 && plain(local) && plain(domain)
}

/// An email ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The notification's id: the `Message-ID` is made from it and the file transport names the file
    /// after it, so every attempt sends the same message.
    pub id: Uuid,
    pub from: Mailbox,
    pub to: Mailbox,
    pub subject: String,
    pub date: DateTime<Utc>,
    /// Plain-text body.
    pub text: String,
    /// HTML alternative: the message becomes `multipart/alternative`.
    pub html: Option<String>,
}

impl EmailMessage {
    /// `<id@from-domain>`.
    pub fn message_id(&self) -> String {
        format!("<{}@{}>", self.id, self.from.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_take_plain_addresses_only() {
        let mailbox = Mailbox::parse("shopgraph <no-reply@shopgraph.local>").unwrap();
        assert_eq!(mailbox.name.as_deref(), Some("shopgraph"));
        assert_eq!(mailbox.address, "no-reply@shopgraph.local");
        assert_eq!(mailbox.domain(), "shopgraph.local");
        let bare = Mailbox::parse(" ada@example.com ").unwrap();
        assert_eq!(bare.name, None);
        assert_eq!(bare.to_string(), "ada@example.com");
        assert_eq!(
            Mailbox::parse("\"Ada L.\" <ada@example.com>")
                .unwrap()
                .name
                .as_deref(),
            Some("Ada L.")
        );
        for bad in [
            "",
            "no-at-sign",
            "a@",
            "@b",
            "a b@example.com",
            "a@example.com>\r\nRCPT TO:<b@example.com",
            "ünï@example.com",
        ] {
            assert!(Mailbox::new(None, bad).is_err(), "{bad:?} was accepted");
        }
        let named = Mailbox::new(Some("Eve\r\nBcc: x"), "eve@example.com").unwrap();
        assert_eq!(named.name.as_deref(), Some("Eve  Bcc: x"));
    }

    #[test]
    fn only_refusals_for_good_are_permanent() {
        let rejected = |code| SendError::Rejected {
            stage: "RCPT TO",
            code,
            message: String::new(),
        };
        assert!(rejected(550).is_permanent());
        assert!(!rejected(451).is_permanent());
        assert!(SendError::InvalidAddress("x".into()).is_permanent());
        assert!(!SendError::Transient("x".into()).is_permanent());
        assert!(
            !SendError::Timeout {
                stage: "DATA",
                after: Duration::from_secs(1)
            }
            .is_permanent()
        );
    }
}
