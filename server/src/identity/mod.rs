//! Who is calling: sessions, password hashing, sign-in rate limits, personal and service
//! tokens, the held sign-in and the welcome link, single sign-on (OpenID Connect, LDAP) and
//! the last step every sign-in shares, and the fresh second factor a decision may ask for. Secrets are stored only as digests.

pub mod digest;
pub mod held;
pub mod ldap;
pub mod oidc;
pub mod passkeys;
pub mod password;
pub mod ratelimit;
pub mod second_factor;
pub mod service_tokens;
pub mod session;
pub mod sign_in;
pub mod step_up;
pub mod tokens;
pub mod welcome;
