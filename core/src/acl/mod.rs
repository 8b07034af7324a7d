//! Access control lists that decide whether a sign-in, a connection or a command goes
//! through, is refused, or waits for a reviewer (SPEC §6).
//!
//! - [`ip`]: address patterns (single, CIDR, range, `*`).
//! - [`time`]: weekday time windows in a time zone.
//! - [`command`]: command groups (command names or regular expressions).
//! - [`rules`]: the rules themselves, and the first-match decision.

pub mod command;
pub mod ip;
pub mod rules;
pub mod time;
