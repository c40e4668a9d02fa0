//! The items of one file, per `ReaderConfig.InputType`: a JSON array, JSON Lines, or delimited text (CSV) read by
//! the rules the developer guide gives (example-csv-parse-dist-map). Parquet is a hook for the `parquet` crate.
//! Errors are the problem alone, naming the line where there is one; the reader adds the file's S3 URI.

use serde_json::Value;

use crate::execution::items::Packed;

/// Step Functions' limit on a CSV header row (the developer guide: "CSV headers with up to 10 KB").
const MAX_HEADER_BYTES: usize = 10 * 1024;

/// Where a CSV file's field names come from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Headers<'a> {
    /// The file's first row (`CSVHeaderLocation: FIRST_ROW`).
    FirstRow,
    /// Given: `CSVHeaders`, or an S3 inventory's `fileSchema`.
    Given(&'a [String]),
}

/// A JSON file: it must hold an array, whose elements are the items.
pub(super) fn json_items(text: &str) -> Result<Packed, String> {
    match serde_json::from_str(text) {
        Ok(Value::Array(values)) => {
            let mut items = Packed::default();
            for value in &values {
                items.push(value);
            }
            Ok(items)
        }
        Ok(_) => Err("the JSON content is not an array".to_owned()),
        Err(error) => Err(format!("the content is not valid JSON: {error}")),
    }
}

/// JSON Lines: one item per non-empty line.
pub(super) fn json_lines(text: &str) -> Result<Packed, String> {
    let mut items = Packed::default();
    json_lines_part(text, Part { last: true, first_line: 1 }, &mut items)?;
    Ok(items)
}

/// Delimited text: each row an object of its header's fields, the values strings. A row with fewer fields than the
/// header gets empty strings for the rest, and the fields past the header's are skipped (the developer guide).
pub(super) fn csv_items(text: &str, headers: Headers<'_>, delimiter: char) -> Result<Packed, String> {
    let mut items = Packed::default();
    let mut names = match headers {
        Headers::Given(headers) => Some(headers.to_vec()),
        Headers::FirstRow => None,
    };
    csv_part(text, &mut names, delimiter, Part { last: true, first_line: 1 }, &mut items)?;
    Ok(items)
}

/// Parquet: the rows of the file's row groups as objects (the `parquet` crate: its own ZSTD and Snappy, GZIP
/// through miniz_oxide; the developer guide's limits of 256 MB a row group and 5 MB of footer), one row group at a
/// time, each row packed before the next group is decoded.
pub(super) fn parquet_items(bytes: &[u8]) -> Result<Packed, String> {
    let mut items = Packed::default();
    for group in parquet::row_groups(bytes).map_err(|e| e.to_string())? {
        for row in group.map_err(|e| e.to_string())? {
            items.push(&Value::Object(row));
        }
    }
    Ok(items)
}

/// Every row of delimited text (tests).
#[cfg(test)]
pub(super) fn csv_rows(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    rows_of(text, delimiter, Part { last: true, first_line: 1 }, |row| {
        rows.push(std::mem::take(row));
        Ok(())
    })?;
    Ok(rows)
}

/// Which part of a file a text is: `last` when nothing follows it, and the line it starts at.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    pub(super) last: bool,
    pub(super) first_line: usize,
}

/// Calls `each` with every row of delimited text in turn, by the developer guide's rules: fields are split by
/// `delimiter` and rows by line breaks; a field in double quotes may hold the delimiter and line breaks; `""` is a
/// quote, in quotes or not (but a field that starts with it is empty and quoted); a backslash escapes the next
/// character (`\\`, `\"`, `\,`), and one before any other character is dropped. Empty lines are skipped. What `each`
/// leaves in the row is cleared before the next; the first error, `each`'s or the text's, ends the reading.
///
/// `text` is `part` of a file: a part that is not the last stops before the row it ends in, which may go on in the
/// next part (even inside quotes). Returns how many bytes of `text` its rows took, the rest to be read again with
/// what follows.
fn rows_of(text: &str, delimiter: char, part: Part, mut each: impl FnMut(&mut Vec<String>) -> Result<(), String>) -> Result<usize, String> {
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut started, mut chars) = (None, false, text.char_indices().peekable());
    let (mut line, mut consumed) = (part.first_line, 0);
    while let Some((at, c)) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if c == '\\' {
            if let Some((_, next)) = chars.next() {
                if next == '\n' {
                    line += 1;
                }
                field.push(next);
            }
            started = true;
            continue;
        }
        if quoted.is_some() {
            match c {
                '"' if chars.peek().map(|&(_, c)| c) == Some('"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = None,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = Some(line);
                started = true;
            }
            // The guide's example reads `{""MyKey"":""MyValue""}`, unquoted, as `{"MyKey":"MyValue"}`.
            '"' if chars.peek().map(|&(_, c)| c) == Some('"') => {
                chars.next();
                field.push('"');
            }
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' if chars.peek().map(|&(_, c)| c) == Some('\n') => {}
            '\n' => {
                if started || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    each(&mut row)?;
                    row.clear();
                }
                started = false;
                consumed = at + 1;
            }
            other => {
                field.push(other);
                started = true;
            }
        }
    }
    if !part.last {
        return Ok(consumed);
    }
    if let Some(opened) = quoted {
        return Err(format!("line {opened}: the quoted field that starts there is not closed"));
    }
    if started || !field.is_empty() {
        row.push(field);
        each(&mut row)?;
    }
    Ok(text.len())
}

/// The items of a part of a CSV file (see `rows_of`) added to `items`: `headers` are the given ones, or the file's
/// first row once read (`None` until then). Returns how many bytes of `text` were read.
pub(super) fn csv_part(
    text: &str,
    headers: &mut Option<Vec<String>>,
    delimiter: char,
    part: Part,
    items: &mut Packed,
) -> Result<usize, String> {
    let consumed = rows_of(text, delimiter, part, |row| {
        let Some(names) = headers.as_ref() else {
            let bytes = row.iter().map(String::len).sum::<usize>() + row.len().saturating_sub(1);
            if bytes > MAX_HEADER_BYTES {
                return Err(format!("the CSV header row has {bytes} bytes, more than Step Functions' 10 KB"));
            }
            *headers = Some(std::mem::take(row));
            return Ok(());
        };
        let fields = row.iter().map(String::as_str).chain(std::iter::repeat(""));
        items.push_strings(names.iter().map(String::as_str).zip(fields));
        Ok(())
    })?;
    if part.last && headers.is_none() {
        return Err("the CSV content has no header row".to_owned());
    }
    Ok(consumed)
}

/// The items of a part of a JSON Lines file added to `items`: its complete lines (all of them in the last part).
/// Returns how many bytes of `text` were read.
pub(super) fn json_lines_part(text: &str, part: Part, items: &mut Packed) -> Result<usize, String> {
    let consumed = if part.last { text.len() } else { text.rfind('\n').map_or(0, |at| at + 1) };
    let complete = text.get(..consumed).unwrap_or_default();
    for (n, line) in complete.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let value: Value =
            serde_json::from_str(line).map_err(|error| format!("line {} is not valid JSON: {error}", part.first_line + n))?;
        items.push(&value);
    }
    Ok(consumed)
}
