//! `krust bench store --quick` runs end to end against a real etcd and prints its table, so
//! the benchmark behind docs/benchmarks.md keeps working. It asserts no timing: speed is
//! measured by the full benchmark, not by tests.

use std::process::Command;

#[test]
fn bench_store_quick_prints_the_side_by_side_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_krust"))
        .args(["bench", "store", "--quick"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run krust bench store");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    for row in [
        "put, 1 writers: throughput",
        "put, 16 writers: p99",
        "put, 256 writers: p50",
        "range of 1000 keys",
        "watch: events delivered per second",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(row))
            .unwrap_or_else(|| panic!("no row {row:?} in:\n{stdout}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
        assert_eq!(cells.len(), 4, "{line}");
        for c in &cells[1..3] {
            let n: f64 = c.parse().unwrap_or_else(|_| panic!("not a number {c:?} in {line}"));
            assert!(n.is_finite() && n > 0.0, "{line}");
        }
    }
}

#[test]
fn bench_api_quick_prints_its_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_krust"))
        .args(["bench", "api", "--quick"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run krust bench api");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    for row in [
        "create 500 pods: ops/s",
        "get: p99 ms",
        "get+replace",
        "list 500 pods, consistent",
        "watch delivery to 50 watchers: p99 ms",
        "resident memory, idle",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(row))
            .unwrap_or_else(|| panic!("no row {row:?} in:\n{stdout}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
        let n: f64 = cells[1].parse().unwrap_or_else(|_| panic!("not a number in {line}"));
        assert!(n.is_finite() && n >= 0.0, "{line}");
    }
}
