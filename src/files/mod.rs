//! Uploaded files, stored by content under `DATA_DIR/files/ab/cd/<sha256>`: the same
//! bytes are kept once, a name can never point outside the folder, and the hash is the
//! checksum people verify downloads with. Served with headers that keep a browser from
//! running anything in them. When several nodes share the database, each file is also
//! kept in it ([`shared`]), and the folder is each node's copy.

use crate::error::AppError;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

mod forms;
mod kinds;
mod shared;

pub use forms::*;
pub use kinds::*;

/// Copies from the database under way, one per file.
static FETCHES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
> = std::sync::LazyLock::new(Default::default);

/// Files copied from the database at once.
static FETCH_TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A file once stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: i64,
}

/// The store under the data directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
    /// The database every file is kept in too, when nodes share it.
    shared: Option<crate::db::Db>,
}

pub fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl FileStore {
    /// A store in the data directory alone.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("files"),
            shared: None,
        }
    }

    /// The store of a site: in the data directory, and in `db` too when several nodes
    /// may share it.
    pub fn for_site(data_dir: &Path, db: &crate::db::Db) -> Self {
        Self {
            shared: db.shared_by_nodes().then(|| db.clone()),
            ..Self::new(data_dir)
        }
    }

    /// On a database nodes share, puts the files only this node's folder holds into it
    /// (files stored before they were kept in the database too), in the background.
    pub fn share_local_files(&self) {
        let store = self.clone();
        actix_web::rt::spawn(async move {
            match store.share_local_files_now().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    files = n,
                    "stored files put into the database for the other nodes"
                ),
                Err(e) => tracing::warn!(error = ?e, "putting stored files into the database"),
            }
        });
    }

    /// What [`FileStore::share_local_files`] does, now; how many files it put.
    pub async fn share_local_files_now(&self) -> Result<usize, AppError> {
        let Some(db) = self.shared.clone() else {
            return Ok(0);
        };
        let root = self.root.clone();
        crate::db::run_blocking(move || shared::share_local(&db, &root)).await
    }

    /// The file `sha256` in this node's folder, copied there from the database first
    /// when another node stored it.
    async fn local(&self, sha256: &str) -> Result<PathBuf, AppError> {
        let path = self.path_of(sha256).ok_or(AppError::NotFound)?;
        if tokio::fs::metadata(&path).await.is_ok() {
            return Ok(path);
        }
        let Some(db) = self.shared.clone() else {
            return Err(AppError::NotFound);
        };
        // Many requests for one file a node lacks (a new release on a new node) make one
        // copy, and at most two files are copied at once, so that copies never take
        // the connections requests need.
        let gate = match FETCHES.lock() {
            Ok(mut gates) => gates.entry(sha256.to_string()).or_default().clone(),
            Err(_) => Default::default(),
        };
        let _this_file = gate.lock().await;
        if tokio::fs::metadata(&path).await.is_ok() {
            return Ok(path);
        }
        let _turn = FETCH_TURNS
            .acquire()
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("waiting to copy a file: {e}")))?;
        let (sha, target, tmp) = (sha256.to_string(), path.clone(), self.root.join("tmp"));
        let fetched = crate::db::run_blocking(move || shared::fetch(&db, &sha, &target, &tmp)).await;
        if let Ok(mut gates) = FETCHES.lock() {
            gates.remove(sha256);
        }
        if fetched? {
            Ok(path)
        } else {
            Err(AppError::NotFound)
        }
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_hash(sha256).then(|| self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
    }

    /// Streams bytes to disk, hashing as they come; refuses past `max_bytes` with a 413
    /// message naming the limit, and keeps nothing of a refused or broken upload.
    pub async fn store<S, E>(&self, mut stream: S, max_bytes: u64) -> Result<Stored, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", tmp_dir.display())))?;
        let tmp = tmp_dir.join(format!("upload-{}", rand::random::<u64>()));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", tmp.display())))?;
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            while let Some(chunk) = stream.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::BadRequest(format!("The upload was cut off: {e}")))?;
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(AppError::field(
                        "file",
                        format!(
                            "The file is larger than the limit of {} MiB.",
                            max_bytes / (1024 * 1024)
                        ),
                    ));
                }
                hasher.update(&chunk);
                file.write_all(&chunk)
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an upload: {e}")))?;
            }
            if size == 0 {
                return Err(AppError::field("file", "The file is empty."));
            }
            file.sync_all()
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("syncing an upload: {e}")))?;
            let sha256 = crate::keys::hex(&hasher.finalize());
            let target = self
                .path_of(&sha256)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad hash")))?;
            if let Some(dir) = target.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", dir.display())))?;
            }
            if tokio::fs::metadata(&target).await.is_err() {
                tokio::fs::rename(&tmp, &target)
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an upload: {e}")))?;
            }
            if let Some(db) = self.shared.clone() {
                let sha = sha256.clone();
                crate::db::run_blocking(move || shared::put(&db, &target, &sha, size as i64)).await?;
            }
            Ok(Stored {
                sha256,
                size: size as i64,
            })
        }
        .await;
        // Already renamed on success; removes the partial file otherwise.
        let _ = tokio::fs::remove_file(&tmp).await;
        result
    }

    /// Reads a multipart form, storing its files as they stream in. A file field left
    /// empty (no file chosen) is skipped; a file of a refused type, past the size limit
    /// or past the number of files is refused with a message naming the field.
    pub async fn read_form(
        &self,
        mut form: actix_multipart::Multipart,
        rules: FileRules,
    ) -> Result<FormParts, AppError> {
        let mut parts = FormParts::default();
        while let Some(field) = form.next().await {
            let field = field.map_err(unreadable)?;
            let name = field.name().unwrap_or_default().to_string();
            // A browser sends a file input with no file chosen as a part with an empty
            // file name and no bytes: that is "no file", not a file named "file".
            let raw_filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(|f| f.trim().to_string());
            // A finished field panics when polled again; fused, it keeps answering None.
            let mut field = field.fuse();
            if name == rules.field {
                let filename = raw_filename
                    .filter(|f| !f.is_empty())
                    .map(|f| clean_filename(&f))
                    .unwrap_or_default();
                let refusal = if filename.is_empty() {
                    None
                } else if !(rules.allowed)(&filename) {
                    Some(refused_type(&filename))
                } else if parts.files.len() == rules.max_files {
                    Some(format!("Attach at most {} files at a time.", rules.max_files))
                } else {
                    match self.store(&mut field, rules.max_bytes).await {
                        Ok(stored) => {
                            parts.files.push(Upload { filename, stored });
                            continue;
                        }
                        Err(AppError::Invalid { message, .. }) => Some(format!("{filename}: {message}")),
                        Err(other) => return Err(other),
                    }
                };
                if let Some(message) = refusal {
                    parts.refused.entry(name).or_default().push(message);
                }
                // Whatever was not read of a skipped or refused file.
                while field.next().await.is_some() {}
                continue;
            }
            let mut text = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(unreadable)?;
                if text.len() + chunk.len() > MAX_FORM_FIELD {
                    return Err(AppError::field(&name, "This field is too long."));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| AppError::field(&name, "This field is not valid UTF-8 text."))?;
            if let Some(c) = crate::web::characters::first_refused(&text) {
                return Err(AppError::field(&name, crate::web::characters::message(c)));
            }
            parts.fields.insert(name, text);
        }
        Ok(parts)
    }

    /// Stores bytes already in memory (a mail's part), like an upload.
    pub async fn store_bytes(&self, bytes: Vec<u8>, max_bytes: u64) -> Result<Stored, AppError> {
        let chunk = Ok::<_, std::io::Error>(Bytes::from(bytes));
        self.store(futures_util::stream::iter([chunk]), max_bytes).await
    }

    /// The bytes of a stored file.
    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, AppError> {
        let path = self.local(sha256).await?;
        tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)
    }

    /// Serves a stored file under the name it was uploaded with.
    pub async fn serve(
        &self,
        req: &HttpRequest,
        sha256: &str,
        filename: &str,
    ) -> Result<HttpResponse, AppError> {
        let content_type = content_type_for(filename);
        let inline = INLINE.iter().any(|(_, t)| *t == content_type);
        let disposition = format!(
            "{}; filename=\"{}\"",
            if inline { "inline" } else { "attachment" },
            clean_filename(filename)
        );
        self.respond(
            req,
            sha256,
            content_type,
            Some(disposition),
            "private, max-age=86400",
        )
        .await
    }

    /// A stored file as a response: named by its hash (a 304 when the browser has it),
    /// of the given type and cache policy, inert whatever it holds.
    pub async fn respond(
        &self,
        req: &HttpRequest,
        sha256: &str,
        content_type: &str,
        disposition: Option<String>,
        cache: &str,
    ) -> Result<HttpResponse, AppError> {
        if !is_hash(sha256) {
            return Err(AppError::NotFound);
        }
        let etag = format!("\"{sha256}\"");
        if req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == etag)
        {
            return Ok(HttpResponse::NotModified().finish());
        }
        let path = self.local(sha256).await?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|_| AppError::NotFound)?;
        let len = file.metadata().await.map_err(|_| AppError::NotFound)?.len();
        let mut res = HttpResponse::Ok();
        res.content_type(content_type.to_string())
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache.to_string()))
            .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
            .insert_header(("X-Content-Type-Options", "nosniff"));
        if let Some(disposition) = disposition {
            res.insert_header((header::CONTENT_DISPOSITION, disposition));
        }
        Ok(res.body(actix_web::body::SizedStream::new(len, chunks_of(file))))
    }
}

/// A file's bytes as a response body, 64 KiB at a time.
fn chunks_of(file: tokio::fs::File) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[actix_web::test]
    async fn stores_by_content_once_and_refuses_oversize() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        let a = store
            .store(chunks(&[b"hello ", b"world"]), 1024)
            .await
            .expect("store");
        assert_eq!(
            a.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(a.size, 11);
        let b = store
            .store(chunks(&[b"hello world"]), 1024)
            .await
            .expect("store again");
        assert_eq!(a, b);
        assert!(store.path_of(&a.sha256).expect("path").is_file());
        assert!(matches!(
            store.store(chunks(&[b"0123456789"]), 5).await,
            Err(AppError::Invalid { .. })
        ));
        assert!(matches!(
            store.store(chunks(&[]), 5).await,
            Err(AppError::Invalid { .. })
        ));
        let leftovers = std::fs::read_dir(dir.path().join("files/tmp"))
            .expect("tmp")
            .count();
        assert_eq!(leftovers, 0, "refused uploads leave nothing behind");
    }

    #[test]
    fn names_and_types() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\\\x\\\\evil name<>.exe"), "evil_name__.exe");
        assert_eq!(clean_filename(".htaccess"), "htaccess");
        assert_eq!(content_type_for("shot.PNG"), "image/png");
        assert_eq!(content_type_for("page.html"), "application/octet-stream");
        assert_eq!(content_type_for("icon.svg"), "application/octet-stream");
        assert!(FileStore::new(Path::new("/d")).path_of("../x").is_none());
    }
}
