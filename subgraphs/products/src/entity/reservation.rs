//! The `reservations` table: units of one product held for one order (unique per order and product),
//! with the reservation's [`ReservationStatus`] stored as a string and the time a still-`RESERVED`
//! reservation lapses.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    /// A time-ordered (v7) id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The order (of the orders subgraph) the units are held for.
    pub order_id: Uuid,
    pub product_id: Uuid,
    /// Units held; positive.
    pub quantity: i32,
    /// [`ReservationStatus::as_str`].
    pub status: String,
    /// When a `RESERVED` reservation is released by the expiry sweep unless the order was confirmed.
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a reservation stands. The units of a `RESERVED` or `SOLD` reservation are out of the product's
/// stock; those of a `RELEASED` or `RESTOCKED` one are back in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationStatus {
    /// Held for an order that is not confirmed yet.
    Reserved,
    /// The order was confirmed: the units are sold.
    Sold,
    /// The hold ended without a sale (the order failed, was cancelled, or the hold expired).
    Released,
    /// The order was cancelled after the sale and the units went back into stock.
    Restocked,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 4] = [
        ReservationStatus::Reserved,
        ReservationStatus::Sold,
        ReservationStatus::Released,
        ReservationStatus::Restocked,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "RESERVED",
            ReservationStatus::Sold => "SOLD",
            ReservationStatus::Released => "RELEASED",
            ReservationStatus::Restocked => "RESTOCKED",
        }
    }

    /// The status stored as `value`, if it is one.
    pub fn parse(value: &str) -> Option<ReservationStatus> {
        ReservationStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

impl Model {
    /// The reservation's status; `None` for a value this build does not know.
    pub fn status(&self) -> Option<ReservationStatus> {
        ReservationStatus::parse(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::ReservationStatus;

    #[test]
    fn statuses_round_trip_through_their_stored_spelling() {
        for status in ReservationStatus::ALL {
            assert_eq!(ReservationStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ReservationStatus::parse("reserved"), None);
    }
}
