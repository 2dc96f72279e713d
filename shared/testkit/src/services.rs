//! Throwaway PostgreSQL and NATS servers for tests, from the machine's own
//! packages (Debian's `postgresql` and `nats-server`, which the Makefile
//! installs): each test starts its own on a free loopback port, in a
//! temporary directory, and it stops when the handle is dropped. Nothing
//! pre-started is assumed.
//!
//! PostgreSQL refuses to run as root, so as root `initdb` and `postgres`
//! run as the `postgres` user (`runuser`), in a directory handed to it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The directory of PostgreSQL's server programs (`initdb`, `postgres`).
fn pg_bin() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    found.retain(|d| d.join("initdb").exists());
    found.sort();
    found.pop().ok_or_else(|| {
        "PostgreSQL's server programs are not installed (apt-get install postgresql; `make deps` does it)".to_string()
    })
}

/// A command that runs as the `postgres` user when we are root.
fn as_postgres(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// A PostgreSQL server of its own, stopped on drop.
#[derive(Debug)]
pub struct TestPostgres {
    pub port: u16,
    bin: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

impl TestPostgres {
    /// initdb into a temporary directory and start on a free port.
    pub fn start() -> Result<Self, String> {
        let bin = pg_bin()?;
        let root = is_root();
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let data = dir.path().join("data");
        if root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err("cannot hand the test directory to the postgres user".into());
            }
        }
        let init = as_postgres(&bin.join("initdb"), root)
            .arg("-D")
            .arg(&data)
            .args(["-U", "porchlight", "--auth=trust", "-N", "-E", "UTF8"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !init.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr)
            ));
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("postgres.log"))
            .map_err(|e| format!("log: {e}"))?;
        let child = as_postgres(&bin.join("postgres"), root)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("postgres: {e}"))?;
        let mut pg = Self {
            port,
            bin,
            child,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = Command::new(pg.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(pg);
            }
            if let Ok(Some(status)) = pg.child.try_wait() {
                return Err(format!("postgres exited ({status}): {}", pg.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("postgres did not start in 20 s: {}", pg.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// A new, empty database; its URL.
    pub fn database(&self, name: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "porchlight",
                name,
            ])
            .output()
            .map_err(|e| format!("createdb: {e}"))?;
        let exists = String::from_utf8_lossy(&out.stderr).contains("already exists");
        if !out.status.success() && !exists {
            return Err(format!(
                "createdb {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(self.url(name))
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://porchlight@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for TestPostgres {
    /// Stops the server itself: as root the child is `runuser`, which does
    /// not pass a kill on, so the postmaster is signalled by its pid file.
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().map(str::trim).map(str::to_string));
        if let Some(pid) = pid {
            // SIGQUIT: immediate shutdown (nothing here needs to survive).
            let _ = Command::new("kill").args(["-QUIT", &pid]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A nats-server of its own, stopped on drop.
#[derive(Debug)]
pub struct TestNats {
    pub port: u16,
    child: Option<Child>,
}

impl TestNats {
    pub fn start() -> Result<Self, String> {
        Self::start_on(free_port())
    }

    /// Starts on `port` (again, after [`TestNats::stop`]).
    pub fn start_on(port: u16) -> Result<Self, String> {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("nats-server: {e} (apt-get install nats-server; `make deps` does it)")
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("nats-server did not start in 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            port,
            child: Some(child),
        })
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server now (a NATS outage).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for TestNats {
    fn drop(&mut self) {
        self.stop();
    }
}
