//! A real, single-member etcd for tests: [`EtcdProcess`].
//!
//! Each [`EtcdProcess`] runs its own etcd (etcd 3.4 from Debian's `etcd-server` package, or the
//! binary named by `KRUST_ETCD_BIN`) on free loopback ports with a fresh data directory, and kills
//! it on drop. It is plain `std::process`, so it works from sync and async tests alike.
//!
//! etcd runs with its default durability (fsync on every commit). Two limits are raised so that
//! the limits tests observe are the store contract's and not etcd's defaults, which are tighter:
//! `--max-request-bytes` (etcd counts the encoded request, so its default of exactly
//! [`crate::MAX_REQUEST_BYTES`] refuses transactions slightly below the contract's limit, and
//! transactions whose two branches are each within it) and `--max-txn-ops` (128 by default; the
//! contract has no limit on operations per transaction).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Environment variable naming the etcd binary to run instead of `/usr/bin/etcd`.
pub const ETCD_BIN_ENV: &str = "KRUST_ETCD_BIN";

/// How long etcd may take to answer its health check after it was started.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// How many times to start etcd on fresh ports when it exits early (a port taken between
/// choosing it and etcd binding it).
const START_ATTEMPTS: usize = 4;

/// Interval between health probes while etcd starts.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// `--max-request-bytes`: two full transaction branches plus room for the encoding.
const MAX_REQUEST_BYTES: usize = 2 * crate::MAX_REQUEST_BYTES + 512 * 1024;

/// `--max-txn-ops`.
const MAX_TXN_OPS: usize = 100_000;

/// A running etcd process, killed (and its data directory removed) on drop.
#[derive(Debug)]
pub struct EtcdProcess {
    child: Child,
    endpoint: String,
    data_dir: PathBuf,
    log_path: PathBuf,
    // Removed after the process is killed (fields drop after `Drop::drop`).
    _dir: TempDir,
}

impl EtcdProcess {
    /// Starts etcd and waits (up to 20 s) until it answers its health check.
    ///
    /// Fails with an explanation if the etcd binary is missing or etcd does not come up.
    pub fn start() -> Result<EtcdProcess, String> {
        Self::start_with_args(&[])
    }

    /// Like [`EtcdProcess::start`], with extra etcd flags appended after the harness's own (a
    /// flag given twice takes its last value), e.g. `["--max-request-bytes", "1572864"]` to run
    /// with etcd's default request limit.
    pub fn start_with_args(extra_args: &[&str]) -> Result<EtcdProcess, String> {
        let bin = etcd_binary()?;
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::start_once(bin, extra_args) {
                Ok(etcd) => return Ok(etcd),
                Err(StartError::Fatal(msg)) => return Err(msg),
                Err(StartError::Retry(msg)) => failures.push(msg),
            }
        }
        Err(format!(
            "etcd ({}) did not start after {START_ATTEMPTS} attempts:\n{}",
            bin.display(),
            failures.join("\n")
        ))
    }

    /// The client URL, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// etcd's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The etcd process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// etcd's log (stdout and stderr), for diagnosing a failing test.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    fn start_once(bin: &Path, extra_args: &[&str]) -> Result<EtcdProcess, StartError> {
        let dir = tempfile::Builder::new()
            .prefix("krust-etcd-")
            .tempdir()
            .map_err(|e| StartError::Fatal(format!("creating a temporary directory: {e}")))?;
        let data_dir = dir.path().join("data");
        let log_path = dir.path().join("etcd.log");
        let log = File::create(&log_path)
            .map_err(|e| StartError::Fatal(format!("creating {}: {e}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| StartError::Fatal(format!("duplicating the log file handle: {e}")))?;

        let (client_port, peer_port) = free_ports()
            .map_err(|e| StartError::Fatal(format!("finding free loopback ports: {e}")))?;
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let name = "krust-test";

        let child = Command::new(bin)
            .arg("--name")
            .arg(name)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen-client-urls")
            .arg(&client_url)
            .arg("--advertise-client-urls")
            .arg(&client_url)
            .arg("--listen-peer-urls")
            .arg(&peer_url)
            .arg("--initial-advertise-peer-urls")
            .arg(&peer_url)
            .arg("--initial-cluster")
            .arg(format!("{name}={peer_url}"))
            .arg("--initial-cluster-state")
            .arg("new")
            .arg("--max-request-bytes")
            .arg(MAX_REQUEST_BYTES.to_string())
            .arg("--max-txn-ops")
            .arg(MAX_TXN_OPS.to_string())
            .arg("--logger")
            .arg("zap")
            .arg("--log-outputs")
            .arg("stderr")
            .arg("--log-level")
            .arg("error")
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| StartError::Fatal(format!("starting {}: {e}", bin.display())))?;

        // From here on, `etcd` owns the process: dropping it kills it.
        let mut etcd = EtcdProcess { child, endpoint: client_url, data_dir, log_path, _dir: dir };
        let addr = SocketAddr::from(([127, 0, 0, 1], client_port));
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = etcd.child.try_wait() {
                return Err(StartError::Retry(format!(
                    "etcd exited during startup ({status}); its log ends with:\n{}",
                    etcd.log_tail()
                )));
            }
            if healthy(addr) {
                return Ok(etcd);
            }
            if Instant::now() >= deadline {
                return Err(StartError::Fatal(format!(
                    "etcd did not become healthy within {} s; its log ends with:\n{}",
                    START_DEADLINE.as_secs(),
                    etcd.log_tail()
                )));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// The last lines of etcd's log.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for EtcdProcess {
    fn drop(&mut self) {
        // Already exited (or cannot be signalled): still reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum StartError {
    /// Worth another attempt on fresh ports.
    Retry(String),
    Fatal(String),
}

/// The etcd binary: `$KRUST_ETCD_BIN`, else `/usr/bin/etcd`, else `etcd` on `PATH`. Resolved
/// once per process.
fn etcd_binary() -> Result<&'static Path, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(find_etcd_binary).as_deref().map_err(Clone::clone)
}

fn find_etcd_binary() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(ETCD_BIN_ENV).filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{ETCD_BIN_ENV} is set to {}, which is not a file", bin.display()))
        };
    }
    let default = PathBuf::from("/usr/bin/etcd");
    if default.is_file() {
        return Ok(default);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("etcd");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "etcd not found (neither /usr/bin/etcd nor `etcd` on PATH): install the Debian package \
         `etcd-server` (`apt-get install etcd-server`), or point {ETCD_BIN_ENV} at an etcd binary"
    ))
}

/// Two distinct free loopback ports (both listeners are held while the second is chosen).
fn free_ports() -> std::io::Result<(u16, u16)> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok((a.local_addr()?.port(), b.local_addr()?.port()))
}

/// Whether etcd's `/health` endpoint reports healthy (it has a leader and serves reads).
fn healthy(addr: SocketAddr) -> bool {
    let probe = || -> std::io::Result<String> {
        let mut conn = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        conn.set_read_timeout(Some(Duration::from_secs(2)))?;
        conn.set_write_timeout(Some(Duration::from_secs(2)))?;
        conn.write_all(
            format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )?;
        let mut response = String::new();
        conn.read_to_string(&mut response)?;
        Ok(response)
    };
    match probe() {
        Ok(response) => {
            response.starts_with("HTTP/1.1 200") && response.contains("\"health\":\"true\"")
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_and_stops() {
        let etcd = match EtcdProcess::start() {
            Ok(etcd) => etcd,
            Err(e) => panic!("{e}"),
        };
        let dir = etcd.data_dir().to_path_buf();
        let pid = etcd.pid();
        assert!(dir.join("member").is_dir());
        assert!(etcd.endpoint().starts_with("http://127.0.0.1:"));
        drop(etcd);
        assert!(!dir.exists());
        // The process is gone (reaped, so not even a zombie).
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }
}
