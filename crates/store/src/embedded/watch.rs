//! The watch hub: fans committed changes out to watchers, from memory.
//!
//! A watcher is either *synced* (registered in the hub; the writer hands it every batch it
//! publishes) or *catching up* (a task reads the history it missed from disk, then asks the hub
//! to take it in). The hand-over is race-free because the writer publishes under the hub lock
//! and a catching-up watcher only registers, under that same lock, once it has read everything up
//! to the last published revision; `min_rev` filters out anything it already read. A synced
//! watcher whose channel is full is not waited for: it drops back to catching up from the first
//! revision it missed (as etcd's "victim" watchers do), so one slow consumer never stalls writes.

use tokio::sync::mpsc;

use crate::{Event, KeyRange, StoreError};

pub(crate) type WatchSender = mpsc::Sender<Result<Vec<Event>, StoreError>>;

/// Batches a watcher may have queued before it counts as slow.
pub(crate) const WATCH_BUFFER: usize = 256;

pub(crate) struct Watcher {
    pub range: KeyRange,
    /// Events below this revision were already delivered (or precede the watch start).
    pub min_rev: i64,
    pub prev_kv: bool,
    pub tx: WatchSender,
}

impl Watcher {
    /// The events of `events` this watcher wants, shaped for it.
    pub fn select(&self, events: &[Event]) -> Vec<Event> {
        events
            .iter()
            .filter(|e| e.kv.mod_revision >= self.min_rev && self.range.contains(&e.kv.key))
            .map(|e| {
                let mut e = e.clone();
                if !self.prev_kv {
                    e.prev_kv = None;
                }
                e
            })
            .collect()
    }
}

#[derive(Default)]
pub(crate) struct Hub {
    pub watchers: Vec<Watcher>,
    /// The last revision handed to synced watchers.
    pub published: i64,
    pub closed: bool,
}

impl Hub {
    /// Hands a committed batch (events in revision order, up to revision `upto`) to every synced
    /// watcher. Returns the watchers that could not keep up, with the revision to resume from.
    pub fn publish(&mut self, events: &[Event], upto: i64) -> Vec<(Watcher, i64)> {
        self.published = upto;
        let mut lagging = Vec::new();
        if events.is_empty() {
            self.watchers.retain(|w| !w.tx.is_closed());
            return lagging;
        }
        let mut i = 0;
        while i < self.watchers.len() {
            let w = &self.watchers[i];
            if w.tx.is_closed() {
                self.watchers.swap_remove(i);
                continue;
            }
            let selected = w.select(events);
            if selected.is_empty() {
                i += 1;
                continue;
            }
            let resume = selected[0].kv.mod_revision;
            match w.tx.try_send(Ok(selected)) {
                Ok(()) => i += 1,
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.watchers.swap_remove(i);
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    let w = self.watchers.swap_remove(i);
                    lagging.push((w, resume));
                }
            }
        }
        lagging
    }

    /// Ends every watch with [`StoreError::Closed`].
    pub fn close(&mut self) {
        self.closed = true;
        for w in self.watchers.drain(..) {
            let _ = w.tx.try_send(Err(StoreError::Closed));
        }
    }
}
