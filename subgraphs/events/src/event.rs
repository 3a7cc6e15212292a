//! The one shared, versioned definition of shopgraph's domain events: the [`EventEnvelope`] every event
//! travels in (id, type, schema version, time, producer, W3C trace context, JSON payload), the typed
//! payload of each event type with its `TYPE` and `VERSION`, the [`DomainEvent`] enum over all of them,
//! and decoding an envelope back into a typed event, which fails clearly for an unknown type, an
//! unsupported version or a payload that does not fit.
//!
//! Evolving an event: a compatible change (a new optional field, `#[serde(default)]`) keeps the version,
//! because payloads are decoded leniently (unknown fields are ignored). A breaking change bumps the
//! struct's `VERSION`; until every producer has moved, [`DomainEvent::decode`] keeps an arm that reads the
//! old version and converts it ("upcasting"). Consumers dead-letter versions they do not know.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use shopgraph_kit::Money;

/// The typed payload of one event type.
pub trait EventPayload: Serialize + DeserializeOwned + Into<DomainEvent> {
    /// The event type name carried in [`EventEnvelope::event_type`].
    const TYPE: &'static str;
    /// The schema version this struct describes, carried in [`EventEnvelope::version`].
    const VERSION: u16;
}

/// One line of an order, as the order events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: Uuid,
    /// The product's name when the order was placed.
    pub name: String,
    /// Positive.
    pub quantity: i32,
    /// Price of one unit when the order was placed.
    pub unit_price: Money,
}

/// A customer opened an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: Uuid,
    /// Normalised (trimmed, lower-case).
    pub email: String,
    pub name: String,
}

/// A user changed their sign-in email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEmailChanged {
    pub user_id: Uuid,
    /// The new, normalised email.
    pub email: String,
    /// The user's name after the change.
    pub name: String,
}

/// A user placed an order; stock is to be reserved for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub lines: Vec<OrderLine>,
    pub total: Money,
}

/// The stock of every line of an order is reserved until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReserved {
    pub order_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// The stock of an order could not be reserved (nothing is reserved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRejected {
    pub order_id: Uuid,
    pub reason: String,
}

/// An order is paid and its reservation turned into a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderConfirmed {
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub payment_reference: String,
}

/// An order could not be completed (stock rejected, payment declined, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFailed {
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub reason: String,
}

/// An order was cancelled; its stock goes back, and `refunded` says whether a payment was refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub reason: String,
    pub lines: Vec<OrderLine>,
    pub refunded: bool,
}

/// A stock reservation ran out before the order was confirmed; its stock is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationExpired {
    pub order_id: Uuid,
}

/// A product was added to the catalogue. Also published once for every product that existed before
/// the catalogue events did, so a consumer that reads the stream from its start knows every product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCreated {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    /// Price of one unit.
    pub price: Money,
    /// Whether the product is archived (off sale) already.
    #[serde(default)]
    pub archived: bool,
    /// When the product was last changed; consumers ignore an event older than what they hold.
    pub changed_at: DateTime<Utc>,
}

/// A product's name or price changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductUpdated {
    pub product_id: Uuid,
    pub name: String,
    /// Price of one unit after the change.
    pub price: Money,
    pub changed_at: DateTime<Utc>,
}

/// A product was taken off sale: it leaves the listing and cannot be bought, but still resolves by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductArchived {
    pub product_id: Uuid,
    pub changed_at: DateTime<Utc>,
}

/// An archived product is on sale again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRestored {
    pub product_id: Uuid,
    /// Price of one unit now.
    pub price: Money,
    pub changed_at: DateTime<Utc>,
}

/// Declares each event's `TYPE`/`VERSION`, its `DomainEvent` variant and the `From` conversion, from one
/// list, so the names cannot drift apart.
macro_rules! domain_events {
    ($($name:ident = $version:literal),+ $(,)?) => {
        $(
            impl EventPayload for $name {
                const TYPE: &'static str = stringify!($name);
                const VERSION: u16 = $version;
            }

            impl From<$name> for DomainEvent {
                fn from(event: $name) -> DomainEvent {
                    DomainEvent::$name(event)
                }
            }
        )+

        /// Every domain event of shopgraph, typed.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum DomainEvent {
            $($name($name),)+
        }

        impl DomainEvent {
            /// Every event type with the version this build writes and reads.
            pub const TYPES: &'static [(&'static str, u16)] =
                &[$((stringify!($name), $version),)+];

            /// The event type name.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(DomainEvent::$name(_) => $name::TYPE,)+
                }
            }

            /// The schema version written for this event.
            pub fn version(&self) -> u16 {
                match self {
                    $(DomainEvent::$name(_) => $name::VERSION,)+
                }
            }

            /// The payload as JSON.
            pub fn to_payload(&self) -> Result<serde_json::Value, serde_json::Error> {
                match self {
                    $(DomainEvent::$name(event) => serde_json::to_value(event),)+
                }
            }

            /// The typed event for `event_type` at `version` from its JSON payload.
            pub fn decode(
                event_type: &str,
                version: u16,
                payload: &serde_json::Value,
            ) -> Result<DomainEvent, DecodeError> {
                match event_type {
                    $(stringify!($name) => decode_payload::<$name>(version, payload).map(DomainEvent::$name),)+
                    other => Err(DecodeError::UnknownType(other.to_owned())),
                }
            }
        }
    };
}

domain_events! {
    UserRegistered = 1,
    UserEmailChanged = 1,
    OrderPlaced = 1,
    StockReserved = 1,
    StockRejected = 1,
    OrderConfirmed = 1,
    OrderFailed = 1,
    OrderCancelled = 1,
    ReservationExpired = 1,
    ProductCreated = 1,
    ProductUpdated = 1,
    ProductArchived = 1,
    ProductRestored = 1,
}

/// `T` from a payload written at `version`. Only `T::VERSION` is read today; an upcast from an older
/// version goes here when a version is bumped.
fn decode_payload<T: EventPayload>(
    version: u16,
    payload: &serde_json::Value,
) -> Result<T, DecodeError> {
    if version != T::VERSION {
        return Err(DecodeError::UnsupportedVersion {
            event_type: T::TYPE.to_owned(),
            version,
            supported: T::VERSION,
        });
    }
    T::deserialize(payload).map_err(|source| DecodeError::InvalidPayload {
        event_type: T::TYPE.to_owned(),
        version,
        message: source.to_string(),
    })
}

/// Why an envelope cannot become a typed event. Decoding is deterministic, so consumers dead-letter such
/// a message at once instead of retrying it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    #[error(
        "unsupported version {version} of event type `{event_type}` (this build reads version {supported})"
    )]
    UnsupportedVersion {
        event_type: String,
        version: u16,
        supported: u16,
    },
    #[error("invalid payload for {event_type} v{version}: {message}")]
    InvalidPayload {
        event_type: String,
        version: u16,
        message: String,
    },
    #[error("malformed event message: {0}")]
    Malformed(String),
}

/// An event as it is stored in the outbox and carried by a transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Unique per event (UUIDv7, so ids sort by creation time); consumers de-duplicate on it.
    pub id: Uuid,
    /// [`EventPayload::TYPE`] of the payload.
    pub event_type: String,
    /// [`EventPayload::VERSION`] of the payload.
    pub version: u16,
    pub occurred_at: DateTime<Utc>,
    /// The service that produced the event (`users`, `orders`, …).
    pub producer: String,
    /// W3C trace context (`00-<trace id>-<parent id>-<flags>`) of the operation that caused the event.
    pub traceparent: Option<String>,
    pub payload: serde_json::Value,
}

/// Field names of an envelope in a stream message.
mod field {
    pub const ID: &str = "id";
    pub const TYPE: &str = "type";
    pub const VERSION: &str = "version";
    pub const OCCURRED_AT: &str = "occurred_at";
    pub const PRODUCER: &str = "producer";
    pub const TRACEPARENT: &str = "traceparent";
    pub const PAYLOAD: &str = "payload";
}

impl EventEnvelope {
    /// A new envelope (fresh id, occurred now) around `event`. A `traceparent` that is not a valid W3C
    /// `traceparent` value is left out.
    pub fn new(
        producer: &str,
        event: &DomainEvent,
        traceparent: Option<String>,
    ) -> Result<EventEnvelope, serde_json::Error> {
        Ok(EventEnvelope {
            id: Uuid::now_v7(),
            event_type: event.event_type().to_owned(),
            version: event.version(),
            occurred_at: Utc::now(),
            producer: producer.to_owned(),
            traceparent: traceparent.filter(|value| {
                let valid = is_valid_traceparent(value);
                if !valid {
                    tracing::debug!(traceparent = %value, "ignoring an invalid traceparent");
                }
                valid
            }),
            payload: event.to_payload()?,
        })
    }

    /// The typed event; an unknown type, an unsupported version or a payload that does not fit is an error.
    pub fn decode(&self) -> Result<DomainEvent, DecodeError> {
        DomainEvent::decode(&self.event_type, self.version, &self.payload)
    }

    /// The payload as `T`, if this envelope holds a `T` event of a version this build reads.
    pub fn decode_as<T: EventPayload>(&self) -> Result<T, DecodeError> {
        if self.event_type != T::TYPE {
            return Err(DecodeError::InvalidPayload {
                event_type: self.event_type.clone(),
                version: self.version,
                message: format!("expected a {} event", T::TYPE),
            });
        }
        decode_payload(self.version, &self.payload)
    }

    /// The envelope as the flat field/value list of a stream message.
    pub fn to_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            (field::ID, self.id.to_string()),
            (field::TYPE, self.event_type.clone()),
            (field::VERSION, self.version.to_string()),
            (field::OCCURRED_AT, self.occurred_at.to_rfc3339()),
            (field::PRODUCER, self.producer.clone()),
            (field::PAYLOAD, self.payload.to_string()),
        ];
        if let Some(traceparent) = &self.traceparent {
            fields.push((field::TRACEPARENT, traceparent.clone()));
        }
        fields
    }

    /// The envelope from the fields of a stream message (extra fields are ignored).
    pub fn from_fields(fields: &HashMap<String, String>) -> Result<EventEnvelope, DecodeError> {
        let get = |name: &str| {
            fields
                .get(name)
                .ok_or_else(|| DecodeError::Malformed(format!("missing field `{name}`")))
        };
        let malformed = |name: &str, err: &dyn std::fmt::Display| {
            DecodeError::Malformed(format!("field `{name}`: {err}"))
        };
        Ok(EventEnvelope {
            id: get(field::ID)?
                .parse()
                .map_err(|e| malformed(field::ID, &e))?,
            event_type: get(field::TYPE)?.clone(),
            version: get(field::VERSION)?
                .parse()
                .map_err(|e| malformed(field::VERSION, &e))?,
            occurred_at: DateTime::parse_from_rfc3339(get(field::OCCURRED_AT)?)
                .map_err(|e| malformed(field::OCCURRED_AT, &e))?
                .with_timezone(&Utc),
            producer: get(field::PRODUCER)?.clone(),
            traceparent: fields.get(field::TRACEPARENT).cloned(),
            payload: serde_json::from_str(get(field::PAYLOAD)?)
                .map_err(|e| malformed(field::PAYLOAD, &e))?,
        })
    }
}

/// Whether `value` has the W3C `traceparent` shape: `version-traceid-parentid-flags` in lower-case hex
/// with 2, 32, 16 and 2 digits, and neither id all zeros.
pub fn is_valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    parts.len() == 4
        && hex(parts[0], 2)
        && parts[0] != "ff"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
        && parts[1].bytes().any(|b| b != b'0')
        && parts[2].bytes().any(|b| b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_placed() -> OrderPlaced {
        OrderPlaced {
            order_id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            lines: vec![OrderLine {
                product_id: Uuid::now_v7(),
                name: "Mug".into(),
                quantity: 2,
                unit_price: Money::new(1250, "USD"),
            }],
            total: Money::new(2500, "USD"),
        }
    }

    #[test]
    fn envelopes_round_trip_through_stream_fields() {
        let event = DomainEvent::from(order_placed());
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned();
        let envelope = EventEnvelope::new("orders", &event, Some(traceparent)).unwrap();
        assert_eq!(envelope.event_type, "OrderPlaced");
        assert_eq!(envelope.version, 1);
        let fields: HashMap<String, String> = envelope
            .to_fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let back = EventEnvelope::from_fields(&fields).unwrap();
        assert_eq!(back, envelope);
        assert_eq!(back.decode().unwrap(), event);
        assert_eq!(
            back.decode_as::<OrderPlaced>().unwrap(),
            match event {
                DomainEvent::OrderPlaced(e) => e,
                _ => unreachable!(),
            }
        );
        assert!(back.decode_as::<OrderFailed>().is_err());
    }

    #[test]
    fn unknown_types_unsupported_versions_and_bad_payloads_are_errors() {
        let mut envelope = EventEnvelope::new(
            "users",
            &DomainEvent::from(ReservationExpired {
                order_id: Uuid::now_v7(),
            }),
            None,
        )
        .unwrap();
        envelope.version = 7;
        assert_eq!(
            envelope.decode().unwrap_err(),
            DecodeError::UnsupportedVersion {
                event_type: "ReservationExpired".into(),
                version: 7,
                supported: 1
            }
        );
        envelope.version = 1;
        envelope.payload = serde_json::json!({ "order": 1 });
        assert!(matches!(
            envelope.decode().unwrap_err(),
            DecodeError::InvalidPayload { .. }
        ));
        envelope.event_type = "OrderTeleported".into();
        assert_eq!(
            envelope.decode().unwrap_err().to_string(),
            "unknown event type `OrderTeleported`"
        );
        let missing = HashMap::from([("id".to_owned(), Uuid::now_v7().to_string())]);
        assert!(matches!(
            EventEnvelope::from_fields(&missing),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn every_type_is_listed_once_and_invalid_traceparents_are_dropped() {
        let mut names: Vec<&str> = DomainEvent::TYPES.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 13);
        let event = DomainEvent::from(StockRejected {
            order_id: Uuid::now_v7(),
            reason: "out of stock".into(),
        });
        let envelope = EventEnvelope::new("products", &event, Some("garbage".into())).unwrap();
        assert_eq!(envelope.traceparent, None);
        assert!(!is_valid_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
    }
}
