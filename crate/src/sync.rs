//! [`lock`]: the one way the crate takes a `std::sync::Mutex`.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex` even if another holder panicked while holding it. Every
/// mutex in the crate guards data that each holder leaves whole (indices, a
/// waker, lists of spans that are only pushed to), so the panic cannot have
/// left it half-updated, and refusing it would turn one panic into many.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
