//! The vocabulary of a notification: what it is about ([`NotificationKind`]), how it travels
//! ([`Channel`]) and where its delivery stands ([`DeliveryStatus`]), each stored as its `as_str` text and
//! exposed as a GraphQL enum.

use async_graphql::Enum;

/// What a notification is about; one kind per event type that causes a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum NotificationKind {
    /// The account was opened (`UserRegistered`).
    Welcome,
    /// An order was paid and confirmed (`OrderConfirmed`).
    OrderConfirmed,
    /// An order could not be completed (`OrderFailed`).
    OrderFailed,
    /// An order was cancelled (`OrderCancelled`).
    OrderCancelled,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 4] = [
        NotificationKind::Welcome,
        NotificationKind::OrderConfirmed,
        NotificationKind::OrderFailed,
        NotificationKind::OrderCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Welcome => "WELCOME",
            NotificationKind::OrderConfirmed => "ORDER_CONFIRMED",
            NotificationKind::OrderFailed => "ORDER_FAILED",
            NotificationKind::OrderCancelled => "ORDER_CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// How a notification reaches the user. Only email is delivered today; SMS is modelled so that the
/// stored records and the API need no change when it comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[graphql(name = "NotificationChannel")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "EMAIL",
            Channel::Sms => "SMS",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "EMAIL" => Some(Channel::Email),
            "SMS" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// Where the delivery of a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[graphql(name = "NotificationStatus")]
pub enum DeliveryStatus {
    /// Stored, not delivered yet (a failed attempt that will be retried stays pending).
    Pending,
    /// Handed to the mail transport.
    Sent,
    /// Given up on: attempts exhausted, rejected for good, or no known recipient.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Sent => "SENT",
            DeliveryStatus::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "PENDING" => Some(DeliveryStatus::Pending),
            "SENT" => Some(DeliveryStatus::Sent),
            "FAILED" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_texts_round_trip() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        for channel in [Channel::Email, Channel::Sms] {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
        ] {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(NotificationKind::parse("welcome"), None);
    }
}
