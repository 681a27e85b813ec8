//! The writer thread of a fresh build: whole files handed over by the threads that make
//! them, written in the order given, so that those threads go on making the next page
//! while the file system creates folders and files.
//!
//! Why a thread of its own: on a disk (ext4), creating a file or a folder may wait for the
//! disk (an inode table or a bitmap read) and two threads creating files in one folder
//! wait for each other (the folder's lock); each such wait left a core idle while a page
//! could have been made. The thread is the only writer of the queued files, so it never
//! waits for another one.
//!
//! The queue is bounded ([`QUEUE_LIMIT`] bytes): a file that does not fit is given back, and
//! the caller writes it itself (as every file was written before), so memory stays bounded
//! and a slow disk never makes a core wait for the queue. The thread is woken only when a
//! batch has gathered ([`WAKE_FILES`], [`WAKE_BYTES`]) or on [`Writer::flush`]: one wake-up
//! per file would cost more than many of the writes it saves.
//!
//! [`Writer::flush`] does not only wait: at the end of a build the queue may still hold
//! many pages (on a disk, each a folder and a file to create) while every other thread is
//! done, so the flushing thread takes batches from the queue too, and the two write side by
//! side. Both take at most [`TAKE_FILES`] files at a time, so that the other finds work.
//!
//! Whoever writes a batch hashes it first, for `data/SHA256SUMS` ([`Digests`]): a batch
//! holds many files, which `sums::digests` hashes several at once (in about six tenths of
//! the time of one after another), and each file's bytes are then in the cache for the
//! write.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::{lock, refuse_when_ending};
use crate::error::Error;
use crate::opendata::sums;

/// Every file written, with its SHA-256, in no particular order (the checksum file sorts
/// them): shared by the build, the writer thread and the flushes.
pub(super) type Digests = Arc<Mutex<Vec<(String, [u8; 32])>>>;

/// At most this many bytes wait in the queue.
const QUEUE_LIMIT: usize = 32 << 20;
/// The thread, idle, is woken when this many files wait...
const WAKE_FILES: usize = 32;
/// ...or this many bytes.
const WAKE_BYTES: usize = 1 << 20;
/// A writer (the thread, or a thread in [`Writer::flush`]) takes at most this many files
/// at a time.
const TAKE_FILES: usize = 64;

/// Where a build's files go: a folder, opened once (on Unix) so that each file and folder is
/// created relative to it, and the folders made in it so far by any thread (most files share
/// theirs with others: one check each). Paths are relative, `/`-separated.
pub(super) struct Folders {
    root: PathBuf,
    #[cfg(unix)]
    handle: Option<std::fs::File>,
    made: Mutex<foldhash::HashSet<String>>,
}

impl Folders {
    /// The folders of `root`, which exists.
    pub(super) fn new(root: &Path) -> Folders {
        Folders {
            root: root.to_path_buf(),
            // Without the handle (a system that refuses to open a folder), full paths.
            #[cfg(unix)]
            handle: std::fs::File::open(root).ok(),
            made: Mutex::new(foldhash::HashSet::default()),
        }
    }

    /// Makes the folder `relative` and its parents unless they were made already.
    pub(super) fn make(&self, relative: &str) -> Result<(), Error> {
        if !lock(&self.made).contains(relative) {
            refuse_when_ending(&self.root, relative)?;
            self.make_all(relative)
                .map_err(|e| Error::Write(self.root.join(relative), e))?;
            lock(&self.made).insert(relative.to_owned());
        }
        Ok(())
    }

    /// Writes `bytes` to the file `relative`, making its folder first.
    pub(super) fn write_file(&self, relative: &str, bytes: &[u8]) -> Result<(), Error> {
        refuse_when_ending(&self.root, relative)?;
        if let Some((folder, _)) = relative.rsplit_once('/') {
            self.make(folder)?;
        }
        self.create(relative)
            .and_then(|mut file| std::io::Write::write_all(&mut file, bytes))
            .map_err(|e| Error::Write(self.root.join(relative), e))
    }

    #[cfg(unix)]
    fn create(&self, relative: &str) -> std::io::Result<std::fs::File> {
        use rustix::fs::{Mode, OFlags};
        match &self.handle {
            Some(root) => {
                let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
                let file = rustix::fs::openat(root, relative, flags, Mode::from_raw_mode(0o666))?;
                Ok(std::fs::File::from(file))
            }
            None => std::fs::File::create(self.root.join(relative)),
        }
    }

    #[cfg(not(unix))]
    fn create(&self, relative: &str) -> std::io::Result<std::fs::File> {
        std::fs::File::create(self.root.join(relative))
    }

    /// `create_dir_all`, relative to the handle.
    #[cfg(unix)]
    fn make_all(&self, relative: &str) -> std::io::Result<()> {
        use rustix::io::Errno;
        let Some(root) = &self.handle else {
            return std::fs::create_dir_all(self.root.join(relative));
        };
        let make = |path: &str| match rustix::fs::mkdirat(root, path, rustix::fs::Mode::from_raw_mode(0o777)) {
            // As `create_dir_all`: a folder already there is made.
            Err(Errno::EXIST) if self.root.join(path).is_dir() => Ok(()),
            result => result,
        };
        match make(relative) {
            Err(Errno::NOENT) => match relative.rsplit_once('/') {
                Some((parent, _)) => {
                    self.make_all(parent)?;
                    Ok(make(relative)?)
                }
                None => Err(Errno::NOENT.into()),
            },
            result => Ok(result?),
        }
    }

    #[cfg(not(unix))]
    fn make_all(&self, relative: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(self.root.join(relative))
    }
}

#[derive(Default)]
struct Queue {
    files: VecDeque<(String, Vec<u8>)>,
    /// The bytes of `files`.
    bytes: usize,
    /// The thread holds files taken from the queue and not yet written.
    writing: bool,
    /// How many threads in [`Writer::flush`] hold files taken from the queue.
    helping: usize,
    /// No more files will come: the thread ends once the queue is empty.
    closed: bool,
    /// A file could not be written: the build will fail, nothing more is queued.
    failed: bool,
    /// The first file the thread or a flush could not write, and why, until
    /// [`Writer::flush`] returns it.
    error: Option<Error>,
}

impl Queue {
    /// Takes the next files to write (at most [`TAKE_FILES`]), in the order given.
    fn take(&mut self) -> Vec<(String, Vec<u8>)> {
        let n = self.files.len().min(TAKE_FILES);
        let batch: Vec<_> = self.files.drain(..n).collect();
        self.bytes -= batch.iter().map(|(_, bytes)| bytes.len()).sum::<usize>();
        batch
    }

    /// Every file handed over is written (or the queue failed).
    fn drained(&self) -> bool {
        self.files.is_empty() && !self.writing && self.helping == 0
    }

    /// Records what writing a batch taken from the queue gave (its writer no longer counted
    /// in `writing` or `helping`): after a failure nothing more is written (the build will
    /// fail). Once every file is written, wakes the flushes that wait (one may wait for the
    /// batch another took).
    fn written(&mut self, failed: Option<Error>, drained: &Condvar) {
        if let Some(e) = failed {
            self.failed = true;
            self.error.get_or_insert(e);
            self.files.clear();
            self.bytes = 0;
        }
        if self.drained() {
            drained.notify_all();
        }
    }
}

/// Hashes a batch, then writes it in order, up to the first failure; once every file is
/// written, adds their digests to the list.
fn write_batch(shared: &Shared, batch: Vec<(String, Vec<u8>)>) -> Option<Error> {
    let contents: Vec<&[u8]> = batch.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    let digests = sums::digests(&contents);
    let failed = batch
        .iter()
        .find_map(|(file, bytes)| shared.folders.write_file(file, bytes).err());
    if failed.is_none() {
        lock(&shared.digests).extend(batch.into_iter().map(|(file, _)| file).zip(digests));
    }
    failed
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the thread: files to write, or the queue closed.
    more: Condvar,
    /// Wakes [`Writer::flush`]: every file handed over is written.
    drained: Condvar,
    folders: Arc<Folders>,
    /// Where the digests of the files written go.
    digests: Digests,
    /// [`QUEUE_LIMIT`] but in tests.
    limit: usize,
}

impl Shared {
    fn new(folders: Arc<Folders>, digests: Digests, limit: usize) -> Arc<Shared> {
        Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            more: Condvar::new(),
            drained: Condvar::new(),
            folders,
            digests,
            limit,
        })
    }
}

/// The writer thread and its queue.
pub(super) struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread, which writes files in `folders` and adds their digests to
    /// `digests`; `None` if the system refuses one (the callers then write and hash their
    /// files themselves).
    pub(super) fn start(folders: Arc<Folders>, digests: Digests) -> Option<Writer> {
        Self::start_with(folders, digests, QUEUE_LIMIT)
    }

    fn start_with(folders: Arc<Folders>, digests: Digests, limit: usize) -> Option<Writer> {
        let shared = Shared::new(folders, digests, limit);
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("openssc-writer".into())
            .spawn(move || run(&for_thread))
            .ok()?;
        Some(Writer {
            shared,
            thread: Some(thread),
        })
    }

    /// Hands `bytes` over to be written to the file `relative` (to the folders'); gives them
    /// back when the queue is full (or the thread failed), for the caller to write.
    pub(super) fn send(&self, relative: String, bytes: Vec<u8>) -> Option<(String, Vec<u8>)> {
        let mut queue = lock(&self.shared.queue);
        if queue.closed || queue.failed || queue.bytes + bytes.len() > self.shared.limit {
            return Some((relative, bytes));
        }
        queue.bytes += bytes.len();
        queue.files.push_back((relative, bytes));
        if !queue.writing && (queue.files.len() >= WAKE_FILES || queue.bytes >= WAKE_BYTES) {
            self.shared.more.notify_one();
        }
        None
    }

    /// Writes what waits beside the thread, then waits until every file handed over is
    /// written; the first that could not be.
    pub(super) fn flush(&self) -> Result<(), Error> {
        let mut queue = lock(&self.shared.queue);
        self.shared.more.notify_one();
        loop {
            if !queue.files.is_empty() {
                let batch = queue.take();
                queue.helping += 1;
                drop(queue);
                let failed = write_batch(&self.shared, batch);
                queue = lock(&self.shared.queue);
                queue.helping -= 1;
                queue.written(failed, &self.shared.drained);
            } else if queue.drained() {
                break;
            } else {
                queue = self
                    .shared
                    .drained
                    .wait(queue)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        queue.error.take().map_or(Ok(()), Err)
    }

    /// Ends the thread; with `discard`, without writing what still waits (a build that
    /// failed: its folder is about to be removed).
    fn stop(&mut self, discard: bool) {
        {
            let mut queue = lock(&self.shared.queue);
            if discard {
                queue.files.clear();
                queue.bytes = 0;
            }
            queue.closed = true;
            self.shared.more.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Writes what waits, ends the thread and returns the first failure.
    pub(super) fn finish(mut self) -> Result<(), Error> {
        let flushed = self.flush();
        self.stop(false);
        flushed
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop(true);
    }
}

/// The thread: takes the next files waiting, writes them in order, and again, until the
/// queue is closed and empty.
fn run(shared: &Shared) {
    loop {
        let batch = {
            let mut queue = lock(&shared.queue);
            while queue.files.is_empty() {
                if queue.closed {
                    return;
                }
                queue = shared
                    .more
                    .wait(queue)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            queue.writing = true;
            queue.take()
        };
        let failed = write_batch(shared, batch);
        let mut queue = lock(&shared.queue);
        queue.writing = false;
        queue.written(failed, &shared.drained);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` files in a few folders, of various sizes (some empty).
    fn files(n: usize) -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                let path = format!("f{}/p{i}/index.html", i % 7);
                (path, format!("page {i}\n").repeat(i % 50).into_bytes())
            })
            .collect()
    }

    /// Every file of `files` is written, and listed once with its digest.
    fn assert_written(dir: &Path, writer: &Writer, files: &[(String, Vec<u8>)]) {
        for (path, bytes) in files {
            assert_eq!(&std::fs::read(dir.join(path)).unwrap(), bytes, "{path}");
        }
        let mut listed = lock(&writer.shared.digests).clone();
        listed.sort();
        let mut expected: Vec<(String, [u8; 32])> = files
            .iter()
            .map(|(path, bytes)| (path.clone(), sums::digest(bytes)))
            .collect();
        expected.sort();
        assert_eq!(listed, expected);
    }

    /// Hands [`files`]`(n)` to `writer`, which has room for them all.
    fn send_all(writer: &Writer, n: usize) -> Vec<(String, Vec<u8>)> {
        let files = files(n);
        for (path, bytes) in files.clone() {
            assert!(writer.send(path, bytes).is_none(), "the queue has room");
        }
        files
    }

    fn writer(dir: &Path) -> Writer {
        Writer::start(Arc::new(Folders::new(dir)), Digests::default()).unwrap()
    }

    /// Flushes `writer` on another thread: whether the flush succeeded, or a timeout if it
    /// has not returned within 10 s (a flush that never returns fails the test rather than
    /// hanging it).
    fn flushed(writer: &Arc<Writer>) -> Result<bool, std::sync::mpsc::RecvTimeoutError> {
        let (done, flushed) = std::sync::mpsc::channel();
        let flushing = Arc::clone(writer);
        std::thread::spawn(move || done.send(flushing.flush().is_ok()));
        flushed.recv_timeout(std::time::Duration::from_secs(10))
    }

    #[test]
    fn files_handed_over_are_written_whole_when_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(dir.path());
        let files = send_all(&writer, 2000);
        writer.flush().unwrap();
        assert_written(dir.path(), &writer, &files);
        writer.finish().unwrap();
    }

    /// Fewer files than wake the thread, handed over while it sleeps: the flush writes them
    /// (or wakes the thread) and returns.
    #[test]
    fn a_few_files_are_written_by_the_flush_though_no_batch_gathered() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Arc::new(writer(dir.path()));
        // The thread goes to sleep on the empty queue first.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let files = send_all(&writer, 3);
        assert_eq!(flushed(&writer), Ok(true), "the flush returns");
        assert_written(dir.path(), &writer, &files);
    }

    /// The files that wait are written by the flush itself, beside the thread: here there
    /// is no thread at all (the thread of a build may be busy with a batch of its own).
    #[test]
    fn the_flush_writes_what_waits() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Arc::new(Writer {
            shared: Shared::new(Arc::new(Folders::new(dir.path())), Digests::default(), QUEUE_LIMIT),
            thread: None,
        });
        let files = send_all(&writer, 3 * TAKE_FILES + 1);
        assert_eq!(flushed(&writer), Ok(true), "the flush writes the files and returns");
        assert_written(dir.path(), &writer, &files);
        assert_eq!(lock(&writer.shared.queue).bytes, 0);
    }

    /// Two flushes at once, without a thread: each may wait for a batch the other took;
    /// the one that writes the last wakes the other, and both return.
    #[test]
    fn two_flushes_at_once_both_return() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let writer = Arc::new(Writer {
                shared: Shared::new(Arc::new(Folders::new(dir.path())), Digests::default(), QUEUE_LIMIT),
                thread: None,
            });
            let files = send_all(&writer, 4 * TAKE_FILES);
            let (done, flushed) = std::sync::mpsc::channel();
            for _ in 0..2 {
                let flushing = Arc::clone(&writer);
                let done = done.clone();
                std::thread::spawn(move || done.send(flushing.flush().is_ok()));
            }
            for _ in 0..2 {
                let waited = flushed.recv_timeout(std::time::Duration::from_secs(10));
                assert_eq!(waited, Ok(true), "both flushes return");
            }
            assert_written(dir.path(), &writer, &files);
        }
    }

    #[test]
    fn a_full_queue_gives_the_file_back() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Writer::start_with(Arc::new(Folders::new(dir.path())), Digests::default(), 10).unwrap();
        assert!(writer.send("a".into(), vec![b'a'; 8]).is_none());
        // The thread sleeps (no batch gathered): the queue holds 8 of 10 bytes.
        let given_back = writer.send("b".into(), vec![b'b'; 8]).expect("given back");
        assert_eq!(given_back, ("b".to_owned(), vec![b'b'; 8]));
        writer.finish().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), vec![b'a'; 8]);
        assert!(!dir.path().join("b").exists(), "the caller writes what was given back");
    }

    #[test]
    fn a_file_that_cannot_be_written_fails_the_flush_and_nothing_more_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("taken"), "a file where a folder should be").unwrap();
        let writer = writer(dir.path());
        assert!(writer.send("taken/index.html".into(), b"x".to_vec()).is_none());
        match writer.flush() {
            Err(Error::Write(path, _)) => assert_eq!(path, dir.path().join("taken")),
            other => panic!("expected a write error on the folder, got {other:?}"),
        }
        assert!(writer.send("later.html".into(), b"y".to_vec()).is_some());
        writer.finish().unwrap();
    }

    /// A failed build drops its writer before removing its folder: what still waits is not
    /// written, and the thread has ended (it cannot make a folder again after the removal).
    #[test]
    fn a_writer_dropped_writes_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(dir.path());
        let files = send_all(&writer, 3);
        drop(writer);
        for (path, _) in &files {
            assert!(!dir.path().join(path).exists(), "{path} was written after the drop");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

/// `Folders` as `create_dir_all` and `fs::write` behave, relative to its folder.
#[cfg(test)]
mod folders {
    use super::*;

    #[test]
    fn folders_are_made_with_their_parents_once_and_files_written_in_them() {
        let dir = tempfile::tempdir().unwrap();
        let folders = Folders::new(dir.path());
        folders.make("a/b/c").unwrap();
        folders.make("a/b/c").unwrap();
        folders.make("a/b").unwrap();
        assert!(dir.path().join("a/b/c").is_dir());
        folders.write_file("a/b/d/index.html", b"<p>d</p>").unwrap();
        folders.write_file("top.txt", b"top").unwrap();
        assert_eq!(std::fs::read(dir.path().join("a/b/d/index.html")).unwrap(), b"<p>d</p>");
        assert_eq!(std::fs::read(dir.path().join("top.txt")).unwrap(), b"top");
        // A folder made by someone else is made.
        std::fs::create_dir(dir.path().join("other")).unwrap();
        folders.write_file("other/x", b"x").unwrap();
        // Written again: replaced, not appended.
        folders.write_file("top.txt", b"t").unwrap();
        assert_eq!(std::fs::read(dir.path().join("top.txt")).unwrap(), b"t");
    }

    #[test]
    fn a_file_where_a_folder_should_be_is_an_error_on_its_full_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("taken"), "a file").unwrap();
        let folders = Folders::new(dir.path());
        match folders.make("taken/sub") {
            Err(Error::Write(path, _)) => assert_eq!(path, dir.path().join("taken/sub")),
            other => panic!("expected a write error, got {other:?}"),
        }
        match folders.make("taken") {
            Err(Error::Write(path, e)) => {
                assert_eq!(path, dir.path().join("taken"));
                assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
            }
            other => panic!("expected a write error, got {other:?}"),
        }
    }
}
