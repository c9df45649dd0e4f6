//! The writer half of the crash test: writes as fast as it can from several tasks and prints a
//! line for every acknowledged write, so that a parent that SIGKILLs it at a random moment knows
//! exactly which writes the store promised to keep. Run through `krust debug store-torture`.
//!
//! Lines: `put <iteration> <task> <i> <revision>` and `del <iteration> <task> <i> <revision>`.
//! Key `i` of a task is `/crash/<iteration>/<task>/<i>`; keys with `i % 4 == 0` are deleted
//! again three writes later, all others are never touched again. A background task compacts to
//! 50 revisions behind the head every 100 ms, so kills also land inside compactions.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::embedded::EmbeddedStore;
use crate::{Op, Result, Store, Txn};

pub const TASKS: u64 = 8;

pub fn key(iteration: u64, task: u64, i: u64) -> String {
    format!("/crash/{iteration}/{task}/{i}")
}

/// The value written for a key: self-describing, with a size that varies per write.
pub fn value(iteration: u64, task: u64, i: u64) -> Bytes {
    let mut v = format!("{iteration}:{task}:{i}:").into_bytes();
    v.resize(v.len() + ((i * 37 + task * 101) % 3000) as usize, b'.');
    Bytes::from(v)
}

/// Writes until killed. `out` receives one line per acknowledged write.
pub async fn run_writer(path: &Path, iteration: u64, out: Box<dyn Write + Send>) -> Result<()> {
    let store = EmbeddedStore::open(path)?;
    let out = Arc::new(Mutex::new(out));
    let compactor = {
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let Ok(now) = store.current_revision().await else { return };
                let target = now - 50;
                if target > store.compacted_revision() {
                    let _ = store.compact(target).await;
                }
            }
        })
    };
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (store, out) = (store.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let rev = store
                    .put(key(iteration, task, i).as_bytes(), value(iteration, task, i))
                    .await?;
                emit(&out, format_args!("put {iteration} {task} {i} {rev}"));
                if i >= 3 && (i - 3) % 4 == 0 {
                    let victim = i - 3;
                    let del = Txn::new().success(Op::delete(key(iteration, task, victim)));
                    let rev = store.txn(del).await?.revision;
                    emit(&out, format_args!("del {iteration} {task} {victim} {rev}"));
                }
            }
            Ok::<(), crate::StoreError>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| crate::StoreError::Engine {
            path: path.to_path_buf(),
            detail: format!("writer task failed: {e}"),
        })??;
    }
    compactor.abort();
    Ok(())
}

fn emit(out: &Mutex<Box<dyn Write + Send>>, line: std::fmt::Arguments<'_>) {
    if let Ok(mut out) = out.lock() {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
