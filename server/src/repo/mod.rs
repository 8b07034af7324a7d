//! All SQL lives here, one module per table family.

pub mod directory;
pub mod grants;
pub mod tickets;
pub mod users;
