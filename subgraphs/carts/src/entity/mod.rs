//! The carts subgraph's sea-orm entities: one `cart` per user and the `cart_item` lines in it.

pub mod cart;
pub mod cart_item;
