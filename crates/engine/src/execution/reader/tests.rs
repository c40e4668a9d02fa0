//! The reader's formats, manifests and content decoding, on values.

use serde_json::{Value, json};

use super::content::{self, crc32, gunzip};
use super::formats::{Headers, csv_items, csv_rows, json_items, json_lines};
use super::manifest::{self, S3Object};

/// Two gzip members, as `gzip -c inv1.csv` (with the file's name in the header) and `gzip -c` of a pipe write them,
/// concatenated: two rows of an S3 inventory.
const TWO_MEMBERS: [u8; 138] = [
    0x1f, 0x8b, 0x08, 0x08, 0x99, 0xe0, 0x10, 0x6b, 0x00, 0x03, 0x69, 0x6e, 0x76, 0x31, 0x2e, 0x63, 0x73, 0x76, 0x00, 0x53,
    0x2a, 0x2e, 0x4a, 0x56, 0xd2, 0x51, 0x4a, 0xd4, 0x4b, 0x2e, 0x2e, 0x03, 0xd2, 0xc6, 0x40, 0x6c, 0x64, 0x60, 0x64, 0xa4,
    0x6b, 0x68, 0xa8, 0x6b, 0x68, 0x16, 0x62, 0x60, 0x60, 0x65, 0x64, 0x69, 0x65, 0x6c, 0xa4, 0x67, 0x60, 0x60, 0x10, 0xa5,
    0xc4, 0x05, 0x00, 0x47, 0xc6, 0x72, 0x14, 0x2d, 0x00, 0x00, 0x00, 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x53, 0x2a, 0x2e, 0x4a, 0x56, 0xd2, 0x51, 0x4a, 0xd2, 0x4f, 0xd6, 0xcb, 0x2a, 0x48, 0x07, 0xb2, 0x8c, 0xcc, 0x0d,
    0x8c, 0x4d, 0x40, 0xb4, 0x81, 0x91, 0x91, 0xae, 0xa1, 0xa1, 0xae, 0xa1, 0x69, 0x88, 0x91, 0x81, 0x95, 0x81, 0x91, 0x95,
    0xa1, 0x99, 0x9e, 0x81, 0x81, 0x41, 0x94, 0x12, 0x17, 0x00, 0x0c, 0x97, 0x5f, 0x5d, 0x33, 0x00, 0x00, 0x00,
];

const INVENTORY_ROWS: &str = "\"src\",\"a.csv\",\"3\",\"2022-11-16T00:29:32.000Z\"\n\"src\",\"b/c.jpg\",\"27034\",\"2022-11-15T20:02:16.000Z\"\n";

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A gzip member around `data`, compressed here (with every optional header field, to read past them).
fn gzip_member(data: &[u8]) -> Vec<u8> {
    let mut member = vec![0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 255];
    member.extend_from_slice(&[3, 0, b'x', b'y', b'z']);
    member.extend_from_slice(b"name\0comment\0");
    member.extend_from_slice(&[0xaa, 0xbb]);
    member.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    member.extend_from_slice(&crc32(data).to_le_bytes());
    member.extend_from_slice(&u32::try_from(data.len()).expect("a small test file").to_le_bytes());
    member
}

#[test]
fn csv_rows_follow_the_developer_guide() {
    let rows = csv_rows("a,b\r\n1,\"x, \"\"y\"\"\"\n\n2,\"multi\nline\"\n", ',').expect("valid CSV");
    assert_eq!(rows, vec![vec!["a", "b"], vec!["1", "x, \"y\""], vec!["2", "multi\nline"]]);
    assert_eq!(csv_rows("a|b\n1|2", '|').expect("valid"), vec![vec!["a", "b"], vec!["1", "2"]]);
    assert_eq!(csv_rows("a,\n", ',').expect("valid"), vec![vec!["a", ""]]);
    assert_eq!(csv_rows("a,\"\",b,x\"\"y,x\"y\n", ',').expect("valid"), vec![vec!["a", "", "b", "x\"y", "x\"y"]]);
    // Backslashes escape themselves, quotes and the delimiter; one before anything else is dropped.
    assert_eq!(csv_rows("path,size\nC:\\\\Program Files\\\\App.exe,65\n", ',').expect("valid")[1], vec!["C:\\Program Files\\App.exe", "65"]);
    assert_eq!(csv_rows("a\\,b,\\\"q\\\",\\x\n", ',').expect("valid"), vec![vec!["a,b", "\"q\"", "x"]]);
    assert_eq!(csv_rows("\"in \\\" quotes\",2", ',').expect("valid"), vec![vec!["in \" quotes", "2"]]);
    // The guide's own example.
    let example = "abc,123,\"This string contains commas, a double quotation marks (\"\"), and a newline (\n)\",{\"\"MyKey\"\":\"\"MyValue\"\"},\"[1,2,3]\"";
    assert_eq!(
        csv_rows(example, ',').expect("valid"),
        vec![vec!["abc", "123", "This string contains commas, a double quotation marks (\"), and a newline (\n)", "{\"MyKey\":\"MyValue\"}", "[1,2,3]"]]
    );
    assert_eq!(csv_rows("a,b\n1,\"open\nstill\n", ',').expect_err("unclosed"), "line 2: the quoted field that starts there is not closed");
}

#[test]
fn csv_rows_short_and_long_fit_the_header() {
    let items = csv_items("a,b,c\n1\n1,2,3,4\n", Headers::FirstRow, ',').expect("valid").values();
    assert_eq!(items, vec![json!({"a": "1", "b": "", "c": ""}), json!({"a": "1", "b": "2", "c": "3"})]);
    let given = ["x".to_owned(), "y".to_owned()];
    assert_eq!(csv_items("7;8\n", Headers::Given(&given), ';').expect("valid").values(), vec![json!({"x": "7", "y": "8"})]);
    assert_eq!(csv_items("", Headers::FirstRow, ',').expect_err("no header"), "the CSV content has no header row");
    assert_eq!(csv_items("", Headers::Given(&given), ',').expect("no rows").values(), Vec::<Value>::new());
    let wide = format!("{}\n1\n", "h".repeat(10 * 1024 + 1));
    assert!(csv_items(&wide, Headers::FirstRow, ',').expect_err("too wide").contains("more than Step Functions' 10 KB"));
}

#[test]
fn json_and_json_lines() {
    assert_eq!(json_items("[1, {\"a\": 2}]").map(|items| items.values()), Ok(vec![json!(1), json!({"a": 2})]));
    assert!(json_items("{\"a\": 1}").is_err());
    assert_eq!(json_lines("{\"a\":1}\n\n{\"a\":2}\n").map(|items| items.values()), Ok(vec![json!({"a": 1}), json!({"a": 2})]));
    assert!(json_lines("{\"a\":1}\nnope").is_err_and(|e| e.starts_with("line 2")));
}

#[test]
fn gzip_members_are_inflated_and_checked() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(gunzip(&TWO_MEMBERS, usize::MAX).expect("valid gzip"), INVENTORY_ROWS.as_bytes());
    let data = b"id,name\n1,ada\n".repeat(100);
    let member = gzip_member(&data);
    assert_eq!(gunzip(&member, usize::MAX).expect("valid gzip"), data);
    // Trailing bytes that start no member are ignored, as gzip -d does.
    let mut padded = member.clone();
    padded.extend_from_slice(&[0, 0, 0]);
    assert_eq!(gunzip(&padded, usize::MAX).expect("valid gzip"), data);

    let mut damaged = member.clone();
    let crc_at = damaged.len() - 8;
    damaged[crc_at] ^= 1;
    assert_eq!(gunzip(&damaged, usize::MAX).expect_err("bad CRC"), "the gzip data is damaged: its CRC-32 does not match");
    assert_eq!(gunzip(&member[..member.len() - 4], usize::MAX).expect_err("no length"), "the gzip data ends before its trailer");
    assert_eq!(gunzip(&member[..40], usize::MAX).expect_err("cut"), "the gzip data ends early");
    assert!(gunzip(&member, data.len() - 1).expect_err("too large").contains("once decompressed"));
    assert_eq!(gunzip(&[0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 0], usize::MAX).expect_err("not deflate"), "the gzip data uses compression method 9, not deflate (8)");
    assert_eq!(gunzip(&[0x1f, 0x8b, 8], usize::MAX).expect_err("short"), "the gzip data ends inside a header");
}

#[test]
fn an_answer_gives_its_object_bytes() {
    let bytes = |answer: Value| content::bytes(&answer).map(|bytes| bytes.into_owned());
    assert_eq!(bytes(json!({"Body": "a,b\n"})), Ok(b"a,b\n".to_vec()));
    // Base64 only when the answer says so: text that happens to be base64 stays text.
    assert_eq!(bytes(json!({"Body": "H4sI"})), Ok(b"H4sI".to_vec()));
    assert_eq!(bytes(json!({"Body": base64(&TWO_MEMBERS), "BatonBodyEncoding": "base64"})), Ok(INVENTORY_ROWS.as_bytes().to_vec()));
    assert_eq!(bytes(json!({"Body": base64(b"plain"), "BatonBodyEncoding": "base64"})), Ok(b"plain".to_vec()));
    assert_eq!(bytes(json!({"ContentLength": 0})), Ok(Vec::new()));
    assert_eq!(bytes(json!({"Body": [1, 2]})), Ok(b"[1,2]".to_vec()));
    assert!(bytes(json!({"Body": "%%", "BatonBodyEncoding": "base64"})).is_err_and(|e| e.contains("not valid base64")));
    let zstd = base64(&[0x28, 0xb5, 0x2f, 0xfd, 0]);
    assert_eq!(bytes(json!({"Body": zstd, "BatonBodyEncoding": "base64"})), Err("the object is compressed with ZSTD, which Baton does not decompress yet".to_owned()));
    assert_eq!(content::text(b"\xef\xbb\xbfid\n"), Ok("id\n"));
    assert!(content::text(&[0xff]).is_err_and(|e| e.starts_with("the content is not UTF-8 text")));
}

#[test]
fn an_inventory_manifest_lists_its_files_and_columns() {
    let object = |bucket: &str, key: &str| S3Object { bucket: bucket.to_owned(), key: key.to_owned() };
    // The developer guide's example manifest.
    let text = r#"{
        "sourceBucket" : "amzn-s3-demo-source-bucket",
        "destinationBucket" : "arn:aws:s3:::amzn-s3-demo-inventory",
        "version" : "2016-11-30",
        "creationTimestamp" : "1668560400000",
        "fileFormat" : "CSV",
        "fileSchema" : "Bucket, Key, Size, LastModifiedDate",
        "files" : [ {
            "key" : "amzn-s3-demo-bucket/destination-prefix/data/20e55de8-9c21-45d4-99b9-46c732000228.csv.gz",
            "size" : 7300,
            "MD5checksum" : "a7ff4a1d4164c3cd55851055ec8f6b20"
        } ]
    }"#;
    let (files, columns) = manifest::inventory(text, "manifests").expect("a manifest");
    assert_eq!(files, [object("amzn-s3-demo-inventory", "amzn-s3-demo-bucket/destination-prefix/data/20e55de8-9c21-45d4-99b9-46c732000228.csv.gz")]);
    assert_eq!(columns, ["Bucket", "Key", "Size", "LastModifiedDate"]);
    let items = csv_items(INVENTORY_ROWS, Headers::Given(&columns), ',').expect("rows").values();
    assert_eq!(items[1], json!({"Bucket": "src", "Key": "b/c.jpg", "Size": "27034", "LastModifiedDate": "2022-11-15T20:02:16.000Z"}));

    let (files, _) = manifest::inventory(r#"{"fileSchema": "Bucket, Key", "files": [{"key": "d/1.csv.gz"}, {"key": "d/2.csv.gz"}]}"#, "own")
        .expect("a manifest without destinationBucket or fileFormat");
    assert_eq!(files, [object("own", "d/1.csv.gz"), object("own", "d/2.csv.gz")]);
    let error = |text: &str| manifest::inventory(text, "b").expect_err("not readable");
    assert_eq!(error("[]"), "the S3 inventory manifest is not a JSON object");
    assert!(error("{").starts_with("the S3 inventory manifest is not valid JSON: "));
    assert_eq!(
        error(r#"{"fileFormat": "ORC", "fileSchema": "a", "files": []}"#),
        "the S3 inventory's fileFormat is \"ORC\"; Step Functions reads CSV inventories only"
    );
    assert_eq!(error(r#"{"files": []}"#), "the S3 inventory manifest has no fileSchema string naming the columns");
    assert_eq!(error(r#"{"fileSchema": "a"}"#), "the S3 inventory manifest has no files array");
    assert_eq!(error(r#"{"fileSchema": "a", "files": [{"key": "k"}, {"size": 1}]}"#), "files[1] of the S3 inventory manifest has no key");
}

#[test]
fn an_athena_manifest_lists_s3_uris() {
    let object = |bucket: &str, key: &str| S3Object { bucket: bucket.to_owned(), key: key.to_owned() };
    let files = manifest::athena("s3://results/unload/20240101_1\n\nS3://results/unload/20240101_2.gz\r\n\"s3://other/k\"\n").expect("a manifest");
    assert_eq!(files, [object("results", "unload/20240101_1"), object("results", "unload/20240101_2.gz"), object("other", "k")]);
    assert_eq!(manifest::athena("").expect("empty"), []);
    assert_eq!(
        manifest::athena("s3://results/a\nhttps://results/b\n").expect_err("not S3"),
        "line 2 of the Athena manifest is not the S3 URI of a file: https://results/b"
    );
    assert!(manifest::athena("s3://bucket-only/\n").is_err());
    assert_eq!(object("b", "k/x.csv").uri(), "s3://b/k/x.csv");
    assert_eq!(object("b", "k").parameters(Some(&json!("111122223333"))), json!({"Bucket": "b", "Key": "k", "ExpectedBucketOwner": "111122223333"}));
    assert_eq!(object("b", "k").parameters(None), json!({"Bucket": "b", "Key": "k"}));
}
