//! Per-pod scratch space for one scheduling attempt, typed: each plugin keeps its own state
//! type and reads it back by type, never by a string key.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

type Entry = Arc<dyn Any + Send + Sync>;

/// Cloning is cheap (entries are shared); a clone that changes an entry copies it first, so
/// preemption can simulate on a clone without touching the original.
#[derive(Clone, Default)]
pub struct CycleState {
    data: HashMap<TypeId, Entry>,
    /// Filter plugins whose PreFilter said Skip.
    pub skip_filter_plugins: HashSet<&'static str>,
    /// Score plugins whose PreScore said Skip.
    pub skip_score_plugins: HashSet<&'static str>,
    /// `skip_filter_plugins` as a bit per position in the framework's filter list, computed
    /// once after PreFilter so the per-node loop does no hashing.
    pub(crate) filter_skip_mask: Option<u64>,
}

impl CycleState {
    pub fn new() -> Self {
        CycleState::default()
    }

    pub fn write<T: Any + Send + Sync>(&mut self, value: T) {
        self.data.insert(TypeId::of::<T>(), Arc::new(value));
    }

    pub fn read<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.data.get(&TypeId::of::<T>())?.downcast_ref::<T>()
    }

    /// Mutable access, copying the entry first when a clone of this state shares it.
    pub fn get_mut<T: Any + Send + Sync + Clone>(&mut self) -> Option<&mut T> {
        let entry = self.data.get_mut(&TypeId::of::<T>())?;
        if Arc::get_mut(entry).is_none() {
            let copy: T = entry.downcast_ref::<T>()?.clone();
            *entry = Arc::new(copy);
        }
        Arc::get_mut(entry)?.downcast_mut::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Counter(u32);

    #[test]
    fn typed_entries_and_copy_on_write_clones() {
        let mut s = CycleState::new();
        assert!(s.read::<Counter>().is_none());
        s.write(Counter(1));
        let mut clone = s.clone();
        if let Some(c) = clone.get_mut::<Counter>() {
            c.0 += 1;
        }
        assert_eq!(s.read::<Counter>(), Some(&Counter(1)));
        assert_eq!(clone.read::<Counter>(), Some(&Counter(2)));
    }
}
