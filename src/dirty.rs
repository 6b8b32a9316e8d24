//! A set of checksum chunks changed since a checksum table was last written.
//!
//! A commit rewrites only the table entries of changed chunks, so its cost
//! follows what changed, not the size of the store. One bit per 64 KiB chunk:
//! 4 KiB of memory per 2 GiB of data.

#[derive(Debug, Default, Clone)]
pub(crate) struct ChunkSet {
    bits: Vec<u64>,
    /// Every set bit lies in `lo..hi`; empty when `lo >= hi`.
    lo: u64,
    hi: u64,
}

impl ChunkSet {
    /// Adds chunks `start..end`.
    pub fn insert_range(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let words = end.div_ceil(64) as usize;
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
        for chunk in start..end {
            self.bits[(chunk / 64) as usize] |= 1 << (chunk % 64);
        }
        if self.is_empty() {
            (self.lo, self.hi) = (start, end);
        } else {
            self.lo = self.lo.min(start);
            self.hi = self.hi.max(end);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lo >= self.hi
    }

    pub fn contains(&self, chunk: u64) -> bool {
        chunk >= self.lo
            && chunk < self.hi
            && self.bits[(chunk / 64) as usize] & (1 << (chunk % 64)) != 0
    }

    /// The chunks in the set below `limit`, in order.
    pub fn iter_below(&self, limit: u64) -> impl Iterator<Item = u64> + '_ {
        (self.lo..self.hi.min(limit)).filter(|&c| self.contains(c))
    }

    pub fn clear(&mut self) {
        if !self.is_empty() {
            let (a, b) = ((self.lo / 64) as usize, self.hi.div_ceil(64) as usize);
            self.bits[a..b].fill(0);
        }
        (self.lo, self.hi) = (0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::ChunkSet;

    #[test]
    fn tracks_ranges_and_clears() {
        let mut s = ChunkSet::default();
        assert!(s.is_empty());
        s.insert_range(130, 131);
        s.insert_range(3, 5);
        assert_eq!(s.iter_below(u64::MAX).collect::<Vec<_>>(), [3, 4, 130]);
        assert_eq!(s.iter_below(100).collect::<Vec<_>>(), [3, 4]);
        assert!(s.contains(130) && !s.contains(5) && !s.contains(10_000));
        s.clear();
        assert!(s.is_empty() && !s.contains(3));
        s.insert_range(7, 8);
        assert_eq!(s.iter_below(u64::MAX).collect::<Vec<_>>(), [7]);
    }
}
