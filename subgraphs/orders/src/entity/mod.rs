//! The sea-orm entities of the orders database: orders, their lines and status history, and the
//! simulated payment provider's record of charges.

pub mod order;
pub mod order_line;
pub mod order_status_change;
pub mod simulated_charge;
