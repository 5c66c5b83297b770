//! Where the index's files are read from: mapped into memory, as tantivy's
//! [`MmapDirectory`] does, except the stored posts, which are read with `pread`.
//!
//! A result page reads 20 stored posts out of blocks of about 16 KB, anywhere in the
//! store (191 MB at 1,000,000 posts, two thirds of the index). Mapped, every block a
//! page reads stays in the process's resident memory (the kernel counts a mapped page
//! the process touched as its own until memory runs short), so after a few thousand
//! searches the server's RSS held most of the store. Read with `pread`, the block goes
//! through the kernel's page cache, which any process shares and the kernel drops
//! when it needs the room, and the copy is freed once decompressed (tantivy keeps the
//! last decompressed blocks read, [`crate::SearchIndex::open`]). The pages of a mapped
//! file were never the process's alone either (the kernel may drop them too); what
//! changes is what the process holds resident, which is what RSS and a look at the
//! server show. A read larger than [`READ_UP_TO`] (a merge stacks a segment's whole
//! store) still goes through the mapping, without a copy, so for a while after a merge
//! the merged segments' stores may count in the RSS until no searcher holds them.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle,
    WritePtr,
};

/// Reads of a stored-posts file up to this size are copied with `pread`.
pub const READ_UP_TO: usize = 1 << 20;

/// The index's directory: [`MmapDirectory`], with stored posts read by `pread`.
#[derive(Clone, Debug)]
pub struct Files {
    mapped: MmapDirectory,
    root: PathBuf,
}

impl Files {
    /// The index in `root`, which must exist. Its path is made absolute and free of
    /// links, as the mapped directory makes its own, so that both read one file.
    pub fn open(root: &Path) -> tantivy::Result<Self> {
        let mapped = MmapDirectory::open(root)?;
        let root = root
            .canonicalize()
            .map_err(|e| tantivy::TantivyError::from(OpenReadError::wrap_io_error(e, root.to_path_buf())))?;
        Ok(Self { mapped, root })
    }
}

/// One stored-posts file: small reads by `pread`, large ones from its mapping.
#[derive(Debug)]
struct ReadByCopy {
    file: File,
    len: usize,
    mapped: Arc<dyn FileHandle>,
}

impl HasLen for ReadByCopy {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadByCopy {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.end > self.len || range.start > range.end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bytes {range:?} of a file of {}", self.len),
            ));
        }
        if range.len() > READ_UP_TO {
            return self.mapped.read_bytes(range);
        }
        let mut buf = vec![0; range.len()];
        self.file.read_exact_at(&mut buf, range.start as u64)?;
        Ok(OwnedBytes::new(buf))
    }
}

impl Directory for Files {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let mapped = self.mapped.get_file_handle(path)?;
        if path.extension().is_none_or(|e| e != "store") {
            return Ok(mapped);
        }
        let full = self.root.join(path);
        let file = File::open(&full).map_err(|e| match e.kind() {
            // Deleted since it was mapped (a merge's clean-up): as the mapping says it.
            io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(e, full.clone()),
        })?;
        Ok(Arc::new(ReadByCopy {
            file,
            len: mapped.len(),
            mapped,
        }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_posts_read_by_copy_or_mapping_give_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..READ_UP_TO + 4096).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("a.store"), &bytes).unwrap();
        std::fs::write(dir.path().join("a.idx"), &bytes[..100]).unwrap();
        let files = Files::open(dir.path()).unwrap();
        let store = files.get_file_handle(Path::new("a.store")).unwrap();
        assert_eq!(store.len(), bytes.len());
        for range in [0..0, 5..4096, 1000..READ_UP_TO + 1000, 0..bytes.len()] {
            assert_eq!(store.read_bytes(range.clone()).unwrap().as_slice(), &bytes[range]);
        }
        // Past the end: refused before either way of reading is chosen.
        assert!(store.read_bytes(10..bytes.len() + 1).is_err());
        assert!(store.read_bytes(bytes.len() - 10..bytes.len() + 10).is_err());
        let other = files.get_file_handle(Path::new("a.idx")).unwrap();
        assert_eq!(other.read_bytes(0..100).unwrap().as_slice(), &bytes[..100]);
        assert!(files.get_file_handle(Path::new("missing.store")).is_err());
        std::fs::write(dir.path().join("empty.store"), b"").unwrap();
        let empty = files.get_file_handle(Path::new("empty.store")).unwrap();
        assert_eq!(empty.len(), 0);
        assert!(empty.read_bytes(0..0).unwrap().is_empty());
        assert!(empty.read_bytes(0..1).is_err());
    }
}
