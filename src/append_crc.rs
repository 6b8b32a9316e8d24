//! Chunk CRCs computed while records are appended, from the caller's
//! buffer, so a commit need not read the records back through the mapping
//! (which costs a page fault per page a `pwrite` put in the page cache, and
//! a second pass over memory). Anything but a plain append makes it forget
//! what it knew; the commit then hashes from the mapping as before. Pure
//! and safe: it only sees the bytes it is fed.

/// CRCs of chunks filled by appends, and a running CRC of the chunk being
/// filled.
#[derive(Debug)]
pub(crate) struct AppendCrcs {
    chunk_records: u64,
    stride: usize,
    running: Option<Running>,
    done: Vec<(u64, u32)>,
}

#[derive(Debug, Clone)]
struct Running {
    chunk: u64,
    /// Record index after the last one fed.
    next: u64,
    hasher: crc32fast::Hasher,
}

impl AppendCrcs {
    pub fn new(chunk_records: u64, stride: usize) -> AppendCrcs {
        AppendCrcs {
            chunk_records,
            stride,
            running: None,
            done: Vec::new(),
        }
    }

    /// Whether it holds anything to forget.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.running.is_some() || !self.done.is_empty()
    }

    /// Records `start..` were appended with these bytes.
    pub fn feed(&mut self, start: u64, bytes: &[u8]) {
        let c = self.chunk_records;
        let n = (bytes.len() / self.stride) as u64;
        if self.running.as_ref().is_some_and(|r| r.next != start) {
            self.running = None;
        }
        let mut at = start;
        let end = start + n;
        let running = match &mut self.running {
            Some(r) => r,
            None => {
                // Start at the next chunk boundary: a chunk's CRC is known
                // only if every one of its records was fed.
                let first = start.next_multiple_of(c);
                if first >= end {
                    return;
                }
                // Keep `done` in chunk order: nothing known at or past the
                // new start can still be right.
                self.done.retain(|&(chunk, _)| chunk < first / c);
                at = first;
                self.running.insert(Running {
                    chunk: first / c,
                    next: first,
                    hasher: crc32fast::Hasher::new(),
                })
            }
        };
        while at < end {
            let chunk_end = (running.chunk + 1) * c;
            let take = (end - at).min(chunk_end - at);
            let from = ((at - start) as usize) * self.stride;
            running
                .hasher
                .update(&bytes[from..from + take as usize * self.stride]);
            at += take;
            running.next = at;
            if at == chunk_end {
                let full = std::mem::replace(&mut running.hasher, crc32fast::Hasher::new());
                self.done.push((running.chunk, full.finalize()));
                running.chunk += 1;
            }
        }
    }

    /// Records were changed other than by appending: forget everything.
    #[inline]
    pub fn forget(&mut self) {
        if self.is_active() {
            self.running = None;
            self.done.clear();
        }
    }

    /// The CRC of full chunk `chunk`, if appends filled all of it.
    pub fn full(&self, chunk: u64) -> Option<u32> {
        // `done` is in chunk order (see `feed`): a commit looks up every
        // chunk, so a linear search would be quadratic in a large append.
        let at = self.done.binary_search_by_key(&chunk, |&(c, _)| c).ok()?;
        Some(self.done[at].1)
    }

    /// The CRC of the partial chunk `chunk` holding records up to `len`.
    pub fn tail(&self, chunk: u64, len: u64) -> Option<u32> {
        let r = self.running.as_ref()?;
        (r.chunk == chunk && r.next == len).then(|| r.hasher.clone().finalize())
    }

    /// The full chunks' CRCs are in the table now.
    pub fn committed(&mut self) {
        self.done.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::AppendCrcs;

    fn chunk_crc(data: &[u8], stride: usize, c: u64, chunk: u64, len: u64) -> u32 {
        let a = (chunk * c) as usize * stride;
        let b = ((chunk + 1) * c).min(len) as usize * stride;
        crc32fast::hash(&data[a..b])
    }

    proptest::proptest! {
        /// Whatever the batch sizes, every CRC it claims to know is the CRC
        /// of the bytes.
        #[test]
        fn known_crcs_are_right(batches in proptest::collection::vec(0usize..40, 0..30), skip in 0u64..5) {
            let (stride, c) = (3usize, 7u64);
            let total: usize = batches.iter().sum::<usize>() + skip as usize;
            let data: Vec<u8> = (0..total * stride).map(|i| (i * 31 % 251) as u8).collect();
            let mut crcs = AppendCrcs::new(c, stride);
            // The first `skip` records were there before (not fed).
            let mut len = skip;
            for n in batches {
                let bytes = &data[len as usize * stride..(len as usize + n) * stride];
                crcs.feed(len, bytes);
                len += n as u64;
                for chunk in 0..len / c {
                    if let Some(crc) = crcs.full(chunk) {
                        proptest::prop_assert_eq!(crc, chunk_crc(&data, stride, c, chunk, len));
                    }
                }
                if let Some(crc) = crcs.tail(len / c, len) {
                    proptest::prop_assert_eq!(crc, chunk_crc(&data, stride, c, len / c, len));
                }
            }
            // Fed from the first chunk boundary on, every later chunk is known.
            let first = skip.div_ceil(c);
            for chunk in first..len / c {
                proptest::prop_assert!(crcs.full(chunk).is_some());
            }
        }
    }
}
