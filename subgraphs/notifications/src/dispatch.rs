//! The delivery loop: sends stored notifications that are due and records the outcome. Each pass reads
//! the due PENDING email notifications (oldest first), claims each with a conditional update (one more
//! attempt, and its due time pushed past `claim_timeout`, so a second dispatcher over the same database
//! skips it and a dispatcher that dies mid-send leaves it to be retried), sends it through the
//! [`Sender`](crate::mail::Sender), and marks it SENT, or PENDING again after an exponential backoff, or
//! FAILED when the error is permanent or the attempts are used up. A send that succeeded but could not
//! be recorded is sent again later: delivery is at least once (the file transport overwrites its file; an
//! SMTP server sees the same `Message-ID`).

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shopgraph_events::Shutdown;
use uuid::Uuid;

use crate::directory;
use crate::entity::notification::{self, Column, Entity};
use crate::inbox::UNKNOWN_RECIPIENT;
use crate::mail::{EmailMessage, Mailbox, SendError, SharedSender};
use crate::notification::{Channel, DeliveryStatus};

/// Settings of the delivery loop.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// Attempts before a notification is FAILED.
    pub max_attempts: u32,
    /// Delay after the first failed attempt; doubled after each further one, up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// How often to look for due notifications.
    pub poll_interval: Duration,
    /// Notifications read per query.
    pub batch_size: u64,
    /// Longest one send may take; a slower one counts as a failed attempt.
    pub send_timeout: Duration,
    /// How long a claimed notification is left alone by other dispatchers (longer than `send_timeout`).
    pub claim_timeout: Duration,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            max_attempts: crate::mail::config::DEFAULT_MAX_ATTEMPTS,
            initial_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(15 * 60),
            poll_interval: Duration::from_millis(250),
            batch_size: 50,
            send_timeout: Duration::from_secs(120),
            claim_timeout: Duration::from_secs(300),
        }
    }
}

impl DispatchOptions {
    /// The delay before the attempt after failed attempt number `attempt` (1 at first).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    pub failed: usize,
}

impl DispatchReport {
    pub fn attempted(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// Sends the notifications of one database.
pub struct Dispatcher {
    db: DatabaseConnection,
    sender: SharedSender,
    from: Mailbox,
    options: DispatchOptions,
}

impl Dispatcher {
    pub fn new(
        db: DatabaseConnection,
        sender: SharedSender,
        from: Mailbox,
        options: DispatchOptions,
    ) -> Dispatcher {
        Dispatcher {
            db,
            sender,
            from,
            options,
        }
    }

    /// One pass over the notifications due now.
    pub async fn dispatch_due(&self) -> Result<DispatchReport, DbErr> {
        self.dispatch(None).await
    }

    /// Sends until `shutdown` fires; a notification being sent is finished first.
    pub async fn run(self, shutdown: Shutdown) {
        tracing::info!(sender = %self.sender.describe(), "notification dispatcher started");
        while !shutdown.is_triggered() {
            let pause = match self.dispatch(Some(&shutdown)).await {
                Ok(report) if report.attempted() as u64 >= self.options.batch_size => {
                    Duration::ZERO
                }
                Ok(_) => self.options.poll_interval,
                Err(err) => {
                    tracing::warn!(error = %err, "notification dispatch failed; retrying");
                    self.options.poll_interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = shutdown.wait() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("notification dispatcher stopped");
    }

    async fn dispatch(&self, shutdown: Option<&Shutdown>) -> Result<DispatchReport, DbErr> {
        let now = Utc::now();
        let due = Entity::find()
            .filter(Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(Column::Channel.eq(Channel::Email.as_str()))
            .filter(Column::NextAttemptAt.lte(now))
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::Id)
            .limit(self.options.batch_size)
            .all(&self.db)
            .await?;
        let mut report = DispatchReport::default();
        if due.is_empty() {
            return Ok(report);
        }
        let names = directory::names(&self.db, due.iter().map(|row| row.user_id)).await?;
        for row in due {
            if shutdown.is_some_and(Shutdown::is_triggered) {
                break;
            }
            let Some(attempt) = self.claim(&row).await? else {
                continue;
            };
            let outcome = self.send(&row, &names).await;
            self.record(&row, attempt, outcome, &mut report).await?;
        }
        Ok(report)
    }

    /// Takes `row` for one attempt; returns the attempt's number, or `None` when another dispatcher
    /// took it first.
    async fn claim(&self, row: &notification::Model) -> Result<Option<i32>, DbErr> {
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(self.options.claim_timeout).unwrap_or_default();
        let attempt = row.attempts.saturating_add(1);
        let result = Entity::update_many()
            .col_expr(Column::Attempts, Expr::value(attempt))
            .col_expr(Column::NextAttemptAt, Expr::value(until))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(Column::Attempts.eq(row.attempts))
            .filter(Column::NextAttemptAt.lte(now))
            .exec(&self.db)
            .await?;
        Ok((result.rows_affected == 1).then_some(attempt))
    }

    async fn send(
        &self,
        row: &notification::Model,
        names: &HashMap<Uuid, String>,
    ) -> Result<(), SendError> {
        let recipient = row
            .recipient
            .as_deref()
            .ok_or_else(|| SendError::Permanent(UNKNOWN_RECIPIENT.to_owned()))?;
        let message = EmailMessage {
            id: row.id,
            from: self.from.clone(),
            to: Mailbox::new(names.get(&row.user_id).map(String::as_str), recipient)?,
            subject: row.subject.clone(),
            date: row.created_at,
            text: row.body.clone(),
            html: row.body_html.clone(),
        };
        tokio::time::timeout(self.options.send_timeout, self.sender.send(&message))
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(format!(
                    "sending took longer than {:?}",
                    self.options.send_timeout
                )))
            })
    }

    async fn record(
        &self,
        row: &notification::Model,
        attempt: i32,
        outcome: Result<(), SendError>,
        report: &mut DispatchReport,
    ) -> Result<(), DbErr> {
        let now = Utc::now();
        let mut update = Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(row.id))
            .filter(Column::Attempts.eq(attempt));
        match outcome {
            Ok(()) => {
                report.sent += 1;
                update = update
                    .col_expr(Column::Status, Expr::value(DeliveryStatus::Sent.as_str()))
                    .col_expr(Column::SentAt, Expr::value(Some(now)))
                    .col_expr(Column::Error, Expr::value(Option::<String>::None));
            }
            Err(err) => {
                let used_up =
                    u32::try_from(attempt).unwrap_or(u32::MAX) >= self.options.max_attempts;
                if err.is_permanent() || used_up {
                    report.failed += 1;
                    tracing::error!(notification = %row.id, attempt, error = %err, "notification failed for good");
                    update = update
                        .col_expr(Column::Status, Expr::value(DeliveryStatus::Failed.as_str()));
                } else {
                    report.retrying += 1;
                    let delay = self
                        .options
                        .backoff(u32::try_from(attempt).unwrap_or(u32::MAX));
                    tracing::warn!(notification = %row.id, attempt, error = %err, retry_in = ?delay, "sending a notification failed; will retry");
                    let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    update = update.col_expr(Column::NextAttemptAt, Expr::value(at));
                }
                update = update.col_expr(Column::Error, Expr::value(Some(err.to_string())));
            }
        }
        if update.exec(&self.db).await?.rows_affected == 0 {
            tracing::warn!(notification = %row.id, attempt, "another dispatcher took the notification over meanwhile");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let options = DispatchOptions {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            ..DispatchOptions::default()
        };
        let delays: Vec<u64> = (1..=5).map(|a| options.backoff(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 5, 5]);
        assert_eq!(options.backoff(200), Duration::from_secs(5));
    }
}
