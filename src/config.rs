//! The settings a handle is opened with, as the engine reads them: plain
//! data. [`OpenOptions`](crate::OpenOptions) is the public builder that
//! fills a [`Config`]; the engine reads the `Config` and never the builder,
//! so the open logic depends on settings, not on the API that gathers them.

use crate::info::Mode;

/// What to open and how (see the setters of [`OpenOptions`](crate::OpenOptions)
/// for what each setting means).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub mode: Mode,
    pub create: bool,
    pub create_new: bool,
    /// Check every data checksum before open returns.
    pub verify: bool,
    /// Capacity, in records, of a store this open creates (`None`: the default).
    pub capacity: Option<u64>,
    /// Whether a reader maps the file (`false`: it reads the records in).
    pub mmap: bool,
    /// Test hook: every sync is logged with what it makes durable.
    pub sync_log: Option<SyncLog>,
    /// Test hook: the commit sync of this number fails.
    pub fail_sync: Option<u64>,
    /// Test hook: behave as on a system without a boot id.
    pub unknown_boot: bool,
    /// Test hook: mapping the file fails with `ENODEV`.
    pub fail_map: bool,
    /// Test hook: called at the steps where another process's commits
    /// matter (`OpenOptions::at_step`).
    pub step_hook: Option<StepHook>,
    /// Open only these records (`OpenOptions::window`; readers only).
    pub window: Option<Window>,
}

/// The records a windowed handle opens ([`OpenOptions::window`]): `start`
/// up to `end`, or up to the committed count at open when `end` is `None`.
///
/// [`OpenOptions::window`]: crate::OpenOptions::window
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub start: u64,
    pub end: Option<u64>,
}

impl Default for Config {
    /// Read-write, existing file only, no verification, mapped.
    fn default() -> Self {
        Config {
            mode: Mode::ReadWrite,
            create: false,
            create_new: false,
            verify: false,
            capacity: None,
            mmap: true,
            sync_log: None,
            fail_sync: None,
            unknown_boot: false,
            fail_map: false,
            step_hook: None,
            window: None,
        }
    }
}

impl Config {
    /// This boot's id as the opened handle sees it (all zero: unknown).
    pub fn boot_id(&self) -> [u8; 16] {
        if self.unknown_boot {
            [0; 16]
        } else {
            crate::os::boot_id()
        }
    }
}

/// One sync as the power-loss simulation sees it: the mapped bytes just
/// before the sync, and the byte range it makes durable (the whole file for a
/// data sync, the slot's page for a slot sync).
#[doc(hidden)]
#[derive(Clone)]
pub struct SyncEvent {
    /// The mapping's bytes when the sync was called.
    pub memory: Vec<u8>,
    /// What the sync makes durable.
    pub synced: std::ops::Range<usize>,
    /// The system calls it took, in order (`"msync"`, `"fsync"`).
    pub calls: Vec<&'static str>,
}

/// Where a store logs its syncs, for the power-loss simulation
/// (`tests/power_loss.rs`). Not public API.
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct SyncLog(pub std::sync::Arc<std::sync::Mutex<Vec<SyncEvent>>>);

impl std::fmt::Debug for SyncLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncLog")
    }
}

/// A step of a handle at which a writer in another process may commit:
/// where the test hook `OpenOptions::at_step` is called, so that a test can
/// play the writer's moves there, in one process and in a fixed order.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// A check of the checksums has chosen its commit and is about to read
    /// the records and the checksum table (`verify`, and `verify_on_open`).
    Verify,
    /// A copy-on-write handle's first change has read the commit slots
    /// and is about to copy the newest commit's checksum table.
    CopyTable,
}

/// The test hook called at each [`Step`]. Not public API.
#[doc(hidden)]
#[derive(Clone)]
pub struct StepHook(pub std::sync::Arc<dyn Fn(Step) + Send + Sync>);

impl StepHook {
    /// Calls the hook, if there is one, at `step`.
    pub(crate) fn at(hook: Option<&StepHook>, step: Step) {
        if let Some(hook) = hook {
            (hook.0)(step);
        }
    }
}

impl std::fmt::Debug for StepHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepHook")
    }
}
