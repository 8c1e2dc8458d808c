//! Which offset of a partition may be committed when its messages finish out of order: the one
//! after the longest finished run from the lowest offset not yet committed. Offsets past an
//! unfinished message are held back, so a crash delivers them again rather than losing the gap.

use std::collections::BTreeMap;

/// Offsets handed out and not yet committable, with whether each is finished.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    pending: BTreeMap<i64, bool>,
}

impl OffsetTracker {
    /// A message handed to a handler (or waiting for its key's turn).
    pub fn start(&mut self, offset: i64) {
        self.pending.insert(offset, false);
    }

    /// A message finished. Returns the next offset to commit when the committable prefix grew.
    pub fn finish(&mut self, offset: i64) -> Option<i64> {
        if let Some(done) = self.pending.get_mut(&offset) {
            *done = true;
        }
        let mut next = None;
        while let Some(entry) = self.pending.first_entry() {
            if !*entry.get() {
                break;
            }
            next = Some(*entry.key() + 1);
            entry.remove();
        }
        next
    }

    /// Messages handed out and not yet committable.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is outstanding.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_up_to_the_lowest_unfinished_offset() {
        let mut t = OffsetTracker::default();
        for o in 10..15 {
            t.start(o);
        }
        assert_eq!(t.finish(12), None, "10 and 11 are still running");
        assert_eq!(t.finish(11), None);
        assert_eq!(t.finish(10), Some(13), "10..=12 done, 13 not");
        assert_eq!(t.finish(14), None);
        assert_eq!(t.len(), 2);
        assert_eq!(t.finish(13), Some(15));
        assert!(t.is_empty());
        assert_eq!(t.finish(99), None, "an unknown offset changes nothing");
    }
}
