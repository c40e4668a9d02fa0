//! A reader of the Thrift compact protocol, the encoding of Parquet's footer (`FileMetaData`) and page headers.
//!
//! It reads what the caller asks for, field by field, and skips what the caller does not know. It is not a general
//! Thrift library: no writer, no maps of known types, no schema. Every length and count read from the input is
//! checked against the bytes that remain before anything is allocated, and nesting is bounded, so hostile input
//! gives a `Fault`, never a panic or a large allocation.

use crate::Fault;

/// The compact protocol's type codes.
pub(crate) const BOOL_TRUE: u8 = 1;
pub(crate) const BOOL_FALSE: u8 = 2;
pub(crate) const BYTE: u8 = 3;
const I16: u8 = 4;
pub(crate) const I32: u8 = 5;
pub(crate) const I64: u8 = 6;
pub(crate) const DOUBLE: u8 = 7;
pub(crate) const BINARY: u8 = 8;
pub(crate) const LIST: u8 = 9;
pub(crate) const SET: u8 = 10;
pub(crate) const MAP: u8 = 11;
pub(crate) const STRUCT: u8 = 12;

/// How deep structs and containers may nest; Parquet's own structures nest less than 10 deep.
const MAX_DEPTH: u32 = 64;

/// A cursor over compact-protocol bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

/// A list's header: its element type and its length (already checked against the remaining input).
pub(crate) struct ListHeader {
    pub(crate) element: u8,
    pub(crate) len: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0, depth: 0 }
    }

    /// How many bytes have been read.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn fault(&self, what: &str) -> Fault {
        Fault(format!("{what} at byte {}", self.pos))
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Fault> {
        let byte = *self.bytes.get(self.pos).ok_or_else(|| self.fault("truncated Thrift data"))?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Fault> {
        if len > self.remaining() {
            return Err(self.fault(&format!("truncated Thrift data: {len} bytes announced, {} left", self.remaining())));
        }
        let slice = self.bytes.get(self.pos..self.pos + len).ok_or_else(|| self.fault("truncated Thrift data"))?;
        self.pos += len;
        Ok(slice)
    }

    /// An unsigned LEB128 varint of at most 10 bytes.
    fn varint(&mut self) -> Result<u64, Fault> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.fault("varint longer than 10 bytes"))
    }

    fn zigzag(&mut self) -> Result<i64, Fault> {
        let raw = self.varint()?;
        Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
    }

    /// The header of the next field of a struct, or `None` at its end. `last` is the previous field's id, which
    /// the compact protocol encodes ids relative to.
    pub(crate) fn field(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, Fault> {
        let header = self.byte()?;
        let kind = header & 0x0f;
        if kind == 0 {
            return Ok(None);
        }
        let delta = header >> 4;
        let id = if delta == 0 {
            let id = self.zigzag()?;
            i16::try_from(id).map_err(|_| self.fault(&format!("field id {id} out of range")))?
        } else {
            last.checked_add(i16::from(delta)).ok_or_else(|| self.fault("field id out of range"))?
        };
        *last = id;
        Ok(Some((id, kind)))
    }

    fn expect(&self, kind: u8, want: u8, name: &str) -> Result<(), Fault> {
        if kind == want {
            Ok(())
        } else {
            Err(self.fault(&format!("a field of Thrift type {kind} where {name} was expected")))
        }
    }

    /// A boolean field: the compact protocol stores the value in the field's type.
    pub(crate) fn bool(&self, kind: u8) -> Result<bool, Fault> {
        match kind {
            BOOL_TRUE => Ok(true),
            BOOL_FALSE => Ok(false),
            _ => Err(self.fault(&format!("a field of Thrift type {kind} where a bool was expected"))),
        }
    }

    pub(crate) fn i8(&mut self, kind: u8) -> Result<i8, Fault> {
        self.expect(kind, BYTE, "a byte")?;
        Ok(i8::from_le_bytes([self.byte()?]))
    }

    pub(crate) fn i32(&mut self, kind: u8) -> Result<i32, Fault> {
        self.expect(kind, I32, "an i32")?;
        let value = self.zigzag()?;
        i32::try_from(value).map_err(|_| self.fault(&format!("i32 out of range: {value}")))
    }

    pub(crate) fn i64(&mut self, kind: u8) -> Result<i64, Fault> {
        self.expect(kind, I64, "an i64")?;
        self.zigzag()
    }

    pub(crate) fn binary(&mut self, kind: u8) -> Result<&'a [u8], Fault> {
        self.expect(kind, BINARY, "a string")?;
        self.binary_value()
    }

    fn binary_value(&mut self) -> Result<&'a [u8], Fault> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| self.fault("string length out of range"))?;
        self.take(len)
    }

    /// A string field, with invalid UTF-8 replaced (names are for messages and keys, never for decoding).
    pub(crate) fn string(&mut self, kind: u8) -> Result<String, Fault> {
        Ok(String::from_utf8_lossy(self.binary(kind)?).into_owned())
    }

    /// A list field's header. The length is checked against the remaining input: every element takes at least a
    /// byte, so a longer list cannot be there.
    pub(crate) fn list(&mut self, kind: u8) -> Result<ListHeader, Fault> {
        if kind != LIST && kind != SET {
            return Err(self.fault(&format!("a field of Thrift type {kind} where a list was expected")));
        }
        self.list_header()
    }

    fn list_header(&mut self) -> Result<ListHeader, Fault> {
        let header = self.byte()?;
        let element = header & 0x0f;
        let short = usize::from(header >> 4);
        let len = if short == 15 {
            usize::try_from(self.varint()?).map_err(|_| self.fault("list length out of range"))?
        } else {
            short
        };
        if len > self.remaining() {
            return Err(self.fault(&format!("list of {len} elements in {} remaining bytes", self.remaining())));
        }
        Ok(ListHeader { element, len })
    }

    /// Reads a list of structs with `read` (called at the start of each element); the vector's capacity is bounded
    /// by the remaining input.
    pub(crate) fn structs<T>(
        &mut self,
        kind: u8,
        mut read: impl FnMut(&mut Reader<'a>) -> Result<T, Fault>,
    ) -> Result<Vec<T>, Fault> {
        let header = self.list(kind)?;
        self.expect(header.element, STRUCT, "a list of structs")?;
        let mut out = Vec::with_capacity(header.len);
        for _ in 0..header.len {
            out.push(self.nested(|r| read(r))?);
        }
        Ok(out)
    }

    /// A list of strings.
    pub(crate) fn strings(&mut self, kind: u8) -> Result<Vec<String>, Fault> {
        let header = self.list(kind)?;
        self.expect(header.element, BINARY, "a list of strings")?;
        let mut out = Vec::with_capacity(header.len);
        for _ in 0..header.len {
            out.push(String::from_utf8_lossy(self.binary_value()?).into_owned());
        }
        Ok(out)
    }

    /// Runs `read` one nesting level deeper (a struct field's value), refusing to go past `MAX_DEPTH`.
    pub(crate) fn nested<T>(&mut self, read: impl FnOnce(&mut Reader<'a>) -> Result<T, Fault>) -> Result<T, Fault> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fault("Thrift structures nested too deep"));
        }
        self.depth += 1;
        let result = read(self);
        self.depth -= 1;
        result
    }

    /// Checks that a field holds a struct before `read` reads it.
    pub(crate) fn structure<T>(
        &mut self,
        kind: u8,
        read: impl FnOnce(&mut Reader<'a>) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        self.expect(kind, STRUCT, "a struct")?;
        self.nested(read)
    }

    /// Skips a value of type `kind` (a field nobody asked for).
    pub(crate) fn skip(&mut self, kind: u8) -> Result<(), Fault> {
        match kind {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.byte().map(drop),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.take(8).map(drop),
            BINARY => self.binary_value().map(drop),
            LIST | SET => self.nested(|r| {
                let header = r.list_header()?;
                for _ in 0..header.len {
                    r.skip_element(header.element)?;
                }
                Ok(())
            }),
            MAP => self.nested(|r| {
                let len = usize::try_from(r.varint()?).map_err(|_| r.fault("map length out of range"))?;
                if len == 0 {
                    return Ok(());
                }
                if len > r.remaining() {
                    return Err(r.fault(&format!("map of {len} entries in {} remaining bytes", r.remaining())));
                }
                let types = r.byte()?;
                for _ in 0..len {
                    r.skip_element(types >> 4)?;
                    r.skip_element(types & 0x0f)?;
                }
                Ok(())
            }),
            STRUCT => self.nested(|r| {
                let mut last = 0;
                while let Some((_, kind)) = r.field(&mut last)? {
                    r.skip(kind)?;
                }
                Ok(())
            }),
            _ => Err(self.fault(&format!("unknown Thrift type {kind}"))),
        }
    }

    /// Skips a container element: booleans inside containers take a byte.
    fn skip_element(&mut self, kind: u8) -> Result<(), Fault> {
        if kind == BOOL_TRUE || kind == BOOL_FALSE {
            self.byte().map(drop)
        } else {
            self.skip(kind)
        }
    }
}
