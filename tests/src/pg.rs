//! A throwaway PostgreSQL cluster for the tests of one process.
//!
//! `initdb` and `pg_ctl` run under a small shell watchdog whose standard
//! input is a pipe from the test process. When the process exits, however
//! it exits, the pipe closes, and the watchdog stops the server and deletes
//! its directory: no cluster outlives the tests that started it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgPool};

/// What the watchdog runs: create, start, wait for the end of its input,
/// then stop and delete. `$PORT` comes from the environment.
const WATCHDOG: &str = r#"
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/tenancy-pg.XXXXXX")
cleanup() {
    pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
# dash skips EXIT traps when a signal ends it: turn signals into an exit.
trap 'exit 1' INT TERM HUP
if ! initdb -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
fi
if ! pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null 2>&1; then
    cat "$dir/server.log" >&2
    exit 1
fi
echo ready
read -r _ || true
"#;

/// A running cluster, shared by every test of the process.
#[derive(Debug)]
pub struct Cluster {
    port: u16,
    // Holding the watchdog's stdin keeps the cluster alive.
    _watchdog: Child,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// The process's cluster, started on first use; `None` when PostgreSQL is
/// not available outside CI.
///
/// # Panics
///
/// In CI (`CI=true`) when the cluster cannot start.
pub fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(start_with_retries) {
        Ok(cluster) => Some(cluster),
        Err(reason) if in_ci() => {
            panic!(
                "CI=true, so the PostgreSQL suite must run, but the test cluster failed: {reason}"
            )
        }
        Err(reason) => {
            skip_loudly(reason);
            None
        }
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Writes straight to the process's stderr, past the test harness's output
/// capture, once per process.
fn skip_loudly(reason: &str) {
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| {
        let banner = format!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !! SKIPPING the PostgreSQL tests: {reason}\n\
             !! Install PostgreSQL (initdb, pg_ctl) to run them; CI=true makes this a failure.\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
        let _ = std::io::stderr().write_all(banner.as_bytes());
    });
}

fn start_with_retries() -> Result<Cluster, String> {
    let bin = find_bin_dir()
        .ok_or("`initdb` was found neither on PATH nor in /usr/lib/postgresql/*/bin")?;
    let mut last = String::new();
    // A free port can be taken by another process before the server binds
    // it; try a few.
    for _ in 0..3 {
        match start(&bin) {
            Ok(cluster) => return Ok(cluster),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|version| version.path().join("bin"));
    let mut debian: Vec<PathBuf> = debian.collect();
    // Newest major version first: "17" before "9.6".
    let major = |dir: &PathBuf| -> u32 {
        dir.parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .and_then(|name| name.split('.').next())
            .and_then(|major| major.parse().ok())
            .unwrap_or(0)
    };
    debian.sort_by_key(|dir| std::cmp::Reverse(major(dir)));
    on_path
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn start(bin: &Path) -> Result<Cluster, String> {
    let port = free_port()?;
    let path = match std::env::var_os("PATH") {
        Some(existing) => {
            let mut all = vec![bin.to_path_buf()];
            all.extend(std::env::split_paths(&existing));
            std::env::join_paths(all).map_err(|e| e.to_string())?
        }
        None => bin.as_os_str().to_owned(),
    };
    // The server refuses to run as root: run the watchdog as `postgres`,
    // from a directory and with a TMPDIR that user can use.
    let mut command = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "env", "TMPDIR=/tmp"]);
        c.current_dir("/");
        c
    } else {
        Command::new("env")
    };
    // Its own process group: a Ctrl-C meant for the tests does not kill the
    // watchdog before it has stopped the server; the closed pipe ends it.
    command.process_group(0);
    command
        .arg(format!("PATH={}", path.to_string_lossy()))
        .arg(format!("PORT={port}"))
        .args(["sh", "-c", WATCHDOG])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the cluster watchdog: {e}"))?;
    let stdout = child.stdout.take().ok_or("the watchdog has no stdout")?;
    let mut line = String::new();
    let ready = BufReader::new(stdout).read_line(&mut line).is_ok() && line.trim() == "ready";
    if !ready {
        let _ = child.kill();
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        return Err(format!(
            "the cluster did not start: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(Cluster {
        port,
        _watchdog: child,
    })
}

impl Cluster {
    /// Options to connect to `database` as the superuser `postgres`.
    #[must_use]
    pub fn options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .database(database)
    }

    /// The port the cluster listens on, on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a new, empty database and returns a pool on it.
    ///
    /// # Errors
    ///
    /// When the cluster refuses the connection or the `CREATE DATABASE`.
    pub async fn fresh_database(&self) -> Result<PgPool, sqlx::Error> {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect_with(&self.options("postgres")).await?;
        // `name` is made of digits and underscores only.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        tenancy_core::pool::options()
            .max_connections(4)
            .connect_with(self.options(&name))
            .await
    }

    /// A pool on `admin`'s database that connects as a new role made the
    /// way production should be (see [`app_role`](Self::app_role)), built
    /// the library's way ([`tenancy_core::pool::options`]).
    ///
    /// # Errors
    ///
    /// When the cluster refuses the role, the grants or the connection.
    pub async fn app_pool(&self, admin: &PgPool) -> Result<PgPool, sqlx::Error> {
        let options = self.app_role(admin).await?;
        tenancy_core::pool::options()
            .max_connections(4)
            .connect_with(options)
            .await
    }

    /// Makes a new login role for work across organizations, a member of
    /// the system role that `tenancy_core::ddl::row_level_security`
    /// created, with the grants of [`app_role`](Self::app_role), and
    /// returns the options to connect as it. Apply the policies and create
    /// the tables before calling this.
    ///
    /// # Errors
    ///
    /// When the cluster refuses the role or the grants.
    pub async fn system_role(&self, admin: &PgPool) -> Result<PgConnectOptions, sqlx::Error> {
        let membership = format!("IN ROLE {}", tenancy_core::ddl::SYSTEM_ROLE);
        self.login(admin, "system", &membership).await
    }

    /// Makes a new role the way production should be and returns the
    /// options to connect as it: it may log in and read and write every
    /// table and sequence of the `public` schema, but it is not a
    /// superuser, owns nothing and has no `BYPASSRLS`, so row-level
    /// security applies to it.
    ///
    /// `admin` is a superuser's pool on the database. Create the tables
    /// before calling this: the grants cover the tables that exist.
    ///
    /// # Errors
    ///
    /// When the cluster refuses the role or the grants.
    pub async fn app_role(&self, admin: &PgPool) -> Result<PgConnectOptions, sqlx::Error> {
        self.login(admin, "app", "").await
    }

    /// A new login `<database>_<kind>_<n>` (with `extra` options of
    /// `CREATE ROLE`) granted what [`app_role`](Self::app_role) says, and
    /// the options to connect as it.
    async fn login(
        &self,
        admin: &PgPool,
        kind: &str,
        extra: &str,
    ) -> Result<PgConnectOptions, sqlx::Error> {
        let database: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(admin)
            .await?;
        let role = format!(
            "{database}_{kind}_{}",
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        // `role` and `database` are made of digits and underscores, and
        // `extra` is this module's own text.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE {extra};
             GRANT CONNECT ON DATABASE {database} TO {role};
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"
        )))
        .execute(admin)
        .await?;
        Ok(self.options(&database).username(&role))
    }
}
