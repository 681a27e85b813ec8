//! Writing the site. Into a fresh folder beside the output, swapped in when every file is
//! written; or, when the output is a previous build that lists its files in
//! `data/SHA256SUMS`, in place: only the files whose bytes changed are written (beside the
//! output first) and moved in, and the files no longer made are removed. Either way nothing
//! in the output changes until [`Staging::commit`], so a failed build leaves the previous
//! output as it was.
//!
//! A fresh build's whole files go to one writer thread ([`queue`]) rather than being
//! written by the thread that made them, which goes on making the next one meanwhile.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::opendata::sums;

#[cfg(unix)]
mod direct;
mod queue;

use queue::{Digests, Folders, Writer};

/// The file every built site carries, so a later build knows the folder is its own.
pub const MARKER_FILE: &str = ".openssc-output";

/// What [`MARKER_FILE`] says.
const MARKER_TEXT: &str = "This folder was written by openssc build and is replaced by the next build.\n";

/// The staging folders of this process's builds that are neither committed nor dropped.
/// A release binary aborts on a panic (`panic = "abort"` in Cargo.toml): no destructor
/// runs, so `main`'s panic hook removes them ([`remove_unfinished`]) as [`Staging`]'s
/// `Drop` otherwise does.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set by [`remove_unfinished`]: the process is ending, and from then on a build creates no
/// file or folder ([`refuse_when_ending`]), so that its writers do not refill the folders
/// being removed.
static ENDING: AtomicBool = AtomicBool::new(false);

/// An error instead of a new file or folder once [`remove_unfinished`] has run: the process
/// is ending.
fn refuse_when_ending(root: &Path, relative: &str) -> Result<(), Error> {
    if ENDING.load(Ordering::SeqCst) {
        let e = std::io::Error::other("the process is ending after a panic");
        return Err(Error::Write(root.join(relative), e));
    }
    Ok(())
}

/// How many times [`remove_unfinished`] tries to remove a folder: a writer that looked at
/// [`ENDING`] just before it was set may still add a file while the folder is removed.
const REMOVAL_ATTEMPTS: usize = 20;

/// Removes the staging folder of every build of this process that has not finished: for a
/// panic hook, before the process ends, so that a bug leaves no half-written folder beside
/// the output. The other threads go on until the process ends, but create nothing more.
/// Never waits for a lock: if the list is in use (a panic while it was locked), it removes
/// nothing.
pub fn remove_unfinished() {
    ENDING.store(true, Ordering::SeqCst);
    let mut dirs = match UNFINISHED.try_lock() {
        Ok(dirs) => dirs,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for dir in dirs.drain(..) {
        for _ in 0..REMOVAL_ATTEMPTS {
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => continue,
                _ => break,
            }
        }
    }
}

/// Takes `dir` off the list of [`UNFINISHED`] folders.
fn finished(dir: &Path) {
    lock(&UNFINISHED).retain(|d| d != dir);
}

/// Refuses to replace a folder that is not a previous build: the site itself, a folder
/// that holds it, or any non-empty folder without [`MARKER_FILE`].
fn check_replaceable(output: &Path, site_root: &Path) -> Result<(), Error> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (output_abs, root_abs) = (canonical(output), canonical(site_root));
    if root_abs.starts_with(&output_abs) {
        return Err(Error::UnsafeOutput(
            output.to_path_buf(),
            "it holds the site's own files".into(),
        ));
    }
    if output.is_file() {
        return Err(Error::UnsafeOutput(output.to_path_buf(), "it is a file".into()));
    }
    let non_empty = std::fs::read_dir(output)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if non_empty && !output.join(MARKER_FILE).is_file() {
        return Err(Error::UnsafeOutput(
            output.to_path_buf(),
            format!("it is not empty and has no {MARKER_FILE}, so it was not written by openssc build"),
        ));
    }
    Ok(())
}

/// What the previous build left in the output: every file's SHA-256 from its
/// `data/SHA256SUMS`, and when that list was written. A file of the list that was changed
/// after it (its size or its modification time says so) is not trusted.
struct Previous {
    digests: HashMap<String, [u8; 32]>,
    listed_at: SystemTime,
}

impl Previous {
    /// The previous build's list, if `output` holds a build with a readable one. Without
    /// it (no build there, or a build interrupted while it moved files in, which removes
    /// the list first) the output is replaced whole.
    fn read(output: &Path) -> Option<Previous> {
        if !output.join(MARKER_FILE).is_file() {
            return None;
        }
        let list = output.join(sums::PATH);
        let listed_at = std::fs::metadata(&list).ok()?.modified().ok()?;
        let text = std::fs::read_to_string(&list).ok()?;
        let mut digests = sums::parse(&text)?;
        // The list leaves itself out; it is part of the output all the same.
        digests.insert(sums::PATH.to_owned(), sums::digest(text.as_bytes()));
        Some(Previous { digests, listed_at })
    }

    /// Whether `output/path` already holds `size` bytes whose SHA-256 is `digest`.
    fn holds(&self, output: &Path, path: &str, size: u64, digest: &[u8; 32]) -> bool {
        if self.digests.get(path) != Some(digest) {
            return false;
        }
        std::fs::symlink_metadata(output.join(path))
            .is_ok_and(|m| m.is_file() && m.len() == size && m.modified().is_ok_and(|t| t <= self.listed_at))
    }
}

/// How a build is written.
enum Mode {
    /// Into a fresh folder, swapped in place of the output.
    Fresh,
    /// Into the output as it is: changed files are written into the pending folder first,
    /// named by number, and moved to their place by the commit.
    InPlace {
        previous: Previous,
        pending: Mutex<Vec<(String, PathBuf)>>,
        next: AtomicUsize,
    },
}

/// A build being written (from any thread), made visible by [`Staging::commit`]. Dropped
/// without a commit, it removes what it wrote beside the output, so a failed build leaves
/// the previous output as it was.
pub struct Staging {
    /// The fresh folder, or the folder of pending files of an in-place build.
    dir: PathBuf,
    output: PathBuf,
    retired: PathBuf,
    mode: Mode,
    /// Every file of the site, with its SHA-256, for `data/SHA256SUMS`: in a fresh build,
    /// a file handed to the writer thread is listed once written (see [`Staging::flush`]).
    written: Digests,
    folders: Arc<Folders>,
    /// A fresh build's writer thread, if the system gave one.
    writer: Option<Writer>,
    committed: bool,
}

impl Staging {
    /// Prepares to replace `output`, which must be empty, missing, or a previous build (see
    /// [`MARKER_FILE`]). A previous build is updated in place.
    pub fn create(output: &Path, site_root: &Path) -> Result<Staging, Error> {
        Self::create_with(output, site_root, |marker| std::fs::write(marker, MARKER_TEXT))
    }

    /// [`Staging::create`], the fresh folder's marker written by `write_marker` (a test
    /// makes it fail).
    fn create_with(
        output: &Path,
        site_root: &Path,
        write_marker: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> Result<Staging, Error> {
        check_replaceable(output, site_root)?;
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::Write(parent.clone(), e))?;
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let dir = parent.join(format!(".{name}.openssc-new-{}", std::process::id()));
        let retired = parent.join(format!(".{name}.openssc-old-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::Write(dir.clone(), e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::Write(dir.clone(), e))?;
        let mode = match Previous::read(output) {
            Some(previous) => Mode::InPlace {
                previous,
                pending: Mutex::new(Vec::new()),
                next: AtomicUsize::new(0),
            },
            None => Mode::Fresh,
        };
        // Files and folders are made in the fresh folder, by the writer thread; or (moving
        // files in) in the output.
        let fresh = matches!(mode, Mode::Fresh);
        let folders = Arc::new(Folders::new(if fresh { &dir } else { output }));
        let written = Digests::default();
        let writer = if fresh {
            Writer::start(Arc::clone(&folders), Arc::clone(&written))
        } else {
            None
        };
        // Listed from here, where the `Staging` that removes it when dropped exists.
        lock(&UNFINISHED).push(dir.clone());
        let staging = Staging {
            dir,
            output: output.to_path_buf(),
            retired,
            mode,
            written,
            folders,
            writer,
            committed: false,
        };
        if fresh {
            // Written once the `Staging` exists, whose drop removes the folder if it fails.
            let marker = staging.dir.join(MARKER_FILE);
            write_marker(&marker).map_err(|e| Error::Write(marker, e))?;
        }
        Ok(staging)
    }

    /// Writes one file of the site (`path` relative to the output, `/`-separated). In a
    /// fresh build the file may be written later, by the writer thread: its failure is
    /// then returned by [`Staging::flush`] or [`Staging::commit`].
    pub fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), Error> {
        match &self.mode {
            Mode::Fresh => {
                // The writer thread hashes the files it is handed (many at once); a file
                // given back is hashed here.
                let unsent = match &self.writer {
                    Some(writer) => writer.send(path.to_owned(), bytes),
                    None => Some((path.to_owned(), bytes)),
                };
                if let Some((path, bytes)) = unsent {
                    self.folders.write_file(&path, &bytes)?;
                    let digest = sums::digest(&bytes);
                    lock(&self.written).push((path, digest));
                }
            }
            Mode::InPlace {
                previous,
                pending,
                next,
            } => {
                let digest = sums::digest(&bytes);
                if !previous.holds(&self.output, path, bytes.len() as u64, &digest) {
                    refuse_when_ending(&self.output, path)?;
                    let file = self.dir.join(next.fetch_add(1, Ordering::Relaxed).to_string());
                    std::fs::write(&file, &bytes).map_err(|e| Error::Write(file.clone(), e))?;
                    lock(pending).push((path.to_owned(), file));
                }
                lock(&self.written).push((path.to_owned(), digest));
            }
        }
        Ok(())
    }

    /// Writes one file of the site piece by piece (a file too large to hold whole), hashing
    /// it as it goes: into its place in a fresh build; in place, compared with the file the
    /// output holds as it is written, so that an unchanged file is only read (see
    /// `StreamedFile`). Returns its size.
    pub fn write_stream(
        &self,
        path: &str,
        write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<u64, Error> {
        refuse_when_ending(&self.output, path)?;
        let (target, old) = match &self.mode {
            Mode::Fresh => {
                if let Some((folder, _)) = path.rsplit_once('/') {
                    self.folders.make(folder)?;
                }
                (self.dir.join(path), None)
            }
            Mode::InPlace { next, previous, .. } => {
                let pending = self.dir.join(next.fetch_add(1, Ordering::Relaxed).to_string());
                // Only a file the previous list vouches for is worth comparing with.
                let old = previous.digests.contains_key(path).then(|| self.output.join(path));
                (pending, old)
            }
        };
        let io = |e| Error::Write(target.clone(), e);
        let mut out = StreamedFile::new(&target, old).map_err(io)?;
        write(&mut out).map_err(io)?;
        let (digest, size, written) = out.finish().map_err(io)?;
        if let Mode::InPlace { previous, pending, .. } = &self.mode {
            if !written {
                // The bytes are the output's: keep its file if the list vouches for it, else
                // write them (a copy of that file) to be moved in.
                if !previous.holds(&self.output, path, size, &digest) {
                    std::fs::copy(self.output.join(path), &target).map_err(io)?;
                    lock(pending).push((path.to_owned(), target));
                }
            } else if previous.holds(&self.output, path, size, &digest) {
                std::fs::remove_file(&target).map_err(io)?;
            } else {
                lock(pending).push((path.to_owned(), target));
            }
        }
        lock(&self.written).push((path.to_owned(), digest));
        Ok(size)
    }

    /// Waits until every file handed to the writer thread is written (and listed with its
    /// digest); the first failure.
    pub fn flush(&self) -> Result<(), Error> {
        self.writer.as_ref().map_or(Ok(()), Writer::flush)
    }

    /// `data/SHA256SUMS` of the files written so far (see [`sums::text`]); after
    /// [`Staging::flush`], so that the writer thread's are listed.
    pub fn sums_text(&self) -> String {
        sums::text(&mut lock(&self.written))
    }

    /// Every file written so far with its SHA-256 (after [`Staging::flush`], as
    /// [`Staging::sums_text`]).
    pub fn digests(&self) -> Vec<(String, [u8; 32])> {
        lock(&self.written).clone()
    }

    /// How many files the site has (the marker included), once flushed.
    pub fn count(&self) -> usize {
        lock(&self.written).len() + 1
    }

    /// Makes the new site the output: swaps the fresh folder in, or moves the changed
    /// files in place and removes the files no longer made. Returns the number of files
    /// the site has.
    pub fn commit(mut self) -> Result<usize, Error> {
        if let Some(writer) = self.writer.take() {
            writer.finish()?;
        }
        let count = self.count();
        match &self.mode {
            Mode::Fresh => swap(&self.output, &self.dir, &self.retired)?,
            Mode::InPlace { pending, .. } => {
                let pending = std::mem::take(&mut *lock(pending));
                self.move_in(pending)?;
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
        self.committed = true;
        finished(&self.dir);
        Ok(count)
    }

    /// The in-place commit: takes `data/SHA256SUMS` away first, so that a build
    /// interrupted here leaves an output the next build replaces whole; removes the files this build
    /// did not make (and the folders they leave empty); moves the changed files in, the
    /// new `data/SHA256SUMS` last.
    fn move_in(&self, mut pending: Vec<(String, PathBuf)>) -> Result<(), Error> {
        let made: HashSet<String> = lock(&self.written).iter().map(|(p, _)| p.clone()).collect();
        let stale = stale_files(&self.output, &made)?;
        if pending.is_empty() && stale.is_empty() {
            return Ok(());
        }
        let list = self.output.join(sums::PATH);
        if !pending.iter().any(|(path, _)| path == sums::PATH) {
            // Unchanged, but set aside all the same until the other files are in.
            let aside = self.dir.join("SHA256SUMS");
            std::fs::rename(&list, &aside).map_err(|e| Error::Write(list.clone(), e))?;
            pending.push((sums::PATH.to_owned(), aside));
        } else if list.exists() {
            std::fs::remove_file(&list).map_err(|e| Error::Write(list.clone(), e))?;
        }
        for path in &stale {
            remove_with_empty_folders(&self.output, path)?;
        }
        // The checksum list last: while it is missing, the output is not trusted.
        pending.sort_by_key(|(path, _)| path == sums::PATH);
        for (path, file) in pending {
            let target = self.output.join(&path);
            if let Some((folder, _)) = path.rsplit_once('/') {
                self.folders.make(folder)?;
            }
            std::fs::rename(&file, &target).map_err(|e| Error::Write(target.clone(), e))?;
        }
        // The list is now newer than every file moved in (their files were written before),
        // so that the next build trusts them: a list set aside and put back keeps its time.
        std::fs::File::options()
            .write(true)
            .open(&list)
            .and_then(|f| f.set_modified(SystemTime::now()))
            .map_err(|e| Error::Write(list.clone(), e))?;
        let marker = self.output.join(MARKER_FILE);
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(MARKER_TEXT) {
            std::fs::write(&marker, MARKER_TEXT).map_err(|e| Error::Write(marker.clone(), e))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // The thread stops before its folder is removed (it would make folders again).
        drop(self.writer.take());
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
            finished(&self.dir);
        }
    }
}

/// A file written piece by piece and hashed as it goes. Given the file an output already
/// holds at its path, it compares instead of writing while the bytes are the same, and
/// writes its own file (the bytes so far copied from the old one, then the rest) from the
/// first difference on: an unchanged archive of a rebuild is read, not written again.
struct StreamedFile {
    target: PathBuf,
    state: Streamed,
    hasher: Sha256,
    position: u64,
}

enum Streamed {
    /// Writing into the target.
    Writing(Target),
    /// Every byte so far equals the old file's.
    Comparing {
        old_path: PathBuf,
        old: std::io::BufReader<std::fs::File>,
        scratch: Vec<u8>,
    },
}

impl StreamedFile {
    /// A file to be written at `target`; with `old`, compared with that file first.
    fn new(target: &Path, old: Option<PathBuf>) -> std::io::Result<StreamedFile> {
        let compared = old.and_then(|path| {
            let file = std::fs::File::open(&path).ok()?;
            Some(Streamed::Comparing {
                old_path: path,
                old: std::io::BufReader::with_capacity(1 << 20, file),
                scratch: Vec::new(),
            })
        });
        let state = match compared {
            Some(state) => state,
            None => Self::create(target)?,
        };
        Ok(StreamedFile {
            target: target.to_path_buf(),
            state,
            hasher: Sha256::new(),
            position: 0,
        })
    }

    fn create(target: &Path) -> std::io::Result<Streamed> {
        Ok(Streamed::Writing(create_target(target)?))
    }

    /// Leaves the comparison: the target gets the first `position` bytes of the old file.
    fn diverge(&mut self) -> std::io::Result<()> {
        if let Streamed::Comparing { old_path, .. } = &self.state {
            let mut writing = Self::create(&self.target)?;
            if let Streamed::Writing(out) = &mut writing {
                let mut old = std::fs::File::open(old_path)?;
                let copied = std::io::copy(&mut std::io::Read::take(&mut old, self.position), out)?;
                if copied != self.position {
                    return Err(std::io::Error::other("the output's file changed while it was read"));
                }
            }
            self.state = writing;
        }
        Ok(())
    }

    /// The file's SHA-256, its size, and whether it was written (else it equals the old
    /// file, which was left as it was).
    fn finish(mut self) -> std::io::Result<([u8; 32], u64, bool)> {
        if let Streamed::Comparing { old, .. } = &mut self.state {
            // The old file is longer: the new one is only its beginning.
            if !std::io::BufRead::fill_buf(old)?.is_empty() {
                self.diverge()?;
            }
        }
        let written = match self.state {
            Streamed::Writing(out) => {
                finish_target(out)?;
                true
            }
            Streamed::Comparing { .. } => false,
        };
        Ok((self.hasher.finalize().into(), self.position, written))
    }
}

impl std::io::Write for StreamedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Streamed::Comparing { old, scratch, .. } = &mut self.state {
            scratch.resize(buf.len(), 0);
            let same = match std::io::Read::read_exact(old, scratch) {
                Ok(()) => scratch == buf,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => false,
                Err(e) => return Err(e),
            };
            if !same {
                self.diverge()?;
            }
        }
        if let Streamed::Writing(out) = &mut self.state {
            out.write_all(buf)?;
        }
        self.hasher.update(buf);
        self.position += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.state {
            Streamed::Writing(out) => out.flush(),
            Streamed::Comparing { .. } => Ok(()),
        }
    }
}

/// Where a streamed file's bytes go: to its own I/O thread, around the page cache where
/// the system allows it ([`direct::DirectFile`]); through a buffer where it is not Unix.
#[cfg(unix)]
type Target = direct::DirectFile;
#[cfg(not(unix))]
type Target = std::io::BufWriter<std::fs::File>;

/// A new file `target` to stream into.
fn create_target(target: &Path) -> std::io::Result<Target> {
    #[cfg(unix)]
    return direct::DirectFile::create(target, true);
    #[cfg(not(unix))]
    Ok(std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(target)?,
    ))
}

/// Writes what `target` still holds.
fn finish_target(target: Target) -> std::io::Result<()> {
    #[cfg(unix)]
    return target.finish();
    #[cfg(not(unix))]
    target
        .into_inner()
        .map(drop)
        .map_err(std::io::IntoInnerError::into_error)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The files (and links) under `output` that are not in `made` and are not the marker, as
/// `/`-separated paths relative to `output`.
fn stale_files(output: &Path, made: &HashSet<String>) -> Result<Vec<String>, Error> {
    let mut stale = Vec::new();
    for entry in walkdir::WalkDir::new(output).min_depth(1) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(output).to_path_buf();
            Error::Io(path, e.into())
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(output) else {
            continue;
        };
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if relative != MARKER_FILE && !made.contains(&relative) {
            stale.push(relative);
        }
    }
    Ok(stale)
}

/// Writes `bytes` to `output/path` through a file beside it, renamed over it, so that a
/// server never reads half a file.
pub(crate) fn write_in_place(output: &Path, path: &str, bytes: &[u8]) -> Result<(), Error> {
    let file = output.join(path);
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder).map_err(|e| Error::Write(folder.to_path_buf(), e))?;
    }
    let temporary = output.join(format!("{path}.openssc-partial"));
    std::fs::write(&temporary, bytes).map_err(|e| Error::Write(temporary.clone(), e))?;
    std::fs::rename(&temporary, &file).map_err(|e| Error::Write(file.clone(), e))
}

/// Removes `output/path` and the folders it leaves empty.
pub(crate) fn remove_with_empty_folders(output: &Path, path: &str) -> Result<(), Error> {
    let file = output.join(path);
    std::fs::remove_file(&file).map_err(|e| Error::Write(file.clone(), e))?;
    let mut folder = file.parent();
    while let Some(f) = folder.filter(|f| *f != output) {
        if std::fs::remove_dir(f).is_err() {
            break;
        }
        folder = f.parent();
    }
    Ok(())
}

fn swap(output: &Path, staging: &Path, retired: &Path) -> Result<(), Error> {
    let had_output = output.exists();
    if had_output {
        std::fs::rename(output, retired).map_err(|e| Error::Write(output.to_path_buf(), e))?;
    }
    if let Err(e) = std::fs::rename(staging, output) {
        if had_output {
            // Put the previous site back before reporting.
            let _ = std::fs::rename(retired, output);
        }
        return Err(Error::Write(output.to_path_buf(), e));
    }
    if had_output {
        let _ = std::fs::remove_dir_all(retired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Writes `new` in pieces of `piece` bytes through a [`StreamedFile`] compared with a
    /// file holding `old` (none: a fresh file); returns whether it was written and the
    /// target's bytes.
    fn stream(old: Option<&[u8]>, new: &[u8], piece: usize) -> (bool, Option<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old");
        if let Some(old) = old {
            std::fs::write(&old_path, old).unwrap();
        }
        let target = dir.path().join("new");
        let mut file = StreamedFile::new(&target, old.map(|_| old_path.clone())).unwrap();
        for chunk in new.chunks(piece.max(1)) {
            file.write_all(chunk).unwrap();
        }
        let (digest, size, written) = file.finish().unwrap();
        assert_eq!((digest, size), (sums::digest(new), new.len() as u64));
        if let Some(old) = old {
            assert_eq!(std::fs::read(&old_path).unwrap(), old, "the old file is never changed");
        }
        (written, std::fs::read(&target).ok())
    }

    #[test]
    fn a_streamed_file_equal_to_the_old_one_is_only_read() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        assert_eq!(stream(Some(&bytes), &bytes, 4096), (false, None));
        assert_eq!(stream(Some(b""), b"", 1), (false, None));
    }

    #[test]
    fn a_streamed_file_that_differs_anywhere_is_written_whole() {
        let old: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let mut middle = old.clone();
        middle[30_000] ^= 1;
        let mut first = old.clone();
        first[0] ^= 1;
        let longer = [old.as_slice(), b"more"].concat();
        let shorter = old[..49_999].to_vec();
        for (new, piece) in [
            (&middle, 1000),
            (&middle, 7),
            (&first, 1),
            (&longer, 4096),
            (&shorter, 333),
        ] {
            assert_eq!(stream(Some(&old), new, piece), (true, Some(new.clone())));
        }
        // No old file: written as it comes.
        assert_eq!(stream(None, &old, 999), (true, Some(old.clone())));
    }

    /// A temporary folder holding an empty site folder, `site`: the outputs go beside it.
    fn root_with_site() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let site = root.path().join("site");
        std::fs::create_dir(&site).unwrap();
        (root, site)
    }

    /// Whether `dir` is on the list the panic hook empties.
    fn listed(dir: &Path) -> bool {
        lock(&UNFINISHED).iter().any(|d| d == dir)
    }

    #[test]
    fn a_committed_or_dropped_build_is_no_longer_listed_for_the_panic_hook() {
        // Other tests' builds may be on the list at the same time: only this test's
        // folders are looked at, and `remove_unfinished` (which would remove theirs) is
        // tested in a process of its own (tests/unfinished_build.rs).
        let (root, site) = root_with_site();
        let committed = Staging::create(&root.path().join("committed"), &site).unwrap();
        let committed_dir = committed.dir.clone();
        committed.write("index.html", b"<p>a</p>".to_vec()).unwrap();
        assert!(listed(&committed_dir) && committed_dir.is_dir());
        committed.commit().unwrap();
        assert!(!listed(&committed_dir), "a committed build is finished");
        assert!(root.path().join("committed/index.html").is_file());

        let dropped = Staging::create(&root.path().join("dropped"), &site).unwrap();
        let dropped_dir = dropped.dir.clone();
        assert!(listed(&dropped_dir));
        drop(dropped);
        assert!(
            !listed(&dropped_dir) && !dropped_dir.exists(),
            "a failed build removes its folder"
        );
    }

    #[test]
    fn a_failed_marker_write_leaves_no_fresh_folder_beside_the_output() {
        let (root, site) = root_with_site();
        let output = root.path().join("public");
        let failed = Staging::create_with(&output, &site, |_| Err(std::io::Error::other("disk full")));
        match failed {
            Err(Error::Write(path, e)) => {
                assert!(
                    path.ends_with(MARKER_FILE) && e.to_string() == "disk full",
                    "{path:?}: {e}"
                )
            }
            other => panic!("expected the marker's write error, got {:?}", other.map(|_| ())),
        }
        let left: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(left, ["site"], "nothing beside the output, no output made");
        assert!(!lock(&UNFINISHED).iter().any(|d| d.starts_with(root.path())));
    }
}
