#!/usr/bin/env python3
"""Writes the Parquet fixtures of crates/parquet/tests/data/ with pyarrow, and next to each NAME.parquet the rows
the `parquet` crate must read from it (NAME.json), or the error it must give (NAME.error: a part of its message).

The expected rows are computed here from what pyarrow reads back, by the crate's documented mapping (lib.rs): an
independent statement of the same rules, so a test compares two implementations. Run it again only to change the
fixtures (`pip install pyarrow`; pyarrow 26.0.1 wrote the committed files); the tests need only the committed files.

    python3 scripts/parquet-fixtures.py
"""

import base64
import datetime
import decimal
import json
import math
import pathlib
import struct
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates" / "parquet" / "tests" / "data"

UTC = "UTC"


def base_table():
    """Every supported type, with nulls, extremes and a few repeated values (so dictionaries have work to do)."""
    n = 12
    names = ["ada", "grace", "ada", None, "édith ✓", "", "linus", "ada", "grace", None, "ken", "ada"]
    columns = {
        "id": pa.array(range(n), pa.int64()),
        "flag": pa.array([True, False, None, True, True, False, None, False, True, True, False, True]),
        "required_flag": pa.array([i % 3 == 0 for i in range(n)]),
        "i8": pa.array([-128, 127, None, 0, 1, -1, 5, 5, 5, None, 7, 8], pa.int8()),
        "i16": pa.array([-32768, 32767, None, 0, 1, -1, 5, 5, 5, None, 7, 8], pa.int16()),
        "i32": pa.array([-(2**31), 2**31 - 1, None, 0, 1, -1, 5, 5, 5, None, 7, 8], pa.int32()),
        "i64": pa.array([-(2**63), 2**63 - 1, None, 0, 1, -1, 5, 5, 5, None, 7, 8], pa.int64()),
        "u8": pa.array([0, 255, None, 1, 2, 3, 4, 4, 4, None, 5, 6], pa.uint8()),
        "u16": pa.array([0, 65535, None, 1, 2, 3, 4, 4, 4, None, 5, 6], pa.uint16()),
        "u32": pa.array([0, 2**32 - 1, None, 1, 2, 3, 4, 4, 4, None, 5, 6], pa.uint32()),
        "u64": pa.array([0, 2**64 - 1, None, 1, 2, 3, 4, 4, 4, None, 5, 6], pa.uint64()),
        "f32": pa.array([1.1, -0.0, None, float("nan"), float("inf"), -3.25, 1e-30, 1.1, 1.1, None, 2.5, 3e38], pa.float32()),
        "f64": pa.array([1.1, -0.0, None, float("nan"), float("-inf"), -3.25, 1e-300, 1.1, 1.1, None, 2.5, 1.7976931348623157e308], pa.float64()),
        "name": pa.array(names, pa.string()),
        "blob": pa.array([b"\x00\x01", b"", None, b"\xff" * 5, b"ada", b"ada", b"x", b"ada", None, b"y", b"z", b"ada"], pa.binary()),
        "fixed": pa.array([b"abc", b"\x00\x00\x00", None, b"abc", b"xyz", b"abc", b"abc", None, b"123", b"abc", b"\xff\xfe\xfd", b"abc"], pa.binary(3)),
        "day": pa.array([0, -1, None, 19782, -719162, 2932896, 1, 1, 1, None, 20000, 365], pa.date32()),
        "t_ms": pa.array([0, 45296789, None, 86399999, 1, 1, 1, 2, 3, None, 4, 5], pa.time32("ms")),
        "t_us": pa.array([0, 45296789012, None, 86399999999, 1, 1, 1, 2, 3, None, 4, 5], pa.time64("us")),
        "t_ns": pa.array([0, 45296789012345, None, 86399999999999, 1, 1, 1, 2, 3, None, 4, 5], pa.time64("ns")),
        "ts_ms_utc": pa.array([0, -1, None, 1700000000123, 253402300799999, -62135596800000, 1, 1, 1, None, 2, 3], pa.timestamp("ms", tz=UTC)),
        "ts_us_utc": pa.array([0, -1, None, 1700000000123456, 1, 2, 3, 3, 3, None, 4, 5], pa.timestamp("us", tz=UTC)),
        "ts_ns_utc": pa.array([0, -1, None, 1700000000123456789, -(2**63) + 1, 2**63 - 1, 3, 3, 3, None, 4, 5], pa.timestamp("ns", tz=UTC)),
        "ts_ms_local": pa.array([0, -1, None, 1700000000123, 1, 2, 3, 3, 3, None, 4, 5], pa.timestamp("ms")),
        "ts_us_local": pa.array([0, -1, None, 1700000000123456, 1, 2, 3, 3, 3, None, 4, 5], pa.timestamp("us")),
        "dec_9_2": pa.array([decimal.Decimal(x) if x is not None else None for x in
                             ["123.45", "-0.05", None, "9999999.99", "-9999999.99", "0.00", "1.10", "1.10", "1.10", None, "2.00", "3.33"]],
                            pa.decimal128(9, 2)),
        "dec_18_4": pa.array([decimal.Decimal(x) if x is not None else None for x in
                              ["12345678901234.5678", "-0.0001", None, "0.0000", "1", "-1", "5.5", "5.5", "5.5", None, "7", "8"]],
                             pa.decimal128(18, 4)),
        "dec_38_10": pa.array([decimal.Decimal(x) if x is not None else None for x in
                               ["9999999999999999999999999999.9999999999", "-0.0000000001", None, "0", "1", "-1", "5", "5", "5", None, "7", "8"]],
                              pa.decimal128(38, 10)),
        "dec_76_38": pa.array([decimal.Decimal(x) if x is not None else None for x in
                               ["9" * 38 + "." + "9" * 38, "-" + "1" * 38 + "." + "2" * 38, None, "0", "1", "-1", "5", "5", "5", None,
                                "-0." + "0" * 37 + "1", "12345678901234567890.5"]],
                              pa.decimal256(76, 38)),
        "id_uuid": pa.array([uuid.UUID(int=i * 0x0123456789ABCDEF0123456789ABCDEF % 2**128).bytes if i != 2 else None for i in range(n)],
                            pa.uuid()),
        "doc": pa.array(['{"a":1}', "[]", None, '"x"', "null", "1", "{}", "{}", "{}", None, "true", "2"], pa.json_()),
        "nothing": pa.nulls(n),
        "ints": pa.array([[1, 2, 3], [], None, [None], [4, None, 5], [6], [7, 7], [], None, [8], [9, 10], [11]], pa.list_(pa.int32())),
        "words": pa.array([["a"], ["b", "c"], [], None, ["d", None], ["ada"], ["ada", "ada"], [""], None, ["e"], [], ["f"]], pa.list_(pa.string())),
        "required_ints": pa.array([[i, i + 1] for i in range(n)], pa.list_(pa.field("element", pa.int64(), nullable=False))),
    }
    schema = pa.schema([pa.field(name, array.type, nullable=name not in ("required_flag", "required_ints")) for name, array in columns.items()])
    return pa.table(list(columns.values()), schema=schema)


def nested_table():
    point = pa.struct([("x", pa.int32()), pa.field("y", pa.float64())])
    person = pa.struct([("name", pa.string()), ("age", pa.int32())])
    deep = pa.struct([("a", pa.struct([("b", pa.string())])), ("c", pa.list_(pa.int64()))])
    return pa.table({
        "id": pa.array(range(7), pa.int64()),
        "point": pa.array([{"x": 1, "y": 2.5}, None, {"x": None, "y": None}, {"x": -1, "y": 0.0}, {"x": 3, "y": None},
                           None, {"x": 7, "y": 7.5}], point),
        "deep": pa.array([{"a": {"b": "x"}, "c": [1, 2]}, {"a": None, "c": None}, None, {"a": {"b": None}, "c": []},
                          {"a": {"b": "y"}, "c": [None, 3]}, {"a": {"b": "z"}, "c": [4]}, None], deep),
        "m": pa.array([[("a", 1), ("b", None)], [], None, [("k", 3)], [("x", 4), ("y", 5), ("z", 6)], None, [("a", 7)]],
                      pa.map_(pa.string(), pa.int32())),
        "m_int": pa.array([[(1, "one")], None, [], [(2, "two"), (3, None)], [(4, "four")], [], None],
                          pa.map_(pa.int32(), pa.string())),
        "ll": pa.array([[[1], [2, 3]], [], None, [None, []], [[None, 4]], [[5], [6], [7]], [[]]],
                       pa.list_(pa.list_(pa.int32()))),
        "people": pa.array([[{"name": "ada", "age": 36}], [], None, [None, {"name": None, "age": 50}],
                            [{"name": "grace", "age": None}, {"name": "linus", "age": 21}], [None], [{"name": "ken", "age": 1}]],
                           pa.list_(person)),
        "lm": pa.array([[[("a", 1)]], None, [], [None, []], [[("b", 2), ("c", 3)], [("d", None)]], [None], [[]]],
                       pa.list_(pa.map_(pa.string(), pa.int32()))),
        "tags": pa.array([["x"], ["y", None], None, [], ["z"], ["x", "x"], ["w"]], pa.list_(pa.string())),
    })


# --- The crate's mapping, restated ------------------------------------------------------------------------------


def shortest_f32(value):
    """The fewest significant digits that read back as the same float32; a tie between two such decimals goes
    away from zero (522793.125 is 522793.13), as Rust's shortest formatting does."""
    exact = decimal.Decimal(value)
    for digits in range(1, 18):
        if exact == 0:
            return value
        exponent = exact.adjusted() - digits + 1
        text = exact.quantize(decimal.Decimal(1).scaleb(exponent), rounding=decimal.ROUND_HALF_UP)
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == value:
            return float(text)
    return value


def special(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return None


def civil(days):
    """The proleptic Gregorian date of a day count from 1970-01-01, as YYYY-MM-DD (a sign outside 0000-9999)."""
    # Python's date covers years 1-9999; outside it, shift by 400-year eras (146097 days each).
    era = 0
    while days < -719162:
        days += 146097
        era -= 1
    while days > 2932896:
        days -= 146097
        era += 1
    date = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
    year = date.year + 400 * era
    if 0 <= year <= 9999:
        text = "%04d" % year
    elif year > 9999:
        text = "+%d" % year
    else:
        text = "-%04d" % -year
    return "%s-%02d-%02d" % (text, date.month, date.day)


def instant(value, per_second, digits, utc):
    seconds, fraction = divmod(value, per_second)
    days, of_day = divmod(seconds, 86400)
    hour, rest = divmod(of_day, 3600)
    minute, second = divmod(rest, 60)
    return "%sT%02d:%02d:%02d.%0*d%s" % (civil(days), hour, minute, second, digits, fraction, "Z" if utc else "")


UNITS = {"s": (1, 0), "ms": (1000, 3), "us": (1000000, 6), "ns": (1000000000, 9)}


def column_json(array):
    """The JSON values of one column (a ChunkedArray) as the crate maps them."""
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    kind = array.type
    if isinstance(kind, pa.BaseExtensionType):
        storage = array.storage
        if kind.extension_name == "arrow.uuid":
            return [None if b is None else str(uuid.UUID(bytes=b)) for b in storage.to_pylist()]
        if kind.extension_name == "arrow.json":
            return storage.to_pylist()
        raise ValueError(kind)
    if pa.types.is_map(kind):
        keys, items = column_json(array.keys), column_json(array.items)
        out, offsets = [], array.offsets.to_pylist()
        for i, valid in enumerate(array.is_valid().to_pylist()):
            entries = range(offsets[i], offsets[i + 1])
            key = lambda k: k if isinstance(k, str) else json.dumps(k)
            out.append({key(keys[j]): items[j] for j in entries} if valid else None)
        return out
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        flat = column_json(array.values)
        out, offsets = [], array.offsets.to_pylist()
        for i, valid in enumerate(array.is_valid().to_pylist()):
            out.append(flat[offsets[i]:offsets[i + 1]] if valid else None)
        return out
    if pa.types.is_struct(kind):
        names = [kind.field(i).name for i in range(kind.num_fields)]
        children = [column_json(child) for child in array.flatten()]
        return [{name: child[i] for name, child in zip(names, children)} if valid else None
                for i, valid in enumerate(array.is_valid().to_pylist())]
    if pa.types.is_timestamp(kind):
        per_second, digits = UNITS[kind.unit]
        return [None if v is None else instant(v, per_second, digits, kind.tz is not None)
                for v in array.cast(pa.int64()).to_pylist()]
    if pa.types.is_time(kind):
        per_second, digits = UNITS[kind.unit]
        out = []
        width = pa.int32() if kind.bit_width == 32 else pa.int64()
        for v in array.cast(width).to_pylist():
            if v is None:
                out.append(None)
                continue
            seconds, fraction = divmod(v, per_second)
            out.append("%02d:%02d:%02d.%0*d" % (seconds // 3600, seconds % 3600 // 60, seconds % 60, digits, fraction))
        return out
    if pa.types.is_date32(kind):
        return [None if v is None else civil(v) for v in array.cast(pa.int32()).to_pylist()]
    if pa.types.is_decimal(kind):
        return [None if v is None else format(v, "f") for v in array.to_pylist()]
    if pa.types.is_float32(kind):
        return [None if v is None else (special(v) or shortest_f32(v)) for v in array.to_pylist()]
    if pa.types.is_float64(kind):
        return [None if v is None else (special(v) if special(v) is not None else v) for v in array.to_pylist()]
    if pa.types.is_binary(kind) or pa.types.is_fixed_size_binary(kind) or pa.types.is_large_binary(kind):
        return [None if v is None else base64.b64encode(v).decode() for v in array.to_pylist()]
    if pa.types.is_dictionary(kind):
        return column_json(array.dictionary_decode())
    if pa.types.is_null(kind) or pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_string(kind) \
            or pa.types.is_large_string(kind):
        return array.to_pylist()
    raise ValueError("no mapping for %s" % kind)


def expected_rows(path):
    table = pq.read_table(path)
    columns = {name: column_json(table.column(name)) for name in table.column_names}
    return [{name: columns[name][i] for name in table.column_names} for i in range(table.num_rows)]


# --- The fixtures -----------------------------------------------------------------------------------------------


def write(name, table, **options):
    path = OUT / (name + ".parquet")
    options.setdefault("version", "2.6")
    pq.write_table(table, path, **options)
    rows = expected_rows(path)
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    (OUT / (name + ".json")).write_text("[\n" + lines + "\n]\n" if rows else "[]\n")


def write_error(name, table, message, **options):
    pq.write_table(table, OUT / (name + ".parquet"), **options)
    (OUT / (name + ".error")).write_text(message + "\n")


WORDS = ["alpha", "beta", "gamma", "delta", "parquet", "row", "group", "page", "zstd", "snappy", "\n", ", "]


def zstd_text(size):
    """Deterministic text with the same generator as the crate's zstd unit test: words picked by a 64-bit LCG, and
    every 97th word replaced by 8 pseudo-random bytes (so some blocks hold incompressible runs)."""
    x, out, n = 42, bytearray(), 0
    while len(out) < size:
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        n += 1
        if n % 97 == 0:
            out += (x ^ (x >> 29)).to_bytes(8, "little")
        else:
            out += WORDS[(x >> 33) % len(WORDS)].encode() + b" "
    return bytes(out[:size])


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # ZSTD frames of one text at three levels (multi-block, Huffman and FSE tables, repeat modes), for the unit test.
    for level in [1, 3, 19]:
        codec = pa.Codec("zstd", compression_level=level)
        (OUT / ("zstd-text-%d.zst" % level)).write_bytes(codec.compress(zstd_text(200000), asbytes=True))
    table = base_table()
    for codec in ["none", "snappy", "gzip", "zstd"]:
        for dictionary in [True, False]:
            for page_version in ["1.0", "2.0"]:
                name = "types_%s_%s_v%s" % (codec, "dict" if dictionary else "plain", page_version[0])
                write(name, table, compression=codec, use_dictionary=dictionary, data_page_version=page_version)

    # Several row groups, and several small pages per column chunk (dictionary, then plain pages).
    write("row_groups", table, row_group_size=5, compression="snappy")
    write("small_pages", table, data_page_size=64, write_batch_size=2, max_rows_per_page=3, compression="none",
          dictionary_pagesize_limit=64)
    write("small_pages_v2", table, data_page_size=64, write_batch_size=2, max_rows_per_page=3, compression="snappy",
          data_page_version="2.0", dictionary_pagesize_limit=64)

    # A small file of many small pages, for the test that damages every byte.
    write("damage", table.select(["id", "flag", "name", "day", "dec_9_2", "ints"]), data_page_size=64, write_batch_size=2,
          max_rows_per_page=3, compression="snappy", data_page_version="2.0", dictionary_pagesize_limit=64,
          store_schema=False)

    # The other encodings, where pyarrow writes them (no dictionary).
    delta = pa.table({
        "i32": pa.array([5, -3, None, 2**31 - 1, -(2**31), 0] * 40, pa.int32()),
        "i64": pa.array([5, -3, None, 2**63 - 1, -(2**63), 0] * 40, pa.int64()),
        # Equal deltas pack in zero bits: many values in few bytes (DuckDB writes ids like this).
        "seq": pa.array(range(1000, 1240), pa.int64()),
        "s_len": pa.array(["ada", "", None, "grace hopper", "é", "x" * 40] * 40),
        "s_prefix": pa.array(["apple", "applesauce", None, "apply", "banana", "band"] * 40),
        "fixed_prefix": pa.array([b"abcd", b"abce", None, b"abzz", b"bbbb", b"bbbc"] * 40, pa.binary(4)),
        "f32": pa.array([1.5, -2.25, None, float("inf"), 0.1, 3.0] * 40, pa.float32()),
        "f64": pa.array([1.5, -2.25, None, float("nan"), 0.1, 3.0] * 40, pa.float64()),
        "i32_split": pa.array([1, -1, None, 2**31 - 1, 7, 0] * 40, pa.int32()),
        "flag": pa.array([True, False, None, True, True, False] * 40),
        "dec": pa.array([decimal.Decimal("1.25"), decimal.Decimal("-3.50"), None, decimal.Decimal("0.01"),
                         decimal.Decimal("9.99"), decimal.Decimal("0.00")] * 40, pa.decimal128(12, 2)),
    })
    encodings = {
        "i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "seq": "DELTA_BINARY_PACKED",
        "s_len": "DELTA_LENGTH_BYTE_ARRAY",
        "s_prefix": "DELTA_BYTE_ARRAY", "fixed_prefix": "DELTA_BYTE_ARRAY", "f32": "BYTE_STREAM_SPLIT",
        "f64": "BYTE_STREAM_SPLIT", "i32_split": "BYTE_STREAM_SPLIT", "flag": "RLE", "dec": "BYTE_STREAM_SPLIT",
    }
    for page_version in ["1.0", "2.0"]:
        write("encodings_v%s" % page_version[0], delta, use_dictionary=False, column_encoding=encodings,
              data_page_version=page_version, compression="snappy")

    # Decimals stored as INT32 and INT64, INT96 timestamps, and an empty file.
    decimals = table.select(["dec_9_2", "dec_18_4", "dec_38_10"])
    write("decimal_integers", decimals, store_decimal_as_integer=True)
    int96 = pa.table({"ts": pa.array([0, -1, None, 1700000000123456789, 1], pa.timestamp("ns"))})
    write("int96", int96, use_deprecated_int96_timestamps=True, version="2.4")
    write("empty", table.slice(0, 0))

    # Legacy two-level lists (repeated primitive inside a LIST group).
    write("lists_legacy", table.select(["id", "ints", "words"]), use_compliant_nested_type=False)

    # Nested fields: structs, maps, nested lists, lists of structs and of maps, in both list layouts and page
    # versions, with nulls at every level.
    nested = nested_table()
    write("nested_v1", nested, compression="snappy")
    write("nested_v2_plain", nested, compression="zstd", use_dictionary=False, data_page_version="2.0")
    write("nested_legacy", nested, compression="gzip", use_compliant_nested_type=False)
    write("damage_nested", nested, data_page_size=64, write_batch_size=2, max_rows_per_page=2, compression="snappy",
          data_page_version="2.0", dictionary_pagesize_limit=64, store_schema=False)
    write("nested_small_pages", nested, data_page_size=64, write_batch_size=2, max_rows_per_page=2,
          dictionary_pagesize_limit=64, row_group_size=4)

    # What the crate refuses, with the column named.
    write_error("brotli", table.select(["id", "name"]), "column `id`, row group 0: unsupported compression BROTLI",
                compression="brotli")
    write_error("lz4", table.select(["id", "name"]), "column `id`, row group 0: unsupported compression LZ4_RAW",
                compression="lz4")


if __name__ == "__main__":
    main()
