//! Deflate at zlib's level 1, for the archive: the bytes zlib-rs's `deflate_quick` makes
//! (at each position, one earlier position found by a hash of the next 4 bytes, a match
//! taken if at least 4 bytes long, fixed Huffman codes), made faster for the many small
//! inputs of an archive.
//!
//! Why not zlib-rs itself (which the workbook still uses, at level 2): an archive of 10,000
//! initiatives deflates about 22,000 files of a few kilobytes each, and zlib-rs clears its
//! 128 KiB table of positions for each (its API cannot keep it), copies the input into its
//! window and keeps a second table this level never reads: about 2 % of a build's time in
//! the clearing alone. Here the table is never cleared: each input numbers its positions
//! from where the last one stopped ([`Table::start`]), so a slot holding a lower number is
//! empty; the input is read where it is. Small files deflate about 1.6 times as fast, large
//! ones 1.2 times.
//!
//! The bytes are zlib-rs's (0.6's `deflate_quick`, reached through flate2 at level 1), byte
//! for byte: `same_bytes_as_zlib_rs` compares them on inputs of every shape, so the
//! archive is the same file as before. The output is raw deflate (RFC 1951): one block with
//! fixed codes, then the end of the stream ([`End::Final`]) or an empty stored block that
//! ends it on a byte boundary, as zlib's `Z_SYNC_FLUSH` does ([`End::Sync`]).

use std::cell::RefCell;

/// log2 of the number of slots of the table of positions (zlib-rs's).
const HASH_BITS: u32 = 16;
/// The shortest match taken: 4 bytes, as zlib's level 1 (deflate allows 3).
const MIN_MATCH: usize = 4;
/// The longest match deflate can say.
const MAX_MATCH: usize = 258;
/// Deflate's window: a match starts at most this far back.
const WINDOW_SIZE: usize = 32 * 1024;
/// zlib's `MIN_LOOKAHEAD` (the longest match, the shortest, and one): it reads more input
/// when fewer bytes than this are left in its window, and its matches start at most this
/// much less than [`WINDOW_SIZE`] back ([`MAX_DISTANCE`]).
const LOOKAHEAD: usize = MAX_MATCH + 3 + 1;
/// The farthest back zlib's matches start.
const MAX_DISTANCE: usize = WINDOW_SIZE - LOOKAHEAD;
/// Inputs are deflated in blocks of at most this many bytes, each numbering its positions
/// afresh, so that a position always fits the table's `u32` slots. (zlib-rs makes one block
/// of any input; none of ours comes near this size.)
const BLOCK: usize = 1 << 30;

/// How the deflated bytes end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// With the stream's final block: a whole entry.
    Final,
    /// With an empty stored block, not final: the bytes end on a byte boundary and refer
    /// to nothing before the input, so that such pieces can be joined.
    Sync,
}

/// A table's slots: positions by the hash of the 4 bytes found there.
type Slots = [u32; 1 << HASH_BITS];

/// `Slots` on the heap (256 KiB: too large for a thread's stack), each holding `value`.
fn slots_holding(value: u32) -> Box<Slots> {
    match vec![value; 1 << HASH_BITS].into_boxed_slice().try_into() {
        Ok(slots) => slots,
        Err(_) => unreachable!("a slice of 2^HASH_BITS slots"),
    }
}

/// Positions by the hash of the 4 bytes found there.
struct Table {
    slots: Box<Slots>,
    /// The number the next block's first position gets: every slot holds less.
    next: u32,
}

impl Table {
    /// The number of the first of `len` positions, above every number in the table (which
    /// is cleared only when the numbers would not fit in 32 bits).
    fn start(&mut self, len: usize) -> u32 {
        let needed = len as u64 + 1;
        if u64::from(self.next) + needed >= u64::from(u32::MAX) {
            self.slots.fill(0);
            self.next = 1;
        }
        let first = self.next;
        self.next += needed as u32;
        first
    }
}

thread_local! {
    /// Each thread's table, kept from one input to the next.
    static TABLE: RefCell<Table> = RefCell::new(Table {
        slots: slots_holding(0),
        next: 1,
    });
}

/// Appends `input`, deflated, to `out`, ending as `end` says. An empty input gives an
/// empty final block with [`End::Final`], and only the empty stored block with [`End::Sync`].
pub fn deflate(input: &[u8], out: &mut Vec<u8>, end: End) {
    deflate_in_blocks(input, out, end, BLOCK);
}

/// [`deflate`], in blocks of at most `block` bytes.
fn deflate_in_blocks(input: &[u8], out: &mut Vec<u8>, end: End, block: usize) {
    let mut bits = Bits::new(out, input.len());
    if input.is_empty() && end == End::Final {
        // BFINAL 1, BTYPE 01 (fixed codes), end of block.
        bits.put(0b011, 3);
        bits.put(0, 7);
    }
    let mut blocks = input.chunks(block).peekable();
    while let Some(block) = blocks.next() {
        let last = end == End::Final && blocks.peek().is_none();
        // BFINAL, BTYPE 01.
        bits.put(u64::from(last) | 0b10, 3);
        bits = TABLE.with_borrow_mut(|table| {
            let first = table.start(block.len());
            encode(block, &mut table.slots, first, bits)
        });
        // End of block: symbol 256, seven 0 bits.
        bits.put(0, 7);
    }
    if end == End::Sync {
        // An empty stored block: BFINAL 0, BTYPE 00, to the byte boundary, LEN 0, NLEN !0.
        bits.put(0, 3);
        bits.align();
        bits.put(0xFFFF_0000, 32);
    }
    bits.finish();
}

/// The symbols of `data` into `bits`; `data[i]` is numbered `first + i` in `slots`.
///
/// zlib-rs reads its input into a window of 64 KiB, which it slides by 32 KiB when the
/// position nears its end; this follows that window (`start`, `end`) where it shows in the
/// output: a match reaches at most the window's end, and each time zlib-rs reads more input
/// (when fewer than [`LOOKAHEAD`] bytes are left in the window), it enters the position
/// before the current one in the table. (zlib-rs takes an empty slot, or one whose position
/// slid out, for the window's first position. That never makes a match here: until the
/// window first slides, its first position is in the table under its own hash, so an empty
/// slot is another hash's; after, the window slides only once the position is more than
/// [`MAX_DISTANCE`] past its start.)
fn encode<'a>(data: &[u8], slots: &mut Slots, first: u32, mut bits: Bits<'a>) -> Bits<'a> {
    let n = data.len();
    let mut pos = 0;
    let mut start = 0;
    let mut end = n.min(2 * WINDOW_SIZE);
    // Where zlib-rs reads more: fewer than LOOKAHEAD bytes left in the window while input
    // remains (once all is read, its refills read nothing and change nothing seen here).
    let refill_at = |end: usize| if end < n { end + 1 - LOOKAHEAD } else { usize::MAX };
    let mut refill = refill_at(end);
    while pos < n {
        if pos >= refill {
            loop {
                let mut room = 2 * WINDOW_SIZE - (end - start);
                if pos - start >= WINDOW_SIZE + MAX_DISTANCE {
                    start += WINDOW_SIZE;
                    room += WINDOW_SIZE;
                }
                end += room.min(n - end);
                if end - pos >= 3 && pos - start >= 1 {
                    slots[hash(read32(data, pos - 1))] = first + (pos - 1) as u32;
                }
                // Room is never 0 here (zlib asserts it: at least 2), but a loop that
                // could read nothing must not spin.
                if end - pos >= LOOKAHEAD || end == n || room == 0 {
                    break;
                }
            }
            refill = refill_at(end);
        }
        if end - pos >= MIN_MATCH {
            let four = read32(data, pos);
            let slot = &mut slots[hash(four)];
            let candidate = *slot;
            *slot = first + pos as u32;
            if candidate >= first {
                // An earlier position of this block.
                let from = (candidate - first) as usize;
                let distance = pos - from;
                if distance <= MAX_DISTANCE && read32(data, from) == four {
                    let most = (end - pos).min(MAX_MATCH);
                    let len = MIN_MATCH + common_prefix(&data[from + MIN_MATCH..], &data[pos + MIN_MATCH..pos + most]);
                    bits.put_match(len, distance);
                    pos += len;
                    continue;
                }
            }
        }
        bits.put_literal(data[pos]);
        pos += 1;
    }
    bits
}

/// The slot of 4 bytes read as a little-endian number.
#[inline(always)]
fn hash(four: u32) -> usize {
    (four.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

/// The 4 bytes at `at`, as a little-endian number.
#[inline(always)]
fn read32(data: &[u8], at: usize) -> u32 {
    match data[at..at + 4].try_into() {
        Ok(four) => u32::from_le_bytes(four),
        Err(_) => unreachable!("a slice of 4 bytes"),
    }
}

/// How many bytes `a` and `b` have in common from their start: at most `b.len()` (and `a`
/// is at least as long as `b`).
#[inline(always)]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= b.len() {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Bits written least significant first, as deflate packs them.
///
/// Each [`Bits::put`] stores the 8 bytes of what is pending and moves on by the whole bytes
/// among them, without asking whether a word is full: that question, answered yes or no
/// with no pattern a few symbols apart, was a branch the processor mispredicted (the
/// archive's deflate about 6 % faster). For those stores `out` is kept a little longer than
/// what is written, with zeros ([`Bits::finish`] cuts it).
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    /// How many bytes of `out` are written.
    len: usize,
    /// Bits not yet written as a whole byte, in the low `count` bits (fewer than 8 between
    /// calls).
    pending: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(out: &'a mut Vec<u8>, input: usize) -> Bits<'a> {
        // Room for half the input, as zlib-rs was given: text and data deflate to less,
        // and the archive holds every entry's bytes until it is written, so room reserved
        // for the worst (9 bits a byte) would stay unused (60 MB at 10,000 initiatives).
        out.reserve(input / 2 + 64);
        let len = out.len();
        Bits {
            out,
            len,
            pending: 0,
            count: 0,
        }
    }

    /// Adds the low `count` bits of `value` (at most 57).
    #[inline(always)]
    fn put(&mut self, value: u64, count: u32) {
        self.pending |= value << self.count;
        self.count += count;
        if self.out.len() < self.len + 8 {
            self.grow();
        }
        self.out[self.len..self.len + 8].copy_from_slice(&self.pending.to_le_bytes());
        let bytes = self.count / 8;
        self.len += bytes as usize;
        // Two shifts: `bytes` may be 8, and a shift by 64 is not one.
        self.pending = self.pending >> (bytes * 4) >> (bytes * 4);
        self.count %= 8;
    }

    /// Room for at least 8 more bytes: zeros up to 4 KiB ahead, within the room reserved
    /// (memory reserved and never written is never touched).
    #[cold]
    fn grow(&mut self) {
        let ahead = (self.len + 4096).min(self.out.capacity()).max(self.len + 8);
        self.out.resize(ahead, 0);
    }

    #[inline(always)]
    fn put_literal(&mut self, byte: u8) {
        let (code, len) = CODES.literal[usize::from(byte)];
        self.put(u64::from(code), u32::from(len));
    }

    /// A match of `len` bytes (4 to 258) starting `distance` bytes back (1 to 32,768).
    #[inline(always)]
    fn put_match(&mut self, len: usize, distance: usize) {
        let (length, length_bits) = CODES.length[len - 3];
        let d = distance - 1;
        let symbol = if d < 256 {
            CODES.distance_symbol[d]
        } else {
            CODES.distance_symbol[256 + (d >> 7)]
        };
        let (code, extra, first) = CODES.distance[usize::from(symbol)];
        let distance = u64::from(code) | ((d - usize::from(first)) as u64) << 5;
        self.put(
            u64::from(length) | distance << length_bits,
            u32::from(length_bits) + 5 + u32::from(extra),
        );
    }

    /// Pads with 0 bits to a byte boundary.
    fn align(&mut self) {
        let padding = (8 - self.count % 8) % 8;
        self.put(0, padding);
    }

    /// Pads with 0 bits to a byte boundary and cuts `out` after the last byte written.
    fn finish(mut self) {
        self.align();
        self.out.truncate(self.len);
    }
}

/// The fixed codes of RFC 1951 (section 3.2.6), bit-reversed to be written least
/// significant first.
struct Codes {
    /// Per byte: its literal's code and the code's length.
    literal: [(u16, u8); 256],
    /// Per match length 3 to 258: its length symbol's code followed by the extra bits, and
    /// the count of both.
    length: [(u32, u8); 256],
    /// The distance symbol of `distance - 1` (below 256), else at `256 + ((distance - 1) >>
    /// 7)` (from 256 on, the symbols start at multiples of 128).
    distance_symbol: [u8; 512],
    /// Per distance symbol: its code, its count of extra bits, its first `distance - 1`.
    distance: [(u8, u8, u16); 30],
}

static CODES: Codes = codes();

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];

/// `code`'s `len` bits in reverse order.
const fn reverse(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

/// The fixed code of literal/length symbol `symbol` (0 to 287), reversed, and its length.
const fn fixed_code(symbol: u32) -> (u32, u32) {
    if symbol < 144 {
        (reverse(0x30 + symbol, 8), 8)
    } else if symbol < 256 {
        (reverse(0x190 + symbol - 144, 9), 9)
    } else if symbol < 280 {
        (reverse(symbol - 256, 7), 7)
    } else {
        (reverse(0xC0 + symbol - 280, 8), 8)
    }
}

const fn codes() -> Codes {
    let mut codes = Codes {
        literal: [(0, 0); 256],
        length: [(0, 0); 256],
        distance_symbol: [0; 512],
        distance: [(0, 0, 0); 30],
    };
    let mut byte = 0;
    while byte < 256 {
        let (code, len) = fixed_code(byte as u32);
        codes.literal[byte] = (code as u16, len as u8);
        byte += 1;
    }
    let mut len = 3;
    while len <= 258 {
        // The last symbol below 28 whose base is at most `len`; 258 has symbol 28 (its
        // own, though 227 plus 31 extra would say it too).
        let mut symbol = 0;
        if len == 258 {
            symbol = 28;
        } else {
            while symbol + 1 < 28 && LENGTH_BASE[symbol + 1] as usize <= len {
                symbol += 1;
            }
        }
        let (code, count) = fixed_code(257 + symbol as u32);
        let extra = (len - LENGTH_BASE[symbol] as usize) as u32;
        codes.length[len - 3] = (code | extra << count, (count + LENGTH_EXTRA[symbol] as u32) as u8);
        len += 1;
    }
    let mut symbol = 0;
    while symbol < 30 {
        codes.distance[symbol] = (
            reverse(symbol as u32, 5) as u8,
            DISTANCE_EXTRA[symbol],
            DISTANCE_BASE[symbol] - 1,
        );
        symbol += 1;
    }
    let mut i = 0;
    while i < 512 {
        let d = if i < 256 { i } else { (i - 256) << 7 };
        let mut symbol = 0;
        while symbol + 1 < 30 && DISTANCE_BASE[symbol + 1] as usize - 1 <= d {
            symbol += 1;
        }
        codes.distance_symbol[i] = symbol as u8;
        i += 1;
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

    /// What zlib-rs makes of `input` at level 1, through flate2 as the archive did.
    fn zlib_rs(input: &[u8], end: End) -> Vec<u8> {
        let mut compress = Compress::new(Compression::new(1), false);
        let flush = match end {
            End::Final => FlushCompress::Finish,
            End::Sync => FlushCompress::Sync,
        };
        let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 64);
        let status = compress.compress_vec(input, &mut out, flush).unwrap();
        assert_eq!(compress.total_in(), input.len() as u64);
        if end == End::Final {
            assert_eq!(status, Status::StreamEnd);
        }
        out
    }

    fn ours(input: &[u8], end: End) -> Vec<u8> {
        let mut out = Vec::new();
        deflate(input, &mut out, end);
        out
    }

    fn inflate(data: &[u8], size: usize) -> Vec<u8> {
        let mut decompress = Decompress::new(false);
        let mut out = Vec::with_capacity(size + 1);
        let status = decompress
            .decompress_vec(data, &mut out, FlushDecompress::Finish)
            .unwrap();
        assert_eq!(status, Status::StreamEnd);
        out
    }

    /// Deterministic bytes (xorshift): `alphabet` letters at random, or runs of words.
    struct Generator(u64);

    impl Generator {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, len: usize, alphabet: u64) -> Vec<u8> {
            (0..len)
                .map(|_| ((self.next() % alphabet) as u8).wrapping_add(b' '))
                .collect()
        }

        /// Text made of a few hundred words, like the records, with lines repeated now and
        /// then from far back.
        fn text(&mut self, len: usize) -> Vec<u8> {
            let words: Vec<Vec<u8>> = (0..300)
                .map(|_| {
                    let len = 2 + (self.next() % 9) as usize;
                    self.bytes(len, 26)
                })
                .collect();
            let mut text = Vec::with_capacity(len + 300);
            while text.len() < len {
                if text.len() > 40_000 && self.next().is_multiple_of(50) {
                    let back = 30_000 + (self.next() % 10_000) as usize;
                    let from = text.len() - back;
                    let repeat = text[from..from + 300].to_vec();
                    text.extend_from_slice(&repeat);
                } else {
                    text.extend_from_slice(&words[(self.next() % 300) as usize]);
                    text.push(if self.next().is_multiple_of(12) { b'\n' } else { b' ' });
                }
            }
            text.truncate(len);
            text
        }
    }

    /// Inputs of every shape: empty and tiny; shorter and longer than zlib's lookahead and
    /// window (so that it slides its window, several times); runs longer than the longest
    /// match; bytes that do not repeat; text repeating itself near the window's edge.
    fn inputs() -> Vec<Vec<u8>> {
        let mut generator = Generator(0x2545_F491_4F6C_DD1D);
        let mut inputs: Vec<Vec<u8>> = (0..=6).map(|len| b"abcabca"[..len].to_vec()).collect();
        inputs.push(vec![0; 1]);
        inputs.push(vec![0; 300]);
        inputs.push(vec![7; 200_000]);
        inputs.push(b"abcd".repeat(70));
        for len in [100, 261, 262, 263, 1000, 5000, 40_000, 65_535, 65_536, 70_000, 250_000] {
            inputs.push(generator.text(len));
        }
        inputs.push(generator.bytes(100_000, 256));
        let mut mixed = generator.text(90_000);
        mixed.extend(generator.bytes(20_000, 4));
        mixed.extend(vec![b'x'; 1_000]);
        mixed.extend(generator.text(100_000));
        inputs.push(mixed);
        // The same 4 bytes exactly at zlib's longest distance, and just beyond it.
        for gap in [MAX_DISTANCE - 4, MAX_DISTANCE - 3, MAX_DISTANCE + 1, WINDOW_SIZE] {
            let mut input = b"WXYZ".to_vec();
            input.extend(generator.bytes(gap, 4).iter().map(|b| b + 100));
            input.extend_from_slice(b"WXYZWXYZ");
            inputs.push(input);
        }
        inputs
    }

    #[test]
    fn same_bytes_as_zlib_rs() {
        for input in inputs() {
            for end in [End::Final, End::Sync] {
                assert_eq!(
                    ours(&input, end),
                    zlib_rs(&input, end),
                    "{} bytes, {end:?}",
                    input.len()
                );
            }
        }
    }

    #[test]
    fn each_input_is_deflated_on_its_own() {
        // Inputs deflated one after the other on one thread give the bytes each gives
        // alone: what the table holds from earlier inputs is never used.
        let inputs = inputs();
        let alone: Vec<Vec<u8>> = inputs.iter().map(|input| zlib_rs(input, End::Final)).collect();
        for _ in 0..2 {
            for (input, expected) in inputs.iter().zip(&alone) {
                assert_eq!(&ours(input, End::Final), expected);
            }
        }
    }

    #[test]
    fn inflates_to_the_input_and_pieces_join() {
        let inputs = inputs();
        let mut joined = Vec::new();
        let mut expected = Vec::new();
        for input in &inputs {
            assert_eq!(inflate(&ours(input, End::Final), input.len()), *input);
            deflate(input, &mut joined, End::Sync);
            expected.extend_from_slice(input);
        }
        // The empty final block with fixed codes.
        joined.extend_from_slice(&[0x03, 0x00]);
        assert_eq!(inflate(&joined, expected.len()), expected);
    }

    #[test]
    fn blocks_of_a_large_input_inflate_to_it() {
        let input = Generator(7).text(20_000);
        for end in [End::Final, End::Sync] {
            let mut out = Vec::new();
            deflate_in_blocks(&input, &mut out, end, 3_000);
            if end == End::Sync {
                out.extend_from_slice(&[0x03, 0x00]);
            }
            assert_eq!(inflate(&out, input.len()), input);
        }
    }

    #[test]
    fn the_table_is_cleared_when_numbers_would_overflow() {
        let mut table = Table {
            slots: slots_holding(u32::MAX - 10),
            next: u32::MAX - 10,
        };
        assert_eq!(table.start(100), 1);
        assert!(table.slots.iter().all(|&slot| slot == 0));
        assert_eq!(table.next, 102);
        assert_eq!(table.start(5), 102);
        // And a deflate after such a clearing gives zlib-rs's bytes.
        TABLE.with_borrow_mut(|table| table.next = u32::MAX - 3);
        let input = Generator(11).text(3_000);
        assert_eq!(ours(&input, End::Final), zlib_rs(&input, End::Final));
    }
}
