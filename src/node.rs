//! This process's name among the nodes that share one database, kept across restarts,
//! so that work it claimed before a crash (mail being sent) is taken back at once when
//! it starts again instead of after the claim's lease runs out.
//!
//! The name is `<id>-<slot>`: the id is made once per data directory and kept in
//! `DATA_DIR/node-id`; the slot is the first of `DATA_DIR/node-<slot>.lock` this
//! process holds a lock on. A live process keeps its lock until it ends (the system
//! lets go of it even after `kill -9`), so two live processes on one data directory
//! never share a name, and a process started again takes the name of the one that died.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Slots tried before giving up on a kept name.
const SLOTS: usize = 64;

/// The node's name, this run of it, and the lock that keeps the name.
#[derive(Debug)]
pub struct Node {
    name: String,
    run: String,
    _lock: Option<File>,
}

impl Node {
    /// Takes the first free name of `data_dir`. When the data directory cannot be
    /// written, the name is made up for this run (and claims of an earlier run wait for
    /// their lease).
    pub fn claim(data_dir: &Path) -> Self {
        match Self::kept(data_dir) {
            Ok(node) => node,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    data_dir = %data_dir.display(),
                    "no node name kept in the data directory; using one for this run only"
                );
                Self {
                    name: format!("run-{:016x}", rand::random::<u64>()),
                    run: run_id(),
                    _lock: None,
                }
            }
        }
    }

    fn kept(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join("node-id");
        let id = match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => {
                let id = format!("{:016x}", rand::random::<u64>());
                std::fs::write(&path, format!("{id}\n"))?;
                id
            }
        };
        for slot in 0..SLOTS {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(data_dir.join(format!("node-{slot}.lock")))?;
            if file.try_lock().is_ok() {
                return Ok(Self {
                    name: format!("{id}-{slot}"),
                    run: run_id(),
                    _lock: Some(file),
                });
            }
        }
        Err(std::io::Error::other(format!("all {SLOTS} node slots are taken")))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What this run claims work in: `<name>/<run>`. Claims of the same name but
    /// another run were made before the node last stopped.
    pub fn claims(&self) -> String {
        format!("{}/{}", self.name, self.run)
    }
}

fn run_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::Node;

    #[test]
    fn a_name_is_kept_across_runs_and_never_shared_by_two_live_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Node::claim(dir.path());
        let second = Node::claim(dir.path());
        assert_ne!(first.name(), second.name());
        let name = first.name().to_string();
        drop(first);
        // Started again, a process takes the name of the one that ended.
        assert_eq!(Node::claim(dir.path()).name(), name);
        assert!(name.ends_with("-0"), "{name}");
        let node = Node::claim(dir.path());
        assert!(node.claims().starts_with(&format!("{name}/")));
    }
}
