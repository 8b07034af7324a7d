//! Who is calling: sessions, password hashing, sign-in rate limits, personal and service
//! tokens, the held sign-in and the welcome link. Secrets are stored only as digests.

pub mod digest;
pub mod held;
pub mod password;
pub mod ratelimit;
pub mod service_tokens;
pub mod session;
pub mod tokens;
pub mod welcome;
