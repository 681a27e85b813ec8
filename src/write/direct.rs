//! A large file written around the page cache (`O_DIRECT`) by a thread of its own.
//!
//! Why: a build's few large files (the data archive, `records.json`, the IATI file: 170 MB
//! at 10,000 initiatives, 840 MB at 50,000) were copied into new pages of the page cache,
//! and on the benchmark's machine a new page costs what the host makes it cost: `dd` of
//! 300 MB in chunks of 1 MiB took 0.21 to 0.39 s of system time through the cache and 0.05
//! to 0.07 s around it (the disk taking 2 GB/s). Written directly, the bytes go from our
//! buffer to the device: no copy, no page of the cache, no write-back later.
//!
//! How: the file is opened twice, once with `O_DIRECT`. The caller fills aligned chunks of
//! [`CHUNK`] bytes and hands each to the file's I/O thread, which writes it at its offset
//! through the direct handle, and takes the next one from the chunks the thread gives back:
//! waiting for the device is the I/O thread's, not a core's. The last, partial chunk (its
//! length is not a multiple of the device's block) goes through the other handle, as does
//! every chunk where `O_DIRECT` is refused (a file system without it, a chunk the device
//! will not take) or once the device proves slower than the page cache ([`Pace`]).

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The bytes of one direct write, a multiple of any device's logical block.
pub const CHUNK: usize = 1 << 20;
/// The alignment of a direct write's buffer, offset and length (4096 covers 512-byte and
/// 4 KiB logical blocks).
const ALIGN: usize = 4096;
/// The chunks a file has: one filled by the caller while the others are written.
const DEPTH: usize = 4;
/// The time a direct chunk may take on average (250 MB/s): a device slower than that is
/// slower than copying into the page cache, and the rest of the file goes through the cache.
const SLOW: Duration = Duration::from_millis(4);
/// The chunks written directly before their pace is judged: single chunks take several
/// times the average while the kernel writes back other files (at 50,000 initiatives one
/// in twelve took over 4 ms, against 1.3 ms on average).
const JUDGED_AFTER: u32 = 8;

/// A buffer whose `CHUNK` bytes from `start` are aligned in memory (none by default: the
/// place of a chunk handed over).
#[derive(Default)]
struct Chunk {
    buffer: Vec<u8>,
    start: usize,
    filled: usize,
}

impl Chunk {
    fn new() -> Chunk {
        let buffer = vec![0; CHUNK + ALIGN];
        let start = buffer.as_ptr().align_offset(ALIGN);
        Chunk {
            buffer,
            start,
            filled: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buffer[self.start..self.start + self.filled]
    }
}

/// A file written in chunks by its own I/O thread; see the module's documentation.
pub struct DirectFile {
    current: Chunk,
    /// Chunks not yet made (they are made as needed, up to [`DEPTH`]).
    unmade: usize,
    to_io: Option<SyncSender<(Chunk, u64)>>,
    given_back: Receiver<Chunk>,
    io: Option<JoinHandle<io::Result<()>>>,
    /// Bytes handed to the I/O thread so far.
    offset: u64,
}

impl DirectFile {
    /// Creates (or truncates) `target`, written directly where `direct` and the system
    /// allow it, else through the page cache by the I/O thread all the same.
    pub fn create(target: &Path, direct: bool) -> io::Result<DirectFile> {
        let plain = File::create(target)?;
        let direct = direct.then(|| open_direct(target)).flatten();
        let (to_io, from_caller) = sync_channel::<(Chunk, u64)>(DEPTH);
        let (give_back, given_back) = sync_channel::<Chunk>(DEPTH);
        let io = std::thread::Builder::new()
            .name("openssc-direct".into())
            .spawn(move || write_chunks(plain, direct, &from_caller, &give_back))?;
        Ok(DirectFile {
            current: Chunk::new(),
            unmade: DEPTH - 1,
            to_io: Some(to_io),
            given_back,
            io: Some(io),
            offset: 0,
        })
    }

    /// Hands the current chunk to the I/O thread and takes an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        let next = if self.unmade > 0 {
            self.unmade -= 1;
            Chunk::new()
        } else {
            match self.given_back.recv() {
                Ok(chunk) => chunk,
                // The I/O thread stopped: its failure says why.
                Err(_) => return self.stopped(),
            }
        };
        let full = std::mem::replace(&mut self.current, next);
        self.send(full)
    }

    /// Hands `chunk` to the I/O thread, to be written after the bytes so far.
    fn send(&mut self, chunk: Chunk) -> io::Result<()> {
        let len = chunk.filled as u64;
        let sent = self.to_io.as_ref().map(|to_io| to_io.send((chunk, self.offset)));
        if !matches!(sent, Some(Ok(()))) {
            return self.stopped();
        }
        self.offset += len;
        Ok(())
    }

    /// The I/O thread's failure, once it stopped early.
    fn stopped(&mut self) -> io::Result<()> {
        self.join()
            .and(Err(io::Error::other("the thread writing the file stopped")))
    }

    /// Closes the I/O thread's channel (it writes what it was given) and waits for it: the
    /// first failure of its writes.
    fn join(&mut self) -> io::Result<()> {
        self.to_io = None;
        match self.io.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the thread writing the file panicked")),
            None => Err(io::Error::other("the thread writing the file stopped")),
        }
    }

    /// Writes what is left and waits until every chunk is written.
    pub fn finish(mut self) -> io::Result<()> {
        if self.current.filled > 0 {
            let last = std::mem::take(&mut self.current);
            self.send(last)?;
        }
        self.join()
    }
}

impl Drop for DirectFile {
    /// Dropped unfinished (the caller failed): the I/O thread is joined, so that no thread
    /// writes into the file after its owner let it go.
    fn drop(&mut self) {
        if self.io.is_some() {
            let _ = self.join();
        }
    }
}

impl Write for DirectFile {
    fn write(&mut self, mut bytes: &[u8]) -> io::Result<usize> {
        let given = bytes.len();
        while !bytes.is_empty() {
            let chunk = &mut self.current;
            let taken = (CHUNK - chunk.filled).min(bytes.len());
            let at = chunk.start + chunk.filled;
            chunk.buffer[at..at + taken].copy_from_slice(&bytes[..taken]);
            chunk.filled += taken;
            bytes = &bytes[taken..];
            if chunk.filled == CHUNK {
                self.hand_over()?;
            }
        }
        Ok(given)
    }

    /// Nothing: a partial chunk waits for more bytes or for [`DirectFile::finish`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The I/O thread: writes each chunk at its offset, directly while it can, and gives it
/// back. After a failure it keeps taking chunks (so that the caller never waits for one)
/// and returns the failure at the end.
fn write_chunks(
    plain: File,
    mut direct: Option<File>,
    chunks: &Receiver<(Chunk, u64)>,
    give_back: &SyncSender<Chunk>,
) -> io::Result<()> {
    let mut result = Ok(());
    let mut pace = Pace::default();
    for (mut chunk, offset) in chunks {
        if result.is_ok() {
            result = write_chunk(&plain, &mut direct, &mut pace, chunk.bytes(), offset);
        }
        chunk.filled = 0;
        // The caller may be done with chunks (its last one was partial).
        let _ = give_back.try_send(chunk);
    }
    result
}

/// How fast a file's direct writes have gone.
#[derive(Default)]
struct Pace {
    chunks: u32,
    took: Duration,
}

impl Pace {
    /// Counts a direct chunk that took `took`; says whether the device is too slow for
    /// direct writes: [`SLOW`] a chunk on average, once [`JUDGED_AFTER`] chunks are written.
    fn too_slow_after(&mut self, took: Duration) -> bool {
        self.chunks += 1;
        self.took += took;
        self.chunks >= JUDGED_AFTER && self.took > SLOW * self.chunks
    }
}

/// Writes `bytes` at `offset`: directly when it is a whole chunk and the device takes it
/// at its pace, else through the page cache.
fn write_chunk(plain: &File, direct: &mut Option<File>, pace: &mut Pace, bytes: &[u8], offset: u64) -> io::Result<()> {
    if let Some(file) = direct.as_ref().filter(|_| bytes.len() == CHUNK) {
        let began = Instant::now();
        match file.write_all_at(bytes, offset) {
            Ok(()) => {
                if pace.too_slow_after(began.elapsed()) {
                    *direct = None;
                }
                return Ok(());
            }
            // Refused (alignment, a file system that took the flag but not the write):
            // this chunk and the rest go through the page cache.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => *direct = None,
            Err(e) => return Err(e),
        }
    }
    plain.write_all_at(bytes, offset)
}

/// `target` opened again for direct writes, if the system allows it.
#[cfg(target_os = "linux")]
fn open_direct(target: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(target)
        .ok()
}

/// Direct writes are used on Linux only.
#[cfg(not(target_os = "linux"))]
fn open_direct(_target: &Path) -> Option<File> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `bytes` into a new file in `pieces`-byte writes, directly or not; reads it
    /// back.
    fn written(bytes: &[u8], pieces: usize, direct: bool) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.bin");
        let mut file = DirectFile::create(&path, direct).unwrap();
        for piece in bytes.chunks(pieces.max(1)) {
            file.write_all(piece).unwrap();
        }
        file.finish().unwrap();
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn a_file_written_in_chunks_reads_back_whole_at_every_length_around_a_chunk() {
        // Bytes that differ from chunk to chunk, so that a chunk written at the wrong
        // offset or twice shows.
        let bytes: Vec<u8> = (0..3 * CHUNK + 4099)
            .map(|i| (i % 251) as u8 ^ (i / CHUNK) as u8)
            .collect();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 4099] {
            for direct in [true, false] {
                for pieces in [7, 65_536, CHUNK + 3] {
                    assert_eq!(
                        written(&bytes[..len], pieces, direct),
                        &bytes[..len],
                        "{len} bytes in writes of {pieces}, direct: {direct}"
                    );
                }
            }
        }
    }

    #[test]
    fn more_chunks_than_the_file_has_buffers_are_written_in_order() {
        let bytes: Vec<u8> = (0..(2 * DEPTH + 1) * CHUNK).map(|i| (i / 4096) as u8).collect();
        assert_eq!(written(&bytes, CHUNK / 2, true), bytes);
    }

    #[test]
    fn a_file_dropped_unfinished_has_its_whole_chunks_written_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.bin");
        let bytes: Vec<u8> = (0..2 * CHUNK + 10).map(|i| (i / 4096) as u8).collect();
        let mut file = DirectFile::create(&path, true).unwrap();
        file.write_all(&bytes).unwrap();
        drop(file);
        // The partial chunk was never handed over; the whole ones are on disk once the
        // drop returns.
        assert_eq!(std::fs::read(&path).unwrap(), &bytes[..2 * CHUNK]);
    }

    #[test]
    fn a_failed_write_is_reported_by_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.bin");
        let mut file = DirectFile::create(&path, true).unwrap();
        // A read-only handle: every write of the I/O thread fails.
        let (to_io, from_caller) = sync_channel(DEPTH);
        let (give_back, given_back) = sync_channel(DEPTH);
        let read_only = File::open(&path).unwrap();
        file.to_io = Some(to_io);
        file.given_back = given_back;
        file.io = Some(std::thread::spawn(move || {
            write_chunks(read_only, None, &from_caller, &give_back)
        }));
        let bytes = vec![1u8; 2 * DEPTH * CHUNK + 5];
        let wrote = file.write_all(&bytes);
        let finished = file.finish();
        assert!(wrote.is_err() || finished.is_err(), "the failure is reported");
    }

    #[test]
    fn slow_chunks_among_fast_ones_keep_direct_writes_a_slow_device_loses_them() {
        let ms = Duration::from_millis;
        // The pace seen at 50,000 initiatives: 1.3 ms a chunk, one in twelve over 4 ms.
        let mut busy = Pace::default();
        let took = [10, 1, 1, 5, 1, 1, 1, 1, 1, 1, 1, 1, 10, 1, 1, 1];
        assert!(!took.iter().any(|&t| busy.too_slow_after(ms(t))));
        // A device at 100 MB/s (10 ms a chunk) is judged after the first chunks, not before.
        let mut slow = Pace::default();
        let verdicts: Vec<bool> = (0..JUDGED_AFTER).map(|_| slow.too_slow_after(ms(10))).collect();
        assert_eq!(verdicts.iter().position(|&v| v), Some(JUDGED_AFTER as usize - 1));
    }
}
