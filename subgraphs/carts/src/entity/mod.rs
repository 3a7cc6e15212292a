//! The carts subgraph's sea-orm entities: one `cart` per user and the `cart_item` lines in it, and
//! the `catalogue_product` projection of the products' catalogue.

pub mod cart;
pub mod cart_item;
pub mod catalogue_product;
