//! Lock helpers that shrug off poisoning.
//!
//! A panic caught at the FFI boundary must not leave the library unusable, and
//! every structure behind these locks stays consistent between statements.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

use std::sync::Arc;

/// Callbacks told when something happens elsewhere (a sequence moves on, a
/// collection finishes); each gets an id to be removed with.
pub(crate) struct Listeners<E: Copy> {
    /// The last id given, and the listeners by id.
    list: Mutex<(u64, ListenerList<E>)>,
}

type ListenerList<E> = Vec<(u64, Listener<E>)>;

pub(crate) type Listener<E> = Arc<dyn Fn(E) + Send + Sync>;

impl<E: Copy> Default for Listeners<E> {
    fn default() -> Self {
        Listeners { list: Mutex::new((0, Vec::new())) }
    }
}

impl<E: Copy> Listeners<E> {
    pub(crate) fn add(&self, l: Listener<E>) -> u64 {
        let mut g = lock(&self.list);
        g.0 += 1;
        let id = g.0;
        g.1.push((id, l));
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        lock(&self.list).1.retain(|(i, _)| *i != id);
    }

    /// Calls every listener, outside the lock.
    pub(crate) fn notify(&self, event: E) {
        let ls: Vec<Listener<E>> = lock(&self.list).1.iter().map(|(_, l)| l.clone()).collect();
        for l in ls {
            l(event);
        }
    }
}
