//! A private Postgres for running Tollgate without a database of one's own: `initdb` into a
//! data folder on first use, `pg_ctl start` on a loopback port, a `tollgate` database.
//! Postgres refuses to run as root, so as root every command runs as the `postgres` user,
//! who must be able to reach the folder (checked, with a clear message when it cannot).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

pub struct LocalPg {
    data_dir: PathBuf,
    port: u16,
    bin: PathBuf,
    as_postgres_user: bool,
    fast: bool,
    /// A PEM certificate and key to serve TLS with (`ssl = on`), e.g. for the TLS tests.
    pub tls: Option<(PathBuf, PathBuf)>,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The newest installed server's binaries (`/usr/lib/postgresql/<v>/bin`), or TOLLGATE_PG_BIN.
fn find_bin() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("TOLLGATE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context(
            "no Postgres found under /usr/lib/postgresql (install postgresql, or set DATABASE_URL)",
        )?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no Postgres server binaries under /usr/lib/postgresql; install the postgresql package"
        ),
    }
}

impl LocalPg {
    /// `fast` turns off durability (fsync, synchronous commit): for test clusters only.
    pub fn new(data_dir: &Path, port: u16, fast: bool) -> Result<Self> {
        let mut pg = LocalPg {
            data_dir: absolute(data_dir)?,
            port,
            bin: find_bin()?,
            as_postgres_user: is_root(),
            fast,
            tls: None,
        };
        if pg.as_postgres_user && !pg.postgres_can_reach() {
            // A checkout under a folder the postgres user cannot enter (e.g. /root, mode 700):
            // keep the cluster in a folder of its own, named after the checkout so it is reused.
            let name: String = pg
                .data_dir
                .to_string_lossy()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let fallback = PathBuf::from("/var/tmp/tollgate-pg").join(name.trim_matches('_'));
            tracing::warn!(
                wanted = %pg.data_dir.display(),
                using = %fallback.display(),
                "the postgres user cannot reach the data folder; using another"
            );
            pg.data_dir = fallback;
        }
        Ok(pg)
    }

    /// Whether the `postgres` user can enter every parent of the data folder.
    fn postgres_can_reach(&self) -> bool {
        let mut probe = self.data_dir.as_path();
        while !probe.exists() {
            match probe.parent() {
                Some(p) => probe = p,
                None => return false,
            }
        }
        Command::new("runuser")
            .args(["-u", "postgres", "--", "test", "-x"])
            .arg(probe)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The URL of `database` through the cluster's Unix socket (it is made in the data folder),
    /// for a server on this machine: each statement's round trip costs Postgres and the server
    /// less CPU than over loopback TCP (bench: ≈ 15 % less Postgres CPU per lifecycle). The TCP
    /// [`url`](Self::url) when the folder's path cannot be a socket's (longer than the 107 bytes
    /// Linux allows, or characters a URL would have to escape).
    pub fn socket_url(&self, database: &str) -> String {
        let dir = self.data_dir.to_string_lossy();
        let socket_len = dir.len() + format!("/.s.PGSQL.{}", self.port).len();
        let plain = dir
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
        if plain && socket_len <= 107 {
            format!(
                "postgres://postgres@localhost/{database}?host={dir}&port={}",
                self.port
            )
        } else {
            self.url(database)
        }
    }

    fn cmd(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, mut c: Command, what: &str) -> Result<String> {
        let out = c.output().with_context(|| format!("running {what}"))?;
        if !out.status.success() {
            bail!(
                "{what} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn prepare_dir(&self) -> Result<()> {
        std::fs::create_dir_all(&self.data_dir).context("creating the Postgres data folder")?;
        if self.as_postgres_user {
            // initdb wants the folder owned by the user that runs the server.
            let mut c = Command::new("chown");
            c.arg("postgres:postgres").arg(&self.data_dir);
            self.run(c, "chown of the data folder to postgres")?;
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "test", "-w"])
                .arg(&self.data_dir);
            if !c.status().map(|s| s.success()).unwrap_or(false) {
                bail!(
                    "the postgres user cannot write {}; set TOLLGATE_DATA_DIR to a folder it can reach",
                    self.data_dir.display()
                );
            }
        }
        Ok(())
    }

    /// Drops and re-creates `database` (a clean slate for a test run).
    pub fn recreate(&self, database: &str) -> Result<()> {
        let mut c = self.cmd("dropdb");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "--if-exists",
            "--force",
            database,
        ]);
        self.run(c, "dropdb")?;
        Ok(())
    }

    /// Starts the cluster (initialising it the first time) and makes sure `database` exists.
    /// Returns its URL. Idempotent: an already running cluster is reused.
    pub fn ensure_started(&self, database: &str) -> Result<String> {
        self.prepare_dir()?;
        if !self.data_dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %self.data_dir.display(), "initialising a private Postgres");
            let mut c = self.cmd("initdb");
            c.arg("-D").arg(&self.data_dir).args([
                "--auth=trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
            ]);
            self.run(c, "initdb")?;
        }
        if !self.is_running() {
            let mut opts = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400",
                self.port,
                self.data_dir.display()
            );
            if self.fast {
                opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            if let Some((cert, key)) = &self.tls {
                self.install_tls(cert, key)?;
                opts.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
            }
            let mut c = self.cmd("pg_ctl");
            c.arg("-D")
                .arg(&self.data_dir)
                .args(["-w", "-t", "60", "-l"])
                .arg(self.data_dir.join("server.log"))
                .args(["-o", &opts, "start"]);
            self.run(c, "pg_ctl start")
                .with_context(|| format!("see {}", self.data_dir.join("server.log").display()))?;
        }
        let mut c = self.cmd("psql");
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-tAc",
        ])
        .arg(format!(
            "SELECT 1 FROM pg_database WHERE datname = '{database}'"
        ))
        .arg("postgres");
        let exists = self.run(c, "psql")?.trim() == "1";
        if !exists {
            let mut c = self.cmd("createdb");
            c.args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                database,
            ]);
            self.run(c, "createdb")?;
        }
        Ok(self.url(database))
    }

    /// Copies the certificate and key into the data folder, readable by the server's user only
    /// (Postgres refuses a key others can read).
    fn install_tls(&self, cert: &Path, key: &Path) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        for (from, name) in [(cert, "server.crt"), (key, "server.key")] {
            let to = self.data_dir.join(name);
            std::fs::copy(from, &to).with_context(|| format!("copying {}", from.display()))?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600))?;
            if self.as_postgres_user {
                let mut c = Command::new("chown");
                c.arg("postgres:postgres").arg(&to);
                self.run(c, "chown of the TLS files to postgres")?;
            }
        }
        Ok(())
    }

    pub fn is_running(&self) -> bool {
        let mut c = self.cmd("pg_ctl");
        c.arg("-D").arg(&self.data_dir).arg("status");
        c.output().map(|o| o.status.success()).unwrap_or(false)
    }

    pub fn stop(&self) -> Result<()> {
        if !self.is_running() {
            return Ok(());
        }
        let mut c = self.cmd("pg_ctl");
        c.arg("-D")
            .arg(&self.data_dir)
            .args(["-w", "-m", "fast", "stop"]);
        self.run(c, "pg_ctl stop").map(|_| ())
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .context("reading the current folder")?
            .join(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_url_names_the_data_folder_or_falls_back_to_tcp() {
        let pg = LocalPg::new(Path::new("/tmp/tollgate-socket-test"), 5599, true).unwrap();
        assert_eq!(
            pg.socket_url("tollgate"),
            "postgres://postgres@localhost/tollgate?host=/tmp/tollgate-socket-test&port=5599"
        );
        // Linux's socket paths hold 107 bytes: a deeper folder is reached over TCP.
        let deep = format!("/tmp/{}", "d".repeat(100));
        let pg = LocalPg::new(Path::new(&deep), 5599, true).unwrap();
        assert_eq!(
            pg.socket_url("tollgate"),
            "postgres://postgres@127.0.0.1:5599/tollgate"
        );
        // A folder whose name a URL would have to escape, likewise.
        let pg = LocalPg::new(Path::new("/tmp/with space&more"), 5599, true).unwrap();
        assert_eq!(
            pg.socket_url("tollgate"),
            "postgres://postgres@127.0.0.1:5599/tollgate"
        );
    }
}
