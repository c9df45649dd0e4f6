//! The benchmark commands run end to end (`--quick`) and print their tables, so the
//! benchmarks behind docs/benchmarks.md keep working. They assert no timing: speed is measured
//! by the full benchmarks, not by tests.

use std::process::Command;

/// Runs `krust bench <args>` and returns its stdout, failing on a non-zero exit.
fn run_bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_krust"))
        .arg("bench")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run krust bench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every named row exists and its numeric cells (after the label) parse as finite numbers.
fn check_rows(stdout: &str, rows: &[&str], numeric_cells: std::ops::Range<usize>) {
    for row in rows {
        let line = stdout
            .lines()
            .find(|l| l.contains(row))
            .unwrap_or_else(|| panic!("no row {row:?} in:\n{stdout}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
        for c in &cells[numeric_cells.clone()] {
            let n: f64 = c.parse().unwrap_or_else(|_| panic!("not a number {c:?} in {line}"));
            assert!(n.is_finite() && n >= 0.0, "{line}");
        }
    }
}

#[test]
fn bench_store_quick_prints_the_side_by_side_table() {
    let stdout = run_bench(&["store", "--quick"]);
    check_rows(
        &stdout,
        &[
            "put, 1 writers: throughput",
            "put, 16 writers: p99",
            "put, 256 writers: p50",
            "range of 1000 keys",
            "watch: events delivered per second",
        ],
        1..3,
    );
}

#[test]
fn bench_api_quick_prints_its_table() {
    let stdout = run_bench(&["api", "--quick"]);
    check_rows(
        &stdout,
        &[
            "create 500 pods: ops/s",
            "get: p99 ms",
            "get+replace",
            "list 500 pods, consistent",
            "watch delivery to 50 watchers: p99 ms",
            "resident memory, idle",
        ],
        1..2,
    );
}

#[test]
fn bench_scheduler_quick_binds_every_pod_and_prints_its_table() {
    // The command itself fails unless every measured pod is bound in the store.
    let stdout = run_bench(&["scheduler", "--quick"]);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("SchedulingBasic/500Nodes_1000Pods"))
        .unwrap_or_else(|| panic!("no SchedulingBasic row:\n{stdout}"));
    let avg: f64 = row
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no throughput in {row}"));
    assert!(avg > 0.0, "{row}");
}
