//! ZSTD decompression (RFC 8878), written for Parquet pages: frames of raw, RLE and compressed blocks; literals raw,
//! RLE or Huffman-coded (one or four streams, tables described by FSE-coded or direct weights, or repeated);
//! sequences with predefined, RLE, FSE-described or repeated tables; repeat offsets. Dictionaries are refused (a
//! Parquet writer has none to share with the reader); skippable frames are skipped; checksums are not verified (the
//! page header's size is checked instead).
//!
//! The whole output is kept, so any offset back into it is a valid window; the output may never grow past the size
//! the caller expects, which bounds RLE blocks and matches whatever the input claims.

/// Decompresses one or more frames that together expand to exactly `expected` bytes.
pub(crate) fn decompress(input: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(expected.min(input.len().saturating_mul(32)));
    let mut pos = 0;
    while pos < input.len() {
        let magic = u32_le(input, pos).ok_or("truncated zstd frame")?;
        pos += 4;
        if magic & 0xffff_fff0 == 0x184d_2a50 {
            let size = u32_le(input, pos).ok_or("truncated skippable frame")? as usize;
            pos = pos.saturating_add(4).saturating_add(size);
            continue;
        }
        if magic != 0xfd2f_b528 {
            return Err(format!("not a zstd frame (magic {magic:#010x})"));
        }
        pos = frame(input, pos, expected, &mut out)?;
    }
    Ok(out)
}

fn u32_le(input: &[u8], pos: usize) -> Option<u32> {
    let bytes = input.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn byte(input: &[u8], pos: usize) -> Result<u8, String> {
    input.get(pos).copied().ok_or_else(|| "truncated zstd data".to_owned())
}

/// What a frame's blocks share: the last Huffman table, the last sequence tables, the repeat offsets.
struct Frame {
    huffman: Option<Huffman>,
    literal_lengths: Option<Fse>,
    offsets: Option<Fse>,
    match_lengths: Option<Fse>,
    repeat: [usize; 3],
}

/// Decodes the frame whose header starts at `input[pos]`; returns the position after it.
fn frame(input: &[u8], mut pos: usize, limit: usize, out: &mut Vec<u8>) -> Result<usize, String> {
    let descriptor = byte(input, pos)?;
    pos += 1;
    let content_size_flag = descriptor >> 6;
    let single_segment = descriptor & 0x20 != 0;
    let checksum = descriptor & 0x04 != 0;
    let dictionary_flag = descriptor & 0x03;
    if descriptor & 0x08 != 0 {
        return Err("zstd frame header with the reserved bit set".to_owned());
    }
    if !single_segment {
        pos += 1; // Window descriptor: the whole output is kept, so the window needs no bound of its own.
    }
    let dictionary_bytes = [0, 1, 2, 4][usize::from(dictionary_flag)];
    let mut dictionary = 0u32;
    for i in 0..dictionary_bytes {
        dictionary |= u32::from(byte(input, pos + i)?) << (8 * i);
    }
    if dictionary != 0 {
        return Err(format!("zstd dictionary {dictionary} is not supported"));
    }
    pos += dictionary_bytes;
    let content_size_bytes = match content_size_flag {
        0 if single_segment => 1,
        0 => 0,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    pos += content_size_bytes;
    if pos > input.len() {
        return Err("truncated zstd frame header".to_owned());
    }
    let mut state = Frame { huffman: None, literal_lengths: None, offsets: None, match_lengths: None, repeat: [1, 4, 8] };
    let frame_start = out.len();
    loop {
        let header = u32::from(byte(input, pos)?) | u32::from(byte(input, pos + 1)?) << 8 | u32::from(byte(input, pos + 2)?) << 16;
        pos += 3;
        let last = header & 1 != 0;
        let size = (header >> 3) as usize;
        match (header >> 1) & 3 {
            0 => {
                let block = input.get(pos..pos + size).ok_or("truncated raw zstd block")?;
                grow(out, size, limit)?;
                out.extend_from_slice(block);
                pos += size;
            }
            1 => {
                let value = byte(input, pos)?;
                grow(out, size, limit)?;
                out.resize(out.len() + size, value);
                pos += 1;
            }
            2 => {
                if size > 128 * 1024 {
                    return Err(format!("zstd block of {size} bytes"));
                }
                let block = input.get(pos..pos + size).ok_or("truncated compressed zstd block")?;
                compressed_block(block, &mut state, frame_start, limit, out)?;
                pos += size;
            }
            _ => return Err("zstd block of the reserved type".to_owned()),
        }
        if last {
            break;
        }
    }
    if checksum {
        pos += 4;
    }
    if pos > input.len() {
        return Err("truncated zstd checksum".to_owned());
    }
    Ok(pos)
}

/// Checks that `more` bytes fit under `limit`.
fn grow(out: &[u8], more: usize, limit: usize) -> Result<(), String> {
    if out.len().saturating_add(more) > limit {
        Err(format!("zstd data expands past the announced {limit} bytes"))
    } else {
        Ok(())
    }
}

fn compressed_block(block: &[u8], state: &mut Frame, frame_start: usize, limit: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let (literals, used) = literals(block, state)?;
    let rest = block.get(used..).unwrap_or_default();
    sequences(rest, &literals, state, frame_start, limit, out)
}

// --- Literals ---------------------------------------------------------------------------------------------------

/// The literals section: the literals and the bytes the section takes.
fn literals(block: &[u8], state: &mut Frame) -> Result<(Vec<u8>, usize), String> {
    let b0 = byte(block, 0)?;
    let kind = b0 & 3;
    let size_format = (b0 >> 2) & 3;
    if kind < 2 {
        let (size, header) = match size_format {
            0 | 2 => (usize::from(b0 >> 3), 1),
            1 => (usize::from(b0 >> 4) | usize::from(byte(block, 1)?) << 4, 2),
            _ => (usize::from(b0 >> 4) | usize::from(byte(block, 1)?) << 4 | usize::from(byte(block, 2)?) << 12, 3),
        };
        if size > 128 * 1024 {
            return Err(format!("zstd literals of {size} bytes"));
        }
        return if kind == 0 {
            let bytes = block.get(header..header + size).ok_or("truncated zstd literals")?;
            Ok((bytes.to_vec(), header + size))
        } else {
            Ok((vec![byte(block, header)?; size], header + 1))
        };
    }
    let (streams, header, regenerated, compressed) = match size_format {
        0 | 1 => {
            let c = u32::from(b0) | u32::from(byte(block, 1)?) << 8 | u32::from(byte(block, 2)?) << 16;
            (if size_format == 0 { 1 } else { 4 }, 3, (c >> 4) & 0x3ff, (c >> 14) & 0x3ff)
        }
        2 => {
            let c = u32::from(b0) | u32::from(byte(block, 1)?) << 8 | u32::from(byte(block, 2)?) << 16 | u32::from(byte(block, 3)?) << 24;
            (4, 4, (c >> 4) & 0x3fff, c >> 18)
        }
        _ => {
            let c = u64::from(b0)
                | u64::from(byte(block, 1)?) << 8
                | u64::from(byte(block, 2)?) << 16
                | u64::from(byte(block, 3)?) << 24
                | u64::from(byte(block, 4)?) << 32;
            (4, 5, ((c >> 4) & 0x3ffff) as u32, ((c >> 22) & 0x3ffff) as u32)
        }
    };
    let (regenerated, compressed) = (regenerated as usize, compressed as usize);
    if regenerated > 128 * 1024 {
        return Err(format!("zstd literals of {regenerated} bytes"));
    }
    let mut data = block.get(header..header + compressed).ok_or("truncated zstd literals")?;
    if kind == 2 {
        let (table, used) = huffman_table(data)?;
        state.huffman = Some(table);
        data = data.get(used..).unwrap_or_default();
    }
    let table = state.huffman.as_ref().ok_or("zstd treeless literals without a previous Huffman table")?;
    let mut out = Vec::with_capacity(regenerated);
    if streams == 1 {
        table.decode(data, regenerated, &mut out)?;
    } else {
        let [a0, a1, b0, b1, c0, c1, ..] = *data else { return Err("truncated zstd jump table".to_owned()) };
        let sizes = [u16::from_le_bytes([a0, a1]), u16::from_le_bytes([b0, b1]), u16::from_le_bytes([c0, c1])].map(usize::from);
        let each = regenerated.div_ceil(4);
        let last = regenerated.checked_sub(3 * each).ok_or("zstd literals too few for four streams")?;
        let mut start = 6;
        for (i, count) in [each, each, each, last].into_iter().enumerate() {
            let end = match sizes.get(i) {
                Some(&size) => start + size,
                None => data.len(),
            };
            let stream = data.get(start..end).ok_or("zstd literal stream runs past the block")?;
            table.decode(stream, count, &mut out)?;
            start = end;
        }
    }
    Ok((out, header + compressed))
}

/// A Huffman decoding table: for each `max_bits`-bit prefix, the symbol and its code length.
struct Huffman {
    max_bits: u32,
    table: Vec<(u8, u8)>,
}

impl Huffman {
    fn decode(&self, stream: &[u8], count: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let mut bits = Backward::new(stream)?;
        for _ in 0..count {
            let prefix = bits.peek(self.max_bits);
            let &(symbol, length) = self.table.get(prefix as usize).ok_or("zstd Huffman code out of range")?;
            bits.consume(u32::from(length));
            out.push(symbol);
        }
        if bits.overflowed() {
            return Err("zstd Huffman stream too short".to_owned());
        }
        Ok(())
    }
}

/// Reads a Huffman tree description; returns the table and the bytes it took.
fn huffman_table(data: &[u8]) -> Result<(Huffman, usize), String> {
    let header = byte(data, 0)?;
    let (weights, used) = if header < 128 {
        let size = usize::from(header);
        let body = data.get(1..1 + size).ok_or("truncated zstd Huffman weights")?;
        (fse_weights(body)?, 1 + size)
    } else {
        let count = usize::from(header - 127);
        let bytes = data.get(1..1 + count.div_ceil(2)).ok_or("truncated zstd Huffman weights")?;
        let weights = (0..count).map(|i| {
            let b = bytes.get(i / 2).copied().unwrap_or(0);
            if i % 2 == 0 { b >> 4 } else { b & 0x0f }
        });
        (weights.collect(), 1 + count.div_ceil(2))
    };
    Ok((huffman_from_weights(&weights)?, used))
}

fn huffman_from_weights(weights: &[u8]) -> Result<Huffman, String> {
    if weights.len() > 255 {
        return Err("more than 255 zstd Huffman weights".to_owned());
    }
    let mut total = 0u32;
    for &weight in weights {
        if weight > 11 {
            return Err(format!("zstd Huffman weight {weight}"));
        }
        if weight > 0 {
            total += 1 << (weight - 1);
        }
    }
    if total == 0 {
        return Err("zstd Huffman weights all zero".to_owned());
    }
    let max_bits = 32 - total.leading_zeros();
    if max_bits > 11 {
        return Err(format!("zstd Huffman codes of {max_bits} bits"));
    }
    let rest = (1u32 << max_bits) - total;
    if !rest.is_power_of_two() {
        return Err("zstd Huffman weights do not complete a tree".to_owned());
    }
    let mut all = weights.to_vec();
    all.push((32 - rest.leading_zeros()) as u8);
    let size = 1usize << max_bits;
    let mut table = vec![(0u8, 0u8); size];
    let mut position = 0usize;
    for weight in 1..=max_bits {
        for (symbol, &w) in all.iter().enumerate() {
            if u32::from(w) != weight {
                continue;
            }
            let span = 1usize << (weight - 1);
            let length = (max_bits + 1 - weight) as u8;
            let slots = table.get_mut(position..position + span).ok_or("zstd Huffman table overflows")?;
            slots.fill((symbol as u8, length));
            position += span;
        }
    }
    if position != size {
        return Err("zstd Huffman table incomplete".to_owned());
    }
    Ok(Huffman { max_bits, table })
}

/// Huffman weights coded with FSE (accuracy at most 6), two interleaved states.
fn fse_weights(body: &[u8]) -> Result<Vec<u8>, String> {
    let (table, used) = Fse::read(body, 6, 11)?;
    let mut bits = Backward::new(body.get(used..).unwrap_or_default())?;
    let mut first = table.init(&mut bits);
    let mut second = table.init(&mut bits);
    let mut out = Vec::new();
    loop {
        out.push(table.symbol(first));
        first = table.update(first, &mut bits);
        if bits.overflowed() {
            out.push(table.symbol(second));
            break;
        }
        out.push(table.symbol(second));
        second = table.update(second, &mut bits);
        if bits.overflowed() {
            out.push(table.symbol(first));
            break;
        }
        if out.len() > 255 {
            return Err("more than 255 zstd Huffman weights".to_owned());
        }
    }
    Ok(out)
}

// --- Bit readers ------------------------------------------------------------------------------------------------

/// Up to 56 bits at bit `start` of `data`, least significant first; zeros past the end.
fn bits_at(data: &[u8], start: usize, count: u32) -> u64 {
    if count == 0 {
        return 0;
    }
    let first = start / 8;
    let mut word = 0u64;
    for i in 0..8 {
        if let Some(&b) = data.get(first + i) {
            word |= u64::from(b) << (8 * i);
        }
    }
    (word >> (start % 8)) & ((1u64 << count) - 1)
}

/// Reads a bitstream from its end towards its start, as ZSTD's Huffman and FSE streams are written.
struct Backward<'a> {
    data: &'a [u8],
    /// Bits left to read; negative once reads went past the start (which read zeros).
    pos: i64,
}

impl<'a> Backward<'a> {
    fn new(data: &'a [u8]) -> Result<Backward<'a>, String> {
        let last = *data.last().ok_or("empty zstd bitstream")?;
        if last == 0 {
            return Err("zstd bitstream without its end marker".to_owned());
        }
        let pos = (data.len() as i64 - 1) * 8 + i64::from(7 - last.leading_zeros());
        Ok(Backward { data, pos })
    }

    fn peek(&self, count: u32) -> u64 {
        let count_ = i64::from(count);
        if self.pos >= count_ {
            bits_at(self.data, (self.pos - count_) as usize, count)
        } else if self.pos > 0 {
            bits_at(self.data, 0, self.pos as u32) << (count_ - self.pos)
        } else {
            0
        }
    }

    fn consume(&mut self, count: u32) {
        self.pos -= i64::from(count);
    }

    fn read(&mut self, count: u32) -> u64 {
        let value = self.peek(count);
        self.consume(count);
        value
    }

    fn overflowed(&self) -> bool {
        self.pos < 0
    }
}

// --- FSE --------------------------------------------------------------------------------------------------------

/// An FSE decoding table: per state, its symbol, the bits to read and the baseline of the next state.
#[derive(Clone)]
struct Fse {
    accuracy: u32,
    states: Vec<(u8, u8, u16)>,
}

impl Fse {
    /// Reads a table description of accuracy at most `max_accuracy` over symbols up to `max_symbol`; returns the
    /// table and the bytes it took.
    fn read(data: &[u8], max_accuracy: u32, max_symbol: usize) -> Result<(Fse, usize), String> {
        let accuracy = (bits_at(data, 0, 4) as u32) + 5;
        if accuracy > max_accuracy {
            return Err(format!("zstd FSE accuracy {accuracy} above {max_accuracy}"));
        }
        let mut bit = 4usize;
        let mut remaining = (1i32 << accuracy) + 1;
        let mut threshold = 1i32 << accuracy;
        let mut width = accuracy + 1;
        let mut counts: Vec<i32> = Vec::new();
        while remaining > 1 {
            if counts.len() > max_symbol {
                return Err("zstd FSE description names too many symbols".to_owned());
            }
            let max = 2 * threshold - 1 - remaining;
            let low = bits_at(data, bit, width - 1) as i32;
            let value = if low < max {
                bit += (width - 1) as usize;
                low
            } else {
                let full = bits_at(data, bit, width) as i32;
                bit += width as usize;
                if full >= threshold { full - max } else { full }
            };
            let count = value - 1;
            remaining -= count.abs();
            counts.push(count);
            if count == 0 {
                loop {
                    let repeat = bits_at(data, bit, 2) as usize;
                    bit += 2;
                    counts.extend(std::iter::repeat_n(0, repeat));
                    if counts.len() > max_symbol + 1 {
                        return Err("zstd FSE description names too many symbols".to_owned());
                    }
                    if repeat != 3 {
                        break;
                    }
                }
            }
            while remaining < threshold && threshold > 1 {
                width -= 1;
                threshold >>= 1;
            }
            if bit > data.len() * 8 {
                return Err("truncated zstd FSE description".to_owned());
            }
        }
        if remaining != 1 {
            return Err("zstd FSE description does not add up".to_owned());
        }
        Ok((Fse::new(&counts, accuracy)?, bit.div_ceil(8)))
    }

    /// Builds the decoding table of normalized `counts` (−1 for a "less than one" probability).
    fn new(counts: &[i32], accuracy: u32) -> Result<Fse, String> {
        let size = 1usize << accuracy;
        let mut symbols = vec![0u8; size];
        let mut high = size - 1;
        for (symbol, &count) in counts.iter().enumerate() {
            if count == -1 {
                *symbols.get_mut(high).ok_or("zstd FSE table overflows")? = symbol as u8;
                high = high.checked_sub(1).ok_or("zstd FSE table overflows")?;
            }
        }
        let step = (size >> 1) + (size >> 3) + 3;
        let mask = size - 1;
        let mut position = 0usize;
        for (symbol, &count) in counts.iter().enumerate() {
            for _ in 0..count.max(0) {
                *symbols.get_mut(position).ok_or("zstd FSE table overflows")? = symbol as u8;
                position = (position + step) & mask;
                while position > high {
                    position = (position + step) & mask;
                }
            }
        }
        if position != 0 {
            return Err("zstd FSE counts do not fill the table".to_owned());
        }
        let mut next: Vec<u32> = counts.iter().map(|&c| if c == -1 { 1 } else { c.max(0) as u32 }).collect();
        let mut states = Vec::with_capacity(size);
        for &symbol in &symbols {
            let slot = next.get_mut(usize::from(symbol)).ok_or("zstd FSE symbol out of range")?;
            let state = *slot;
            *slot += 1;
            if state == 0 {
                return Err("zstd FSE table inconsistent".to_owned());
            }
            let bits = accuracy - (31 - state.leading_zeros());
            let baseline = (state << bits) as i64 - size as i64;
            let baseline = u16::try_from(baseline).map_err(|_| "zstd FSE baseline out of range")?;
            states.push((symbol, bits as u8, baseline));
        }
        Ok(Fse { accuracy, states })
    }

    /// A table that always yields `symbol` and reads no bits.
    fn rle(symbol: u8) -> Fse {
        Fse { accuracy: 0, states: vec![(symbol, 0, 0)] }
    }

    fn init(&self, bits: &mut Backward<'_>) -> usize {
        bits.read(self.accuracy) as usize
    }

    fn symbol(&self, state: usize) -> u8 {
        self.states.get(state).map_or(0, |s| s.0)
    }

    fn update(&self, state: usize, bits: &mut Backward<'_>) -> usize {
        let (_, width, baseline) = self.states.get(state).copied().unwrap_or((0, 0, 0));
        usize::from(baseline) + bits.read(u32::from(width)) as usize
    }
}

// --- Sequences --------------------------------------------------------------------------------------------------

const LITERAL_LENGTH_DEFAULT: [i32; 36] =
    [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1];
const MATCH_LENGTH_DEFAULT: [i32; 53] = [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
const OFFSET_DEFAULT: [i32; 29] = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];

/// Literal length codes 16 to 35: baseline and extra bits (codes below 16 are their own length).
const LITERAL_LENGTHS: [(u32, u32); 20] = [
    (16, 1), (18, 1), (20, 1), (22, 1), (24, 2), (28, 2), (32, 3), (40, 3), (48, 4), (64, 6), (128, 7), (256, 8),
    (512, 9), (1024, 10), (2048, 11), (4096, 12), (8192, 13), (16384, 14), (32768, 15), (65536, 16),
];

/// Match length codes 32 to 52 (codes below 32 are lengths 3 to 34).
const MATCH_LENGTHS: [(u32, u32); 21] = [
    (35, 1), (37, 1), (39, 1), (41, 1), (43, 2), (47, 2), (51, 3), (59, 3), (67, 4), (83, 4), (99, 5), (131, 7),
    (259, 8), (515, 9), (1027, 10), (2051, 11), (4099, 12), (8195, 13), (16387, 14), (32771, 15), (65539, 16),
];

/// Which table a sequence symbol comes from.
#[derive(Clone, Copy)]
enum Table {
    LiteralLengths,
    Offsets,
    MatchLengths,
}

/// Reads one table per its mode (`pos` moves past any description) into the frame's state.
fn sequence_table(mode: u8, data: &[u8], pos: &mut usize, which: Table, state: &mut Frame) -> Result<(), String> {
    let (default, default_accuracy, max_accuracy, max_symbol): (&[i32], u32, u32, usize) = match which {
        Table::LiteralLengths => (&LITERAL_LENGTH_DEFAULT, 6, 9, 35),
        Table::Offsets => (&OFFSET_DEFAULT, 5, 8, 31),
        Table::MatchLengths => (&MATCH_LENGTH_DEFAULT, 6, 9, 52),
    };
    let slot = match which {
        Table::LiteralLengths => &mut state.literal_lengths,
        Table::Offsets => &mut state.offsets,
        Table::MatchLengths => &mut state.match_lengths,
    };
    match mode {
        0 => *slot = Some(Fse::new(default, default_accuracy)?),
        1 => {
            let symbol = byte(data, *pos)?;
            if usize::from(symbol) > max_symbol {
                return Err(format!("zstd RLE sequence symbol {symbol}"));
            }
            *slot = Some(Fse::rle(symbol));
            *pos += 1;
        }
        2 => {
            let (table, used) = Fse::read(data.get(*pos..).unwrap_or_default(), max_accuracy, max_symbol)?;
            *slot = Some(table);
            *pos += used;
        }
        _ => {
            if slot.is_none() {
                return Err("zstd repeated sequence table without a previous one".to_owned());
            }
        }
    }
    Ok(())
}

/// The sequences section: decodes and executes every sequence onto `out`, then the remaining literals.
fn sequences(data: &[u8], literals: &[u8], state: &mut Frame, frame_start: usize, limit: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let b0 = byte(data, 0)?;
    let (count, mut pos) = match b0 {
        0 => {
            grow(out, literals.len(), limit)?;
            out.extend_from_slice(literals);
            return Ok(());
        }
        1..=127 => (usize::from(b0), 1),
        128..=254 => ((usize::from(b0 - 128) << 8) + usize::from(byte(data, 1)?), 2),
        255 => (usize::from(byte(data, 1)?) + (usize::from(byte(data, 2)?) << 8) + 0x7f00, 3),
    };
    let modes = byte(data, pos)?;
    pos += 1;
    if modes & 3 != 0 {
        return Err("zstd sequence modes with reserved bits set".to_owned());
    }
    sequence_table(modes >> 6, data, &mut pos, Table::LiteralLengths, state)?;
    sequence_table((modes >> 4) & 3, data, &mut pos, Table::Offsets, state)?;
    sequence_table((modes >> 2) & 3, data, &mut pos, Table::MatchLengths, state)?;
    let (Some(ll), Some(of), Some(ml)) = (&state.literal_lengths, &state.offsets, &state.match_lengths) else {
        return Err("zstd sequence tables missing".to_owned());
    };
    let mut bits = Backward::new(data.get(pos..).unwrap_or_default())?;
    let (mut ll_state, mut of_state, mut ml_state) = (ll.init(&mut bits), of.init(&mut bits), ml.init(&mut bits));
    let mut literal = 0usize;
    for i in 0..count {
        let of_code = u32::from(of.symbol(of_state));
        let ml_code = usize::from(ml.symbol(ml_state));
        let ll_code = usize::from(ll.symbol(ll_state));
        if of_code > 31 {
            return Err(format!("zstd offset code {of_code}"));
        }
        let offset_value = (1u64 << of_code) + bits.read(of_code);
        let match_length = match ml_code.checked_sub(32) {
            None => ml_code as u64 + 3,
            Some(i) => {
                let (base, extra) = MATCH_LENGTHS.get(i).copied().ok_or("zstd match length code out of range")?;
                u64::from(base) + bits.read(extra)
            }
        };
        let literal_length = match ll_code.checked_sub(16) {
            None => ll_code as u64,
            Some(i) => {
                let (base, extra) = LITERAL_LENGTHS.get(i).copied().ok_or("zstd literal length code out of range")?;
                u64::from(base) + bits.read(extra)
            }
        };
        if i + 1 < count {
            ll_state = ll.update(ll_state, &mut bits);
            ml_state = ml.update(ml_state, &mut bits);
            of_state = of.update(of_state, &mut bits);
        }
        let offset = repeat_offset(&mut state.repeat, offset_value, literal_length == 0)?;
        let (literal_length, match_length) = (literal_length as usize, match_length as usize);
        let run = literals.get(literal..literal + literal_length).ok_or("zstd sequence uses more literals than the block has")?;
        grow(out, literal_length + match_length, limit)?;
        out.extend_from_slice(run);
        literal += literal_length;
        if offset == 0 || offset > out.len() - frame_start {
            return Err(format!("zstd match offset {offset} with {} bytes decoded", out.len() - frame_start));
        }
        crate::snappy::copy_back(out, offset, match_length);
    }
    if bits.overflowed() || bits.pos != 0 {
        return Err("zstd sequence bitstream does not end where its sequences do".to_owned());
    }
    let rest = literals.get(literal..).unwrap_or_default();
    grow(out, rest.len(), limit)?;
    out.extend_from_slice(rest);
    Ok(())
}

/// The offset an offset value means, updating the three repeat offsets.
fn repeat_offset(repeat: &mut [usize; 3], value: u64, no_literals: bool) -> Result<usize, String> {
    let [first, second, third] = *repeat;
    if value > 3 {
        let offset = usize::try_from(value - 3).map_err(|_| "zstd offset out of range")?;
        *repeat = [offset, first, second];
        return Ok(offset);
    }
    // Without literals before the match, the repeat offsets shift by one: 1 means the second, 3 the first minus one.
    match value as usize - 1 + usize::from(no_literals) {
        0 => Ok(first),
        1 => {
            *repeat = [second, first, third];
            Ok(second)
        }
        2 => {
            *repeat = [third, first, second];
            Ok(third)
        }
        _ => {
            let offset = first.checked_sub(1).ok_or("zstd repeat offset underflows")?;
            *repeat = [offset, first, second];
            Ok(offset)
        }
    }
}
