//! S3 buckets mapped to local folders (`--bucket NAME=DIR`), so a definition that reads its items from S3 runs over
//! local files without S3: `getObject` reads `DIR/KEY`, `listObjectsV2` lists the files under `DIR/PREFIX`, each
//! answered in the shape S3's would be (`Body` as text, or in base64 for a file that is not UTF-8; `Contents` of
//! `Key`, `ETag`, `Size`, `LastModified`, `StorageClass`; one page), and `putObject` (a Map's ResultWriter) writes
//! `DIR/KEY`, making its folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::TaskError;
use crate::aws::BODY_ENCODING;

/// The folder a bucket is mapped to, if the parameters name a mapped bucket.
pub(crate) fn folder<'a>(buckets: &'a BTreeMap<String, PathBuf>, parameters: &Value) -> Option<&'a Path> {
    let bucket = parameters.get("Bucket")?.as_str()?;
    buckets.get(bucket).map(PathBuf::as_path)
}

/// Answers `action` on the bucket mapped to `dir`, as S3 would. `reader`: the call is the optimized `s3:getObject`
/// of a Map's ItemReader, whose base64 body is marked (`BODY_ENCODING`).
pub(crate) fn answer(dir: &Path, action: &str, parameters: &Value, reader: bool) -> Result<Value, TaskError> {
    match action {
        "getObject" => get(dir, parameters, reader),
        "listObjectsV2" => Ok(list(dir, parameters.get("Prefix").and_then(Value::as_str).unwrap_or(""))),
        "putObject" => put(dir, parameters),
        other => Err(TaskError::new(
            "States.TaskFailed",
            format!("a bucket mapped to the folder {} takes getObject, listObjectsV2 and putObject, not {other}", dir.display()),
        )),
    }
}

fn put(dir: &Path, parameters: &Value) -> Result<Value, TaskError> {
    let key = parameters.get("Key").and_then(Value::as_str).unwrap_or_default();
    let path = inside(dir, key).ok_or_else(|| {
        TaskError::new("S3.S3Exception", format!("The key '{key}' cannot be written inside the folder {}", dir.display()))
    })?;
    let body = match parameters.get("Body") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let failed = |e: std::io::Error| TaskError::new("S3.S3Exception", format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(&path, body).map_err(failed)?;
    Ok(json!({"ETag": "\"\""}))
}

fn get(dir: &Path, parameters: &Value, reader: bool) -> Result<Value, TaskError> {
    let key = parameters.get("Key").and_then(Value::as_str).unwrap_or_default();
    let path = inside(dir, key).ok_or_else(|| no_such_key(key))?;
    let mut file = std::fs::File::open(&path).map_err(|_| no_such_key(key))?;
    let total = file.metadata().map_err(|_| no_such_key(key))?.len();
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    // `Range: bytes=a-b` (the reader reads a large object in parts): that part only, and where it lies in the whole.
    let range = parameters.get("Range").and_then(Value::as_str).and_then(|range| byte_range(range, total));
    let unreadable = |e: std::io::Error| TaskError::new("S3.S3Exception", format!("cannot read {}: {e}", path.display()));
    let mut answer = json!({});
    let bytes = match range {
        Some((start, end)) => {
            use std::io::{Read, Seek, SeekFrom};
            file.seek(SeekFrom::Start(start as u64)).map_err(unreadable)?;
            let mut part = vec![0; end - start + 1];
            file.read_exact(&mut part).map_err(unreadable)?;
            answer["ContentRange"] = json!(format!("bytes {start}-{end}/{total}"));
            part
        }
        None => {
            use std::io::Read;
            let mut whole = Vec::with_capacity(total);
            file.read_to_end(&mut whole).map_err(unreadable)?;
            whole
        }
    };
    answer["ContentLength"] = json!(bytes.len());
    // S3 gives no `Body` for an empty object.
    if !bytes.is_empty() {
        answer["Body"] = match String::from_utf8(bytes) {
            Ok(text) => Value::String(text),
            Err(binary) => {
                if reader {
                    answer[BODY_ENCODING] = json!("base64");
                }
                Value::String(BASE64.encode(binary.as_bytes()))
            }
        };
    }
    Ok(answer)
}

/// The first and last byte `bytes=a-b` (or `bytes=a-`) names in an object of `total` bytes; `None` for a range S3
/// would not answer with a part (then the whole object is given, as S3 does for a range it ignores).
fn byte_range(range: &str, total: usize) -> Option<(usize, usize)> {
    let (start, end) = range.strip_prefix("bytes=")?.split_once('-')?;
    let start: usize = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => total.checked_sub(1)?,
        end => end.parse::<usize>().ok()?.min(total.checked_sub(1)?),
    };
    (start <= end).then_some((start, end))
}

/// `key` as a path inside `dir`; `None` for a key that would leave it.
fn inside(dir: &Path, key: &str) -> Option<PathBuf> {
    let relative = Path::new(key);
    let escapes = relative.components().any(|c| !matches!(c, std::path::Component::Normal(_)));
    (!key.is_empty() && !escapes).then(|| dir.join(relative))
}

fn no_such_key(key: &str) -> TaskError {
    TaskError::new("S3.NoSuchKeyException", format!("The specified key does not exist. (Service: S3, Status Code: 404, Key: {key})"))
}

/// The files under `dir` whose keys (paths relative to `dir`, `/`-separated) start with `prefix`, sorted by key.
fn list(dir: &Path, prefix: &str) -> Value {
    let mut keys = Vec::new();
    walk(dir, dir, &mut keys);
    keys.sort();
    let contents: Vec<Value> = keys
        .into_iter()
        .filter(|(key, _)| key.starts_with(prefix))
        .map(|(key, size)| json!({"Key": key, "ETag": "\"\"", "Size": size, "LastModified": "1970-01-01T00:00:00Z", "StorageClass": "STANDARD"}))
        .collect();
    json!({"Contents": contents, "IsTruncated": false, "KeyCount": contents.len()})
}

fn walk(root: &Path, dir: &Path, keys: &mut Vec<(String, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.metadata() {
            Ok(meta) if meta.is_dir() => walk(root, &path, keys),
            Ok(meta) => {
                if let Ok(relative) = path.strip_prefix(root) {
                    let key = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                    keys.push((key, meta.len()));
                }
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{answer, inside};
    use serde_json::json;
    use std::path::Path;

    #[test]
    fn a_folder_answers_as_a_bucket() {
        let dir = std::env::temp_dir().join(format!("baton-folders-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("in/deep")).expect("a folder");
        std::fs::write(dir.join("in/a.csv"), "id\n1\n").expect("a file");
        std::fs::write(dir.join("in/deep/b.json"), "[]").expect("a file");
        std::fs::write(dir.join("other.txt"), "x").expect("a file");
        std::fs::write(dir.join("in/c.gz"), [0x1f, 0x8b, 0x08, 0x00]).expect("a file");
        let got = answer(&dir, "getObject", &json!({"Bucket": "b", "Key": "in/a.csv"}), true).expect("the object");
        assert_eq!(got, json!({"Body": "id\n1\n", "ContentLength": 5}));
        // Bytes that are not UTF-8 come in base64, marked as such only for the ItemReader's call.
        let got = answer(&dir, "getObject", &json!({"Bucket": "b", "Key": "in/c.gz"}), true).expect("the object");
        assert_eq!(got, json!({"Body": "H4sIAA==", "BatonBodyEncoding": "base64", "ContentLength": 4}));
        let got = answer(&dir, "getObject", &json!({"Bucket": "b", "Key": "in/c.gz"}), false).expect("the object");
        assert_eq!(got, json!({"Body": "H4sIAA==", "ContentLength": 4}));
        let missing = answer(&dir, "getObject", &json!({"Bucket": "b", "Key": "nope"}), true).expect_err("no such key");
        assert_eq!(missing.error, "S3.NoSuchKeyException");
        let listed = answer(&dir, "listObjectsV2", &json!({"Bucket": "b", "Prefix": "in/"}), true).expect("a listing");
        let keys: Vec<&str> = listed["Contents"].as_array().into_iter().flatten().filter_map(|o| o["Key"].as_str()).collect();
        assert_eq!(keys, ["in/a.csv", "in/c.gz", "in/deep/b.json"]);
        assert!(inside(Path::new("/d"), "../etc/passwd").is_none());
        let part = answer(&dir, "getObject", &json!({"Bucket": "b", "Key": "in/a.csv", "Range": "bytes=1-3"}), true).expect("a part");
        assert_eq!(part, json!({"Body": "d\n1", "ContentLength": 3, "ContentRange": "bytes 1-3/5"}));
        let past = answer(&dir, "getObject", &json!({"Bucket": "b", "Key": "in/a.csv", "Range": "bytes=3-99"}), true).expect("the end");
        assert_eq!((past["Body"].as_str(), past["ContentRange"].as_str()), (Some("1\n"), Some("bytes 3-4/5")));
        answer(&dir, "putObject", &json!({"Bucket": "b", "Key": "out/run/manifest.json", "Body": "{}"}), false).expect("written");
        assert_eq!(std::fs::read_to_string(dir.join("out/run/manifest.json")).expect("the file"), "{}");
        let outside = answer(&dir, "putObject", &json!({"Bucket": "b", "Key": "../x", "Body": ""}), false).expect_err("outside");
        assert_eq!(outside.error, "S3.S3Exception");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
