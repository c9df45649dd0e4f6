//! Black-box test support: a `krust server` process on a free port with its own data dir, and
//! the real kubectl (fetched by `scripts/fetch-clients.sh`) pointed at it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// Path of a real client binary (`kubectl` or `helm`), fetching them once if needed.
pub fn client(name: &str) -> PathBuf {
    let dir = std::env::var_os("KRUST_CLIENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/clients"));
    let bin = dir.join(name);
    if !bin.exists() {
        // Several test binaries may race here; the script is idempotent and the last rename wins.
        let status = Command::new("bash")
            .arg(repo_root().join("scripts/fetch-clients.sh"))
            .env("KRUST_CLIENTS_DIR", &dir)
            .status()
            .expect("run scripts/fetch-clients.sh");
        assert!(
            status.success(),
            "fetching kubectl and helm failed; run scripts/fetch-clients.sh by hand to see why"
        );
    }
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub kubeconfig: PathBuf,
    server: Child,
    kubectl: PathBuf,
}

impl Cluster {
    /// Starts `krust server` and waits until kubectl gets an answer from it.
    pub fn start() -> Cluster {
        let kubectl = client("kubectl");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let server = Command::new(env!("CARGO_BIN_EXE_krust"))
            .args([
                "server",
                "--bind-address",
                "127.0.0.1",
                "--https-listen-port",
                &port.to_string(),
                "--data-dir",
            ])
            .arg(dir.path().join("data"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start krust server");
        let kubeconfig = dir.path().join("data/server/cred/admin.kubeconfig");
        let mut c = Cluster { dir, port, kubeconfig, server, kubectl };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if c.kubeconfig.exists() {
                let out = c.kubectl(&["get", "--raw", "/readyz"]);
                if out.status.success() {
                    break;
                }
            }
            if let Ok(Some(status)) = c.server.try_wait() {
                panic!("krust server exited early ({status}):\n{}", c.server_log());
            }
            assert!(
                Instant::now() < deadline,
                "krust server not ready in time:\n{}",
                c.server_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.kubectl);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env("KUBECACHEDIR", self.dir.path().join("kube-cache"));
        cmd
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_cmd(args).output().expect("run kubectl")
    }

    /// Runs kubectl with `stdin` as standard input.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .kubectl_cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("kubectl output")
    }

    /// Runs kubectl and returns stdout, failing the test (with stderr and the server log) if
    /// it does not succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        self.expect_ok(args, out)
    }

    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.kubectl_stdin(args, stdin);
        self.expect_ok(args, out)
    }

    fn expect_ok(&self, args: &[&str], out: Output) -> String {
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}\nserver log tail:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            tail(&self.server_log(), 30)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should fail but printed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn fails_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.kubectl_stdin(args, stdin);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should fail but printed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
