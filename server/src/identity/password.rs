//! Password hashing: argon2id with the crate's defaults (OWASP's 19 MiB, 2 passes, 1 lane),
//! off the async threads because it is deliberately slow.
//!
//! At most one hash per CPU runs at a time; the other sign-ins wait their turn. Unbounded, a
//! burst of sign-ins cost 19 MiB each at once (10 concurrent sign-ins took the server from
//! 40 MB to 218 MB, and each further burst added as much): any client could exhaust memory.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, OnceLock};

use tokio::sync::Semaphore;

use tollgate_app::AppError;

/// Makes the allocator give large blocks (a hash's 19 MiB) back to the system when they are
/// freed. glibc otherwise raises its mmap threshold after the first such block and keeps the
/// later ones in its per-thread arenas: ten sign-ins in a row left the server at 135 MB, and
/// bursts that landed on new blocking threads kept adding to it (488 MB after four bursts of
/// ten). Called once at start-up by the server binary.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning parameters; any value is valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// How many hashes may run at once: the CPUs (at least 2).
pub fn max_concurrent() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(max_concurrent()));
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most hashes that ever ran at the same time in this process (for the tests).
pub fn peak_concurrent() -> usize {
    PEAK.load(Ordering::SeqCst)
}

/// Runs `work` (a hash) on a blocking thread once it is its turn.
async fn in_turn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _turn = TURNS.acquire().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(now, Ordering::SeqCst);
        let out = work();
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        out
    })
    .await
    .ok()
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> Result<String, AppError> {
    in_turn(move || hash_blocking(&password))
        .await
        .ok_or_else(AppError::internal)?
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::internal()
        })
}

/// A hash to check against when the user does not exist, so that a wrong username costs
/// the same time as a wrong password and the answer does not tell which it was.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_blocking("decoy password").unwrap_or_default())
}

/// True when `password` matches `stored`; with `None` it spends the same effort and says no.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    in_turn(move || {
        let (target, real) = match &stored {
            Some(s) => (s.as_str(), true),
            None => (decoy(), false),
        };
        let ok = PasswordHash::new(target)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_sign_ins_hashes_at_most_one_per_cpu_at_a_time() {
        let stored = hash_blocking("right").unwrap();
        let checks = (0..12).map(|i| {
            let stored = stored.clone();
            tokio::spawn(async move {
                verify(
                    if i % 2 == 0 { "right" } else { "wrong" }.into(),
                    Some(stored),
                )
                .await
            })
        });
        let results: Vec<bool> = futures::future::join_all(checks)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(results.iter().filter(|ok| **ok).count(), 6);
        assert!(peak_concurrent() >= 1);
        assert!(
            peak_concurrent() <= max_concurrent(),
            "{} hashes ran at once",
            peak_concurrent()
        );
    }
}
