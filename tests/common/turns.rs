//! Turns on the machine: a test that measures time runs with nothing else.

use super::*;

/// The machine the tests of this binary share. Every server holds a shared turn while
/// it runs; a test that measures how fast other users are answered takes the machine
/// alone (it waits until no other test's server runs, and none starts meanwhile).
#[derive(Default)]
pub(super) struct Machine {
    pub(super) sharing: usize,
    pub(super) alone: bool,
}

/// A turn on the machine, given back when dropped.
pub struct Turn {
    pub(super) alone: bool,
}

impl Turn {
    pub(super) async fn take(alone: bool) -> Self {
        tokio::task::spawn_blocking(move || {
            let mut m = MACHINE.lock().unwrap_or_else(|e| e.into_inner());
            while m.alone || (alone && m.sharing > 0) {
                m = MACHINE_CHANGED.wait(m).unwrap_or_else(|e| e.into_inner());
            }
            if alone {
                m.alone = true;
            } else {
                m.sharing += 1;
            }
            Turn { alone }
        })
        .await
        .expect("a turn on the machine")
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut m = MACHINE.lock().unwrap_or_else(|e| e.into_inner());
        if self.alone {
            m.alone = false;
        } else {
            m.sharing -= 1;
        }
        MACHINE_CHANGED.notify_all();
    }
}
