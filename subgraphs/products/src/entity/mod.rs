//! The sea-orm entities of the products database: the catalogue and the stock reservations of orders.

pub mod product;
pub mod reservation;
