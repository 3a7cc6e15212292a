//! Mail settings of the notifications service, from the environment (the shared `Config` file layer
//! rejects keys it does not know, so these have no file keys): `MAIL_FROM` (the sender mailbox, default
//! `shopgraph <no-reply@shopgraph.local>`), `MAIL_DIR` (where the file transport writes, default
//! `data/outbox-mail`), `SMTP_URL` (`smtp://host[:port]`; when set, mail goes over SMTP instead of into
//! files) and `MAIL_MAX_ATTEMPTS` (delivery attempts before a notification is FAILED, default 5).

use std::path::PathBuf;
use std::sync::Arc;

use super::file::DEFAULT_MAIL_DIR;
use super::{FileSender, Mailbox, SharedSender, SmtpSender, SmtpServer};

/// The sender mailbox unless `MAIL_FROM` says otherwise.
pub const DEFAULT_FROM: &str = "shopgraph <no-reply@shopgraph.local>";
/// Delivery attempts unless `MAIL_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `From` of every message, and the domain of its `Message-ID`.
    pub from: Mailbox,
    /// Directory of the file transport.
    pub dir: PathBuf,
    /// The SMTP server to send through instead of writing files.
    pub smtp: Option<SmtpServer>,
    /// Delivery attempts of a notification before it is given up as FAILED.
    pub max_attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("invalid value for environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: Mailbox {
                name: Some("shopgraph".to_owned()),
                address: "no-reply@shopgraph.local".to_owned(),
            },
            dir: PathBuf::from(DEFAULT_MAIL_DIR),
            smtp: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl MailConfig {
    /// Defaults overlaid with the process environment.
    pub fn from_env() -> Result<MailConfig, MailConfigError> {
        MailConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// Defaults overlaid with the variables `var` returns (empty values count as unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<MailConfig, MailConfigError> {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let mut config = MailConfig::default();
        if let Some(from) = var("MAIL_FROM") {
            config.from = Mailbox::parse(&from).map_err(|err| MailConfigError::Env {
                name: "MAIL_FROM",
                message: err.to_string(),
            })?;
        }
        if let Some(dir) = var("MAIL_DIR") {
            config.dir = PathBuf::from(dir);
        }
        if let Some(url) = var("SMTP_URL") {
            config.smtp =
                Some(
                    SmtpServer::from_url(&url).map_err(|message| MailConfigError::Env {
                        name: "SMTP_URL",
                        message,
                    })?,
                );
        }
        if let Some(attempts) = var("MAIL_MAX_ATTEMPTS") {
            config.max_attempts = attempts
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|attempts| *attempts > 0)
                .ok_or_else(|| MailConfigError::Env {
                    name: "MAIL_MAX_ATTEMPTS",
                    message: format!("`{attempts}` (expected a whole number of at least 1)"),
                })?;
        }
        Ok(config)
    }

    /// The configured transport: SMTP when `smtp` is set, otherwise `.eml` files in `dir`.
    pub fn sender(&self) -> SharedSender {
        match &self.smtp {
            Some(server) => Arc::new(SmtpSender::new(server.clone(), self.from.domain())),
            None => Arc::new(FileSender::new(self.dir.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn defaults_write_files_under_data() {
        let config = MailConfig::from_vars(|_| None).unwrap();
        assert_eq!(config, MailConfig::default());
        assert_eq!(config.from, Mailbox::parse(DEFAULT_FROM).unwrap());
        assert_eq!(config.sender().describe(), "files in data/outbox-mail");
    }

    #[test]
    fn the_environment_picks_smtp_sender_and_attempts() {
        let config = MailConfig::from_vars(vars(&[
            ("MAIL_FROM", "Shop <shop@example.com>"),
            ("MAIL_DIR", "/tmp/mail"),
            ("SMTP_URL", "smtp://127.0.0.1:1025"),
            ("MAIL_MAX_ATTEMPTS", "3"),
        ]))
        .unwrap();
        assert_eq!(config.from.address, "shop@example.com");
        assert_eq!(config.dir, PathBuf::from("/tmp/mail"));
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.sender().describe(), "SMTP 127.0.0.1:1025");
        let empty = MailConfig::from_vars(vars(&[("SMTP_URL", "")])).unwrap();
        assert_eq!(empty.smtp, None);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, name) in [
            (&[("SMTP_URL", "smtps://relay")][..], "SMTP_URL"),
            (&[("MAIL_FROM", "not an address")][..], "MAIL_FROM"),
            (&[("MAIL_MAX_ATTEMPTS", "0")][..], "MAIL_MAX_ATTEMPTS"),
        ] {
            let pairs: &'static [(&str, &str)] = pairs;
            let err = MailConfig::from_vars(vars(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
