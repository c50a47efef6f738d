//! The quota on a WASI guest's writable directories, and the fuel of its
//! file work. wasmtime-wasi has no quota hook, so the `wasi:filesystem`
//! interface is linked through [`QuotaFs`], which forwards every call to
//! wasmtime-wasi's own implementation and charges on the way:
//!
//! - the usage found on the unit's directories when they are mounted (each
//!   entry's allocated blocks, plus [`DISK_BLOCK`] for the entry itself),
//! - every write, by the [`DISK_BLOCK`]-sized blocks it touches (through
//!   `write`, `write-via-stream` and `append-via-stream`; an overwrite counts
//!   again, nothing is refunded until the next dispatch measures again),
//! - [`DISK_BLOCK`] for each file, directory or link the guest creates
//!   (a symlink also for its target),
//! - each file a hook tool writes for the guest (`-o PATH`), whole.
//!
//! **Guarantee**: within a dispatch, the bytes the unit's directories take
//! on disk (or in memory, for a scratch directory in `/dev/shm`) never
//! exceed the limit by more than the filesystem's own metadata overhead:
//! the charged total is an upper bound of what the guest can have
//! allocated, and a write that would take the total over the limit fails
//! before it happens: `descriptor.write` with `insufficient-space` (ENOSPC),
//! a stream write with a stream error whose filesystem error code is
//! `insufficient-space` (a libc that does not ask for the code, as
//! Python's does not, reports EIO; the failed hook's message then names the
//! limit, from the meter's note of the refusal). `set-size` makes
//! sparse files and is not charged: it allocates nothing. A guest also holds
//! at most [`MAX_OPEN_FILES`] files open (`quota`, EDQUOT, beyond).

use std::collections::BTreeSet;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasData, Resource};
use wasmtime_wasi::filesystem::WasiFilesystemCtxView;
use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode as AsyncErrorCode;
use wasmtime_wasi::p2::bindings::sync::filesystem::types as fs;
use wasmtime_wasi::p2::bindings::sync::io::streams;
use wasmtime_wasi::p2::{
    DynInputStream, DynOutputStream, FsError, FsResult, InputStream, OutputStream, Pollable,
    StreamError, StreamResult,
};

use crate::limits::Meter;
use crate::limits::{DISK_BLOCK, Exceeded, Limit, MAX_OPEN_FILES};

/// ENOSPC on Linux: what a write beyond the quota fails with.
const ENOSPC: i32 = 28;

/// The quota of one dispatch's writable directories (see the module).
#[derive(Debug)]
pub struct DiskQuota {
    /// u64::MAX until the unit's directories are mounted.
    limit: AtomicU64,
    used: AtomicU64,
    meter: Arc<Meter>,
    /// Descriptors the guest opened and has not dropped.
    open: Mutex<BTreeSet<u32>>,
}

impl DiskQuota {
    /// A quota with no directories yet: nothing is writable to charge.
    pub fn new(meter: Arc<Meter>) -> DiskQuota {
        DiskQuota {
            limit: AtomicU64::new(u64::MAX),
            used: AtomicU64::new(0),
            meter,
            open: Mutex::new(BTreeSet::new()),
        }
    }

    /// The unit's directories under `root` are mounted: measure what they
    /// hold, and charge writes from there against `limit`.
    pub fn mount(&self, root: &Path, limit: u64) {
        self.used.store(usage(root), Relaxed);
        self.limit.store(limit, Relaxed);
    }

    /// Bytes charged so far (the usage at mount plus writes since).
    pub fn used(&self) -> u64 {
        self.used.load(Relaxed)
    }

    /// Charge `bytes`, or refuse (noting why) when they do not fit.
    fn charge(&self, bytes: u64) -> Result<(), Exceeded> {
        let limit = self.limit.load(Relaxed);
        let before = self.used.fetch_add(bytes, Relaxed);
        let after = before.saturating_add(bytes);
        if after > limit {
            self.used.fetch_sub(bytes, Relaxed);
            let e = Exceeded {
                limit: Limit::UnitDir,
                asked: after,
                max: limit,
            };
            self.meter.refused(&e.to_string());
            return Err(e);
        }
        Ok(())
    }

    /// Charge a file of `len` bytes the host writes for the guest (a hook
    /// tool's `-o PATH`): a new entry and its blocks.
    pub fn charge_file(&self, len: u64) -> Result<(), Exceeded> {
        self.meter.work(len);
        let blocks = len.div_ceil(DISK_BLOCK).saturating_add(1);
        self.charge(blocks.saturating_mul(DISK_BLOCK))
    }

    /// Fuel for `len` bytes the host read for the guest.
    pub fn work(&self, len: u64) {
        self.meter.work(len);
    }

    /// Charge a write of `len` bytes at `offset`, by the blocks it touches.
    fn charge_write(&self, offset: u64, len: u64) -> Result<(), Exceeded> {
        self.meter.work(len);
        if len == 0 {
            return Ok(());
        }
        let first = offset / DISK_BLOCK;
        let last = offset.saturating_add(len - 1) / DISK_BLOCK;
        self.charge((last - first + 1).saturating_mul(DISK_BLOCK))
    }
}

/// What the tree under `root` takes: each entry's allocated bytes plus a
/// block for the entry. Links are not followed; the walk is iterative.
pub fn usage(root: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0u64;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            total = total
                .saturating_add(DISK_BLOCK)
                .saturating_add(meta.blocks().saturating_mul(512));
            if meta.is_dir() {
                dirs.push(entry.path());
            }
        }
    }
    total
}

fn no_space() -> FsError {
    AsyncErrorCode::InsufficientSpace.into()
}

/// The `wasi:filesystem/types` host with the quota (the linker's `HasData`).
pub struct QuotaFsData;

impl HasData for QuotaFsData {
    type Data<'a> = QuotaFs<'a>;
}

/// wasmtime-wasi's filesystem view, and the quota it is charged to.
pub struct QuotaFs<'a> {
    pub inner: WasiFilesystemCtxView<'a>,
    pub quota: Arc<DiskQuota>,
}

impl QuotaFs<'_> {
    /// Charge a new entry unless `path` exists under `fd` already.
    fn charge_new(
        &mut self,
        fd: &Resource<fs::Descriptor>,
        path: &str,
        extra: u64,
    ) -> FsResult<()> {
        let exists = fs::HostDescriptor::stat_at(
            &mut self.inner,
            Resource::new_borrow(fd.rep()),
            fs::PathFlags::empty(),
            path.to_string(),
        )
        .is_ok();
        if !exists {
            self.quota
                .charge(DISK_BLOCK.saturating_add(extra))
                .map_err(|_| no_space())?;
        }
        Ok(())
    }

    /// Replace the stream `res` in the table by `wrap(stream)`.
    fn rewrap_out(
        &mut self,
        res: Resource<DynOutputStream>,
        offset: Option<u64>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let inner = self.inner.table.delete(res)?;
        let wrapped: DynOutputStream = Box::new(QuotaStream {
            inner,
            quota: self.quota.clone(),
            offset,
        });
        Ok(self.inner.table.push(wrapped)?)
    }
}

/// A file output stream whose writes are charged to the quota.
struct QuotaStream {
    inner: DynOutputStream,
    quota: Arc<DiskQuota>,
    /// Where the next write lands; none for appends (the end is unknown:
    /// each write is charged one block more than its length).
    offset: Option<u64>,
}

#[wasmtime_wasi::async_trait]
impl Pollable for QuotaStream {
    async fn ready(&mut self) {
        self.inner.ready().await
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for QuotaStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        let len = bytes.len() as u64;
        let charged = match self.offset {
            Some(at) => self.quota.charge_write(at, len),
            None => self.quota.charge_write(DISK_BLOCK - 1, len),
        };
        if charged.is_err() {
            let e = io::Error::from_raw_os_error(ENOSPC);
            return Err(StreamError::LastOperationFailed(e.into()));
        }
        self.inner.write(bytes)?;
        if let Some(at) = &mut self.offset {
            *at = at.saturating_add(len);
        }
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        self.inner.flush()
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        self.inner.check_write()
    }
    async fn cancel(&mut self) {
        self.inner.cancel().await
    }
}

/// A file input stream whose reads are charged to the meter.
struct MeteredInput {
    inner: DynInputStream,
    meter: Arc<Meter>,
}

#[wasmtime_wasi::async_trait]
impl Pollable for MeteredInput {
    async fn ready(&mut self) {
        self.inner.ready().await
    }
}

#[wasmtime_wasi::async_trait]
impl InputStream for MeteredInput {
    fn read(&mut self, size: usize) -> StreamResult<bytes::Bytes> {
        let b = self.inner.read(size)?;
        self.meter.work(b.len() as u64);
        Ok(b)
    }
    async fn cancel(&mut self) {
        self.inner.cancel().await
    }
}

type Fd = Resource<fs::Descriptor>;

impl fs::Host for QuotaFs<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<fs::ErrorCode> {
        fs::Host::convert_error_code(&mut self.inner, err)
    }
    fn filesystem_error_code(
        &mut self,
        err: Resource<streams::Error>,
    ) -> wasmtime::Result<Option<fs::ErrorCode>> {
        fs::Host::filesystem_error_code(&mut self.inner, err)
    }
}

impl fs::HostDescriptor for QuotaFs<'_> {
    fn advise(&mut self, fd: Fd, offset: u64, len: u64, advice: fs::Advice) -> FsResult<()> {
        self.inner.advise(fd, offset, len, advice)
    }
    fn sync_data(&mut self, fd: Fd) -> FsResult<()> {
        self.inner.sync_data(fd)
    }
    fn get_flags(&mut self, fd: Fd) -> FsResult<fs::DescriptorFlags> {
        self.inner.get_flags(fd)
    }
    fn get_type(&mut self, fd: Fd) -> FsResult<fs::DescriptorType> {
        self.inner.get_type(fd)
    }
    fn set_size(&mut self, fd: Fd, size: u64) -> FsResult<()> {
        self.inner.set_size(fd, size)
    }
    fn set_times(&mut self, fd: Fd, a: fs::NewTimestamp, m: fs::NewTimestamp) -> FsResult<()> {
        self.inner.set_times(fd, a, m)
    }
    fn read(&mut self, fd: Fd, len: u64, offset: u64) -> FsResult<(Vec<u8>, bool)> {
        let out = self.inner.read(fd, len, offset)?;
        self.quota.meter.work(out.0.len() as u64);
        Ok(out)
    }
    fn write(&mut self, fd: Fd, buf: Vec<u8>, offset: u64) -> FsResult<u64> {
        self.quota
            .charge_write(offset, buf.len() as u64)
            .map_err(|_| no_space())?;
        self.inner.write(fd, buf, offset)
    }
    fn read_directory(&mut self, fd: Fd) -> FsResult<Resource<fs::DirectoryEntryStream>> {
        self.inner.read_directory(fd)
    }
    fn sync(&mut self, fd: Fd) -> FsResult<()> {
        self.inner.sync(fd)
    }
    fn create_directory_at(&mut self, fd: Fd, path: String) -> FsResult<()> {
        self.charge_new(&fd, &path, 0)?;
        self.inner.create_directory_at(fd, path)
    }
    fn stat(&mut self, fd: Fd) -> FsResult<fs::DescriptorStat> {
        self.inner.stat(fd)
    }
    fn stat_at(
        &mut self,
        fd: Fd,
        flags: fs::PathFlags,
        path: String,
    ) -> FsResult<fs::DescriptorStat> {
        self.inner.stat_at(fd, flags, path)
    }
    fn set_times_at(
        &mut self,
        fd: Fd,
        flags: fs::PathFlags,
        path: String,
        a: fs::NewTimestamp,
        m: fs::NewTimestamp,
    ) -> FsResult<()> {
        self.inner.set_times_at(fd, flags, path, a, m)
    }
    fn link_at(
        &mut self,
        fd: Fd,
        old_flags: fs::PathFlags,
        old_path: String,
        new_fd: Fd,
        new_path: String,
    ) -> FsResult<()> {
        self.charge_new(&new_fd, &new_path, 0)?;
        self.inner
            .link_at(fd, old_flags, old_path, new_fd, new_path)
    }
    fn open_at(
        &mut self,
        fd: Fd,
        flags: fs::PathFlags,
        path: String,
        oflags: fs::OpenFlags,
        dflags: fs::DescriptorFlags,
    ) -> FsResult<Fd> {
        let open = self.quota.open.lock().map(|o| o.len()).unwrap_or(0);
        if open >= MAX_OPEN_FILES {
            self.quota.meter.refused(&format!(
                "the guest holds {open} files open, the host's limit ({MAX_OPEN_FILES})"
            ));
            return Err(AsyncErrorCode::Quota.into());
        }
        if oflags.contains(fs::OpenFlags::CREATE) {
            self.charge_new(&fd, &path, 0)?;
        }
        let new = self.inner.open_at(fd, flags, path, oflags, dflags)?;
        if let Ok(mut o) = self.quota.open.lock() {
            o.insert(new.rep());
        }
        Ok(new)
    }
    fn drop(&mut self, fd: Fd) -> wasmtime::Result<()> {
        if let Ok(mut o) = self.quota.open.lock() {
            o.remove(&fd.rep());
        }
        fs::HostDescriptor::drop(&mut self.inner, fd)
    }
    fn readlink_at(&mut self, fd: Fd, path: String) -> FsResult<String> {
        self.inner.readlink_at(fd, path)
    }
    fn remove_directory_at(&mut self, fd: Fd, path: String) -> FsResult<()> {
        self.inner.remove_directory_at(fd, path)
    }
    fn rename_at(&mut self, fd: Fd, old: String, new_fd: Fd, new: String) -> FsResult<()> {
        self.inner.rename_at(fd, old, new_fd, new)
    }
    fn symlink_at(&mut self, fd: Fd, src: String, dest: String) -> FsResult<()> {
        self.charge_new(&fd, &dest, src.len() as u64)?;
        self.inner.symlink_at(fd, src, dest)
    }
    fn unlink_file_at(&mut self, fd: Fd, path: String) -> FsResult<()> {
        self.inner.unlink_file_at(fd, path)
    }
    fn read_via_stream(&mut self, fd: Fd, offset: u64) -> FsResult<Resource<DynInputStream>> {
        let res = self.inner.read_via_stream(fd, offset)?;
        let inner = self.inner.table.delete(res)?;
        let wrapped: DynInputStream = Box::new(MeteredInput {
            inner,
            meter: self.quota.meter.clone(),
        });
        Ok(self.inner.table.push(wrapped)?)
    }
    fn write_via_stream(&mut self, fd: Fd, offset: u64) -> FsResult<Resource<DynOutputStream>> {
        let res = self.inner.write_via_stream(fd, offset)?;
        self.rewrap_out(res, Some(offset))
    }
    fn append_via_stream(&mut self, fd: Fd) -> FsResult<Resource<DynOutputStream>> {
        let res = self.inner.append_via_stream(fd)?;
        self.rewrap_out(res, None)
    }
    fn is_same_object(&mut self, a: Fd, b: Fd) -> wasmtime::Result<bool> {
        self.inner.is_same_object(a, b)
    }
    fn metadata_hash(&mut self, fd: Fd) -> FsResult<fs::MetadataHashValue> {
        self.inner.metadata_hash(fd)
    }
    fn metadata_hash_at(
        &mut self,
        fd: Fd,
        flags: fs::PathFlags,
        path: String,
    ) -> FsResult<fs::MetadataHashValue> {
        self.inner.metadata_hash_at(fd, flags, path)
    }
}

impl fs::HostDirectoryEntryStream for QuotaFs<'_> {
    fn read_directory_entry(
        &mut self,
        stream: Resource<fs::DirectoryEntryStream>,
    ) -> FsResult<Option<fs::DirectoryEntry>> {
        self.inner.read_directory_entry(stream)
    }
    fn drop(&mut self, stream: Resource<fs::DirectoryEntryStream>) -> wasmtime::Result<()> {
        fs::HostDirectoryEntryStream::drop(&mut self.inner, stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::HostLimits;

    #[test]
    fn writes_are_charged_by_block_and_refused_past_the_limit() {
        let meter = Arc::new(Meter::new(&HostLimits::default()));
        let q = DiskQuota::new(meter.clone());
        let dir = std::env::temp_dir().join(format!("charmbox-quota-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/f"), vec![1u8; 10_000]).unwrap();
        q.mount(&dir, 10 * DISK_BLOCK);
        let at_mount = q.used();
        // Two entries (a block each) and the file's allocated blocks (at
        // least three, for 10,000 bytes).
        assert!(at_mount >= 2 * DISK_BLOCK + 3 * DISK_BLOCK, "{at_mount}");
        q.charge_write(0, 1).unwrap();
        assert_eq!(q.used(), at_mount + DISK_BLOCK);
        q.charge_write(DISK_BLOCK - 1, 2).unwrap();
        assert_eq!(q.used(), at_mount + 3 * DISK_BLOCK, "two blocks touched");
        let left = 10 * DISK_BLOCK - q.used();
        let e = q.charge_write(0, left + 1).unwrap_err();
        assert_eq!(e.limit, Limit::UnitDir);
        assert!(meter.refusal().unwrap().contains("--max-unit-dir-mib"));
        q.charge_write(0, left).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn enospc_reads_as_insufficient_space() {
        let e = io::Error::from_raw_os_error(ENOSPC);
        assert_eq!(AsyncErrorCode::from(&e), AsyncErrorCode::InsufficientSpace);
    }
}
