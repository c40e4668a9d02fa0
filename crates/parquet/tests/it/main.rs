//! The crate against files pyarrow wrote (`tests/data`, made by `scripts/parquet-fixtures.py`): each `NAME.parquet`
//! reads as the rows of `NAME.json`, or fails with an error containing `NAME.error`. Then the same files damaged,
//! byte by byte and at random, which must give rows or an error and never a panic.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The fixtures, read once for the property tests.
static FIXTURES: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(fixtures);

/// Every fixture: its name and bytes.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(data())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "parquet"))
        .map(|path| (path.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() > 20, "the fixtures are missing: run scripts/parquet-fixtures.py");
    out
}

#[test]
fn fixtures_read_as_pyarrow_reads_them() {
    let mut failures = Vec::new();
    for (name, bytes) in fixtures() {
        let expected = data().join(format!("{name}.json"));
        let error = data().join(format!("{name}.error"));
        let got = parquet::read(&bytes);
        if expected.exists() {
            let want: Value = serde_json::from_str(&std::fs::read_to_string(&expected).unwrap()).unwrap();
            match got {
                Ok(rows) => {
                    let rows = Value::Array(rows.into_iter().map(Value::Object).collect());
                    if rows != want {
                        failures.push(format!("{name}: {}", first_difference(&rows, &want)));
                    }
                }
                Err(err) => failures.push(format!("{name}: {err}")),
            }
        } else {
            let want = std::fs::read_to_string(&error).unwrap();
            match got {
                Ok(_) => failures.push(format!("{name}: read, but should fail with {want:?}")),
                Err(err) if !err.to_string().contains(want.trim()) => failures.push(format!("{name}: {err} (expected {want:?})")),
                Err(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where two row lists differ first, as a readable line.
fn first_difference(got: &Value, want: &Value) -> String {
    let (Value::Array(got), Value::Array(want)) = (got, want) else { return "not arrays".to_owned() };
    if got.len() != want.len() {
        return format!("{} rows, expected {}", got.len(), want.len());
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g == w {
            continue;
        }
        if let (Value::Object(g), Value::Object(w)) = (g, w) {
            for (key, value) in w {
                if g.get(key) != Some(value) {
                    return format!("row {i}, `{key}`: got {:?}, expected {value}", g.get(key));
                }
            }
            let keys: Vec<_> = g.keys().collect();
            return format!("row {i}: keys {keys:?}");
        }
    }
    "equal".to_owned()
}

#[test]
fn row_groups_one_at_a_time() {
    let bytes = std::fs::read(data().join("row_groups.parquet")).unwrap();
    let groups = parquet::row_groups(&bytes).unwrap();
    assert_eq!(groups.num_rows(), 12);
    let sizes: Vec<usize> = groups.map(|group| group.unwrap().len()).collect();
    assert_eq!(sizes, [5, 5, 2]);
}

#[test]
fn errors_name_the_column_and_row_group() {
    let bytes = std::fs::read(data().join("brotli.parquet")).unwrap();
    let err = parquet::read(&bytes).unwrap_err();
    assert_eq!(err.to_string(), "column `id`, row group 0: unsupported compression BROTLI");
    assert!(matches!(err, parquet::Error::Column { row_group: 0, .. }));
}

#[test]
fn truncated_files_fail_cleanly() {
    for (name, bytes) in fixtures() {
        for len in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
            let cut = &bytes[..len];
            assert!(parquet::read(cut).is_err(), "{name} cut to {len} bytes read");
        }
    }
}

/// Every byte of two small files (flat and nested fields, many small pages) set to values that upset parsers.
#[test]
fn every_byte_damaged_gives_rows_or_an_error() {
    for name in ["damage.parquet", "damage_nested.parquet"] {
        let bytes = std::fs::read(data().join(name)).unwrap();
        for pos in 0..bytes.len() {
            for value in [0x00, 0xff, bytes[pos].wrapping_add(1), bytes[pos] ^ 0x10] {
                let mut damaged = bytes.clone();
                damaged[pos] = value;
                let _ = parquet::read(&damaged);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_damage_gives_rows_or_an_error(
        fixture in any::<prop::sample::Index>(),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let (_, bytes) = fixture.get(&FIXTURES);
        let mut bytes = bytes.clone();
        for (pos, value) in damage {
            let at = pos.index(bytes.len());
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = parquet::read(&bytes);
    }
}

proptest! {
    /// Random footers between the magic numbers: the Thrift reader and the schema walk see arbitrary input.
    #[test]
    fn random_footers_give_errors(footer in prop::collection::vec(any::<u8>(), 0..400), body in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&footer);
        bytes.extend_from_slice(&u32::try_from(footer.len()).unwrap().to_le_bytes());
        bytes.extend_from_slice(b"PAR1");
        let _ = parquet::read(&bytes);
    }
}
