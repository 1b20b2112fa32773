//! A global allocator that counts live bytes and their peak while asked to, for memory
//! claims. Between measurements it only forwards to the system allocator (one flag read
//! per call): the timed benchmarks in the same binary run at the system allocator's speed,
//! and a baseline that allocates more than voiceport is not slowed more than it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

pub struct PeakAlloc {
    counting: AtomicBool,
    /// Bytes allocated since `start`, less those freed since (negative once more is freed
    /// than was allocated: memory that was live before).
    live: AtomicIsize,
    peak: AtomicIsize,
}

impl PeakAlloc {
    pub const fn new() -> Self {
        PeakAlloc {
            counting: AtomicBool::new(false),
            live: AtomicIsize::new(0),
            peak: AtomicIsize::new(0),
        }
    }

    /// Starts a measurement: from now on, the peak of the bytes live above what is live now.
    pub fn start(&self) {
        self.live.store(0, Ordering::SeqCst);
        self.peak.store(0, Ordering::SeqCst);
        self.counting.store(true, Ordering::SeqCst);
    }

    /// Ends the measurement: the highest count of bytes live above what was live at
    /// [`start`](Self::start).
    pub fn stop(&self) -> usize {
        self.counting.store(false, Ordering::SeqCst);
        usize::try_from(self.peak.load(Ordering::SeqCst)).unwrap_or(0)
    }

    fn grew(&self, bytes: usize) {
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        let live = self.live.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.peak.fetch_max(live, Ordering::Relaxed);
    }

    fn shrank(&self, bytes: usize) {
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        self.live.fetch_sub(bytes, Ordering::Relaxed);
    }

    fn counting(&self) -> bool {
        self.counting.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && self.counting() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if self.counting() {
            self.shrank(layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && self.counting() {
            match new_size >= layout.size() {
                true => self.grew(new_size - layout.size()),
                false => self.shrank(layout.size() - new_size),
            }
        }
        new
    }
}
