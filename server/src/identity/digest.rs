//! The one way a secret is kept: its SHA-256 digest. Session, API, service, pending sign-in,
//! welcome and mail-link tokens are 256-bit random values shown once; the tables hold only
//! this digest, so a copy of the database lets nobody in.

use sha2::{Digest, Sha256};

/// The digest of `token`, as the tables store it.
pub fn of(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The digest of `token` in lowercase hex (the mail links' table keeps it as text).
pub fn hex(token: &str) -> String {
    of(token).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(
            super::hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(super::of("abc").len(), 32);
    }
}
