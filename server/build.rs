// `sqlx::migrate!` embeds server/migrations at compile time, and on stable Rust it cannot tell
// cargo to watch that folder: without this a new or edited migration is not built in until
// some source file of the crate changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
