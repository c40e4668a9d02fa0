//! Unit tests of the pieces that fixtures do not reach one by one: Snappy, the hybrid RLE, value formatting, and the
//! footer checks.

use serde_json::json;

use crate::metadata::TimeUnit;
use crate::schema::Kind;
use crate::value::{Raw, json as to_json};
use crate::{Error, encoding, read, snappy};

#[test]
fn snappy_literal_and_overlapping_copy() {
    // 12 bytes: literal "ab", then a copy of 10 bytes from offset 2 ("ababababab").
    let input = [12, 0b0000_0100, b'a', b'b', 0b0010_0110, 2, 0];
    assert_eq!(snappy::decompress(&input, 12).unwrap(), b"abababababab");
}

#[test]
fn snappy_rejects_bad_offsets_and_lengths() {
    assert!(snappy::decompress(&[4, 0b0000_0001, 5], 4).is_err());
    assert!(snappy::decompress(&[5, 0b0000_1100, b'a', b'b', b'c', b'd'], 5).is_err());
    assert!(snappy::decompress(&[3, 0b0000_1000, b'a', b'b', b'c'], 4).is_err());
}

#[test]
fn hybrid_rle_and_bit_packed_runs() {
    let mut out = Vec::new();
    // RLE run of 3 fives (width 3), then a bit-packed group of 8 values 0..8 (width 3: 3 bytes).
    let data = [6, 5, 3, 0b1000_1000, 0b1100_0110, 0b1111_1010];
    let used = encoding::hybrid(&data, 3, 11, &mut out).unwrap();
    assert_eq!(out, [5, 5, 5, 0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(used, data.len());
}

#[test]
fn hybrid_caps_runs_at_the_values_asked_for() {
    let mut out = Vec::new();
    // A run of 2^31 ones from five bytes yields only the 4 values asked for.
    encoding::hybrid(&[0x80, 0x80, 0x80, 0x80, 0x10, 1], 1, 4, &mut out).unwrap();
    assert_eq!(out, [1, 1, 1, 1]);
}

#[test]
fn dates_and_timestamps() {
    let check = |kind, raw, want: serde_json::Value| assert_eq!(to_json(kind, raw).unwrap(), want);
    check(Kind::Date, Raw::Int32(0), json!("1970-01-01"));
    check(Kind::Date, Raw::Int32(19_782), json!("2024-02-29"));
    check(Kind::Date, Raw::Int32(-719_529), json!("-0001-12-31"));
    check(Kind::Date, Raw::Int32(2_932_897), json!("+10000-01-01"));
    let millis = Kind::Timestamp { unit: TimeUnit::Millis, utc: true };
    check(millis, Raw::Int64(-1), json!("1969-12-31T23:59:59.999Z"));
    let local = Kind::Timestamp { unit: TimeUnit::Micros, utc: false };
    check(local, Raw::Int64(1_700_000_000_123_456), json!("2023-11-14T22:13:20.123456"));
    let nanos = Kind::Timestamp { unit: TimeUnit::Nanos, utc: true };
    check(nanos, Raw::Int64(i64::MIN), json!("1677-09-21T00:12:43.145224192Z"));
    // i64::MAX milliseconds is in the year 292 million: no panic, an expanded year.
    assert!(to_json(millis, Raw::Int64(i64::MAX)).unwrap().as_str().unwrap().starts_with("+292278994-"));
    check(Kind::Time(TimeUnit::Millis), Raw::Int32(45_296_789), json!("12:34:56.789"));
}

#[test]
fn int96_timestamps() {
    // Julian day 2440589 (1970-01-02) plus one nanosecond.
    let mut bytes = [0u8; 12];
    bytes[0] = 1;
    bytes[8..].copy_from_slice(&2_440_589i32.to_le_bytes());
    assert_eq!(to_json(Kind::Int96, Raw::Int96(bytes)).unwrap(), json!("1970-01-02T00:00:00.000000001"));
}

#[test]
fn decimals_are_exact_strings() {
    let check = |scale, raw, want: &str| assert_eq!(to_json(Kind::Decimal { scale }, raw).unwrap(), json!(want));
    check(2, Raw::Int32(12_345), "123.45");
    check(2, Raw::Int32(-5), "-0.05");
    check(0, Raw::Int64(-7), "-7");
    check(3, Raw::Bytes(&[0xff, 0x85]), "-0.123");
    check(0, Raw::Bytes(&[0x00; 20]), "0");
    check(0, Raw::Bytes(&[0xff; 20]), "-1");
    // 2^128 and -(2^128), wider than an i128: 17 bytes.
    let mut wide = [0u8; 17];
    wide[0] = 1;
    check(0, Raw::Bytes(&wide), "340282366920938463463374607431768211456");
    check(38, Raw::Bytes(&wide), "3.40282366920938463463374607431768211456");
    let mut negative = [0u8; 18];
    negative[0] = 0xff;
    negative[1] = 0xff;
    check(0, Raw::Bytes(&negative), "-340282366920938463463374607431768211456");
    assert!(to_json(Kind::Decimal { scale: 0 }, Raw::Bytes(&[0x01; 65])).is_err());
}

#[test]
fn floats_and_their_specials() {
    assert_eq!(to_json(Kind::Float, Raw::Float(1.1)).unwrap(), json!(1.1));
    assert_eq!(to_json(Kind::Double, Raw::Double(f64::NAN)).unwrap(), json!("NaN"));
    assert_eq!(to_json(Kind::Float, Raw::Float(f32::NEG_INFINITY)).unwrap(), json!("-Infinity"));
    assert_eq!(to_json(Kind::Float16, Raw::Bytes(&[0x00, 0x3c])).unwrap(), json!(1.0));
    assert_eq!(to_json(Kind::Float16, Raw::Bytes(&[0x00, 0xc1])).unwrap(), json!(-2.5));
}

#[test]
fn unsigned_integers_keep_their_bits() {
    assert_eq!(to_json(Kind::UInt32, Raw::Int32(-1)).unwrap(), json!(4_294_967_295u32));
    assert_eq!(to_json(Kind::UInt64, Raw::Int64(-1)).unwrap(), json!(u64::MAX));
}

#[test]
fn not_parquet() {
    assert!(matches!(read(b""), Err(Error::NotParquet(_))));
    assert!(matches!(read(b"PAR1\0\0\0\0PAR2"), Err(Error::NotParquet(_))));
    assert!(matches!(read(b"PAR1\xff\xff\xff\x7fPAR1"), Err(Error::FooterTooLarge { .. })));
    assert!(matches!(read(b"PAR1\x10\0\0\0PAR1"), Err(Error::Footer(_))));
}

/// The text `scripts/parquet-fixtures.py` compressed into `tests/data/zstd-text-*.zst` (`zstd_text` there).
fn zstd_text(size: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = ["alpha", "beta", "gamma", "delta", "parquet", "row", "group", "page", "zstd", "snappy", "\n", ", "];
    let (mut x, mut out, mut n) = (42u64, Vec::new(), 0);
    while out.len() < size {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        n += 1;
        if n % 97 == 0 {
            out.extend_from_slice(&(x ^ (x >> 29)).to_le_bytes());
        } else {
            out.extend_from_slice(WORDS[((x >> 33) % 12) as usize].as_bytes());
            out.push(b' ');
        }
    }
    out.truncate(size);
    out
}

#[test]
fn zstd_frames_of_three_levels() {
    let text = zstd_text(200_000);
    for (level, frame) in [
        (1, &include_bytes!("../tests/data/zstd-text-1.zst")[..]),
        (3, &include_bytes!("../tests/data/zstd-text-3.zst")[..]),
        (19, &include_bytes!("../tests/data/zstd-text-19.zst")[..]),
    ] {
        let got = crate::zstd::decompress(frame, text.len()).unwrap_or_else(|e| panic!("level {level}: {e}"));
        assert!(got == text, "level {level}: {} bytes differ", got.iter().zip(&text).filter(|(a, b)| a != b).count());
        // One byte short of the announced size is refused rather than written past.
        assert!(crate::zstd::decompress(frame, text.len() - 1).is_err());
    }
}

#[test]
fn damaged_zstd_frames_give_errors_or_bytes() {
    let frame = include_bytes!("../tests/data/zstd-text-19.zst");
    for pos in (0..frame.len()).step_by(131) {
        for value in [0x00, 0xff, frame[pos] ^ 0x04] {
            let mut damaged = frame.to_vec();
            damaged[pos] = value;
            let _ = crate::zstd::decompress(&damaged, 200_000);
        }
        let _ = crate::zstd::decompress(&frame[..pos], 200_000);
    }
}

/// A schema element for the schema tests: a leaf when `physical` is set, else a group of `children`.
fn element(name: &str, repetition: i32, physical: Option<i32>, children: i32, converted: Option<i32>) -> crate::metadata::SchemaElement {
    crate::metadata::SchemaElement {
        physical,
        type_length: None,
        repetition: Some(repetition),
        name: name.to_owned(),
        num_children: (children > 0).then_some(children),
        converted,
        scale: None,
        precision: None,
        logical: None,
    }
}

/// The format's legacy forms, which pyarrow does not write: a two-level LIST (`repeated int32` inside the LIST
/// group) and a bare repeated field, both read as arrays.
#[test]
fn two_level_lists_and_bare_repeated_fields() {
    use crate::column::Levels;
    use crate::schema::Node;
    let schema = [
        element("schema", 0, None, 2, None),
        element("a", 1, None, 1, Some(3)),
        element("a_elem", 2, Some(1), 0, None),
        element("r", 2, Some(2), 0, None),
    ];
    let (fields, leaves) = crate::schema::fields(&schema).unwrap();
    assert!(matches!(fields[0].node, Node::List { def: 1, element_def: 2, rep: 1, .. }));
    assert!(matches!(fields[1].node, Node::List { def: 0, element_def: 1, rep: 1, .. }));
    assert_eq!((leaves[0].max_definition, leaves[0].max_repetition), (2, 1));
    assert_eq!(leaves[0].path, ["a", "a_elem"]);
    assert_eq!((leaves[1].max_definition, leaves[1].max_repetition), (1, 1));

    // Rows [1, 2], null, [] for `a`; [7], [], [8, 9] for `r`.
    let a = Levels { definitions: vec![2, 2, 0, 1], repetitions: vec![0, 1, 0, 0], values: vec![json!(1), json!(2)], entries: 4 };
    assert_eq!(crate::assemble::field(&fields[0], vec![a], 3).unwrap(), [json!([1, 2]), json!(null), json!([])]);
    let r = Levels { definitions: vec![1, 0, 1, 1], repetitions: vec![0, 0, 0, 1], values: vec![json!(7), json!(8), json!(9)], entries: 4 };
    assert_eq!(crate::assemble::field(&fields[1], vec![r], 3).unwrap(), [json!([7]), json!([]), json!([8, 9])]);
}

#[test]
fn levels_that_disagree_are_errors() {
    use crate::column::Levels;
    let schema = [element("schema", 0, None, 1, None), element("r", 2, Some(2), 0, None)];
    let (fields, _) = crate::schema::fields(&schema).unwrap();
    // Two rows announced, the levels start three.
    let r = Levels { definitions: vec![1, 1, 1], repetitions: vec![0, 0, 0], values: vec![json!(1), json!(2), json!(3)], entries: 3 };
    assert!(crate::assemble::field(&fields[0], vec![r], 2).is_err());
    // More values than the levels place.
    let r = Levels { definitions: vec![1, 0], repetitions: vec![0, 0], values: vec![json!(1), json!(2)], entries: 2 };
    assert!(crate::assemble::field(&fields[0], vec![r], 2).is_err());
}

#[test]
fn schemas_that_are_not_trees_are_errors() {
    // The root claims three children, one follows.
    let schema = [element("schema", 0, None, 3, None), element("x", 0, Some(1), 0, None)];
    assert!(matches!(crate::schema::fields(&schema), Err(Error::Footer(_))));
    // A MAP whose entries are not key and value.
    let schema = [
        element("schema", 0, None, 1, None),
        element("m", 1, None, 1, Some(1)),
        element("key_value", 2, None, 1, None),
        element("key", 0, Some(6), 0, None),
    ];
    let err = crate::schema::fields(&schema).unwrap_err();
    assert_eq!(err.to_string(), "column `m`: the MAP `m` is not a repeated group of a key and a value");
}

#[test]
fn row_groups_past_the_limits_are_refused_before_decoding() {
    let bytes = include_bytes!("../tests/data/row_groups.parquet");
    let mut groups = crate::row_groups(bytes).unwrap();
    let mut group = groups.groups.next().unwrap();
    group.num_rows = 1 << 40;
    let err = groups.decode(0, &group).unwrap_err();
    assert!(err.to_string().starts_with("row group 0: 1099511627776 rows of "), "{err}");
    group.num_rows = 5;
    group.total_byte_size = 300 << 20;
    assert!(matches!(groups.decode(0, &group), Err(Error::RowGroup { row_group: 0, .. })));
    group.total_byte_size = 1000;
    assert_eq!(groups.decode(0, &group).unwrap().len(), 5);
}

#[test]
fn bit_packed_levels_of_early_writers() {
    let mut out = Vec::new();
    // Levels 0..8 in 3 bits each, most significant bit first: 000 001 010 011 100 101 110 111.
    let used = crate::column::bit_packed_levels(&[0b0000_0101, 0b0011_1001, 0b0111_0111, 0xaa], 7, 8, &mut out, "definition").unwrap();
    assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(used, 3);
    assert!(crate::column::bit_packed_levels(&[0xff], 1, 9, &mut out, "definition").is_err());
}
