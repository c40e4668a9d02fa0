//! Manifests: the files an `ItemReader` reads one after the other. An S3 Inventory report's `manifest.json` lists
//! its CSV files (`files[].key`, in `destinationBucket`) and names their columns (`fileSchema`); an Athena `UNLOAD`
//! manifest has one S3 URI a line. Errors are the problem alone; the reader adds the manifest's S3 URI.

use serde_json::{Map as Object, Value, json};

/// An object in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct S3Object {
    pub(super) bucket: String,
    pub(super) key: String,
}

impl S3Object {
    /// The object a `getObject` call's parameters name (empty where they name none).
    pub(super) fn named(parameters: &Value) -> S3Object {
        let field = |name: &str| parameters.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        S3Object { bucket: field("Bucket"), key: field("Key") }
    }

    /// `s3://bucket/key`.
    pub(super) fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// The parameters of the `getObject` call that reads it, with `ExpectedBucketOwner` if the reader's have one.
    pub(super) fn parameters(&self, owner: Option<&Value>) -> Value {
        let mut parameters = Object::new();
        parameters.insert("Bucket".to_owned(), json!(self.bucket));
        parameters.insert("Key".to_owned(), json!(self.key));
        if let Some(owner) = owner {
            parameters.insert("ExpectedBucketOwner".to_owned(), owner.clone());
        }
        Value::Object(parameters)
    }
}

/// An S3 Inventory report's `manifest.json`: the data files it lists, in order, and their columns (`fileSchema`,
/// split at commas). The files are in the manifest's `destinationBucket` (an ARN or a name), else in `bucket`, the
/// manifest's own. Step Functions reads CSV inventories only (the developer guide: "The output format of your
/// Amazon S3 inventory report must be CSV"); a manifest without `fileFormat` is taken to be CSV.
pub(super) fn inventory(text: &str, bucket: &str) -> Result<(Vec<S3Object>, Vec<String>), String> {
    let manifest: Object<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(manifest)) => manifest,
        Ok(_) => return Err("the S3 inventory manifest is not a JSON object".to_owned()),
        Err(error) => return Err(format!("the S3 inventory manifest is not valid JSON: {error}")),
    };
    match manifest.get("fileFormat") {
        None => {}
        Some(Value::String(format)) if format.eq_ignore_ascii_case("CSV") => {}
        Some(other) => {
            return Err(format!("the S3 inventory's fileFormat is {other}; Step Functions reads CSV inventories only"));
        }
    }
    let columns = match manifest.get("fileSchema") {
        Some(Value::String(schema)) => schema.split(',').map(|column| column.trim().to_owned()).collect(),
        _ => return Err("the S3 inventory manifest has no fileSchema string naming the columns".to_owned()),
    };
    let destination = match manifest.get("destinationBucket").and_then(Value::as_str) {
        Some(destination) => destination.rsplit(":::").next().unwrap_or(destination),
        None => bucket,
    };
    let Some(Value::Array(files)) = manifest.get("files") else {
        return Err("the S3 inventory manifest has no files array".to_owned());
    };
    let files = files
        .iter()
        .enumerate()
        .map(|(n, file)| match file.get("key").and_then(Value::as_str) {
            Some(key) => Ok(S3Object { bucket: destination.to_owned(), key: key.to_owned() }),
            None => Err(format!("files[{n}] of the S3 inventory manifest has no key")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((files, columns))
}

/// An Athena `UNLOAD` manifest: the S3 URIs of the data files, one a line (blank lines skipped).
pub(super) fn athena(text: &str) -> Result<Vec<S3Object>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let uri = line.trim().trim_matches('"');
            s3_uri(uri).ok_or_else(|| format!("line {} of the Athena manifest is not the S3 URI of a file: {uri}", n + 1))
        })
        .collect()
}

/// `s3://bucket/key` as the object it names (the scheme in either case); `None` without a bucket or a key.
fn s3_uri(uri: &str) -> Option<S3Object> {
    let scheme = uri.get(..5).filter(|scheme| scheme.eq_ignore_ascii_case("s3://"))?;
    let (bucket, key) = uri.get(scheme.len()..)?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| S3Object { bucket: bucket.to_owned(), key: key.to_owned() })
}
