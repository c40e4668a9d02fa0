//! `bedrock:invokeModel`'s own fields (connect-bedrock): `Input.S3Uri` names an S3 object whose content is the
//! model's input (instead of `Body`), and `Output.S3Uri` one where the model's answer is written; the result's `Body`
//! is then a reference to that object instead of the answer. The guide does not show that reference's shape: Baton
//! gives `{"S3Uri": …}`, the location as the task named it.

use serde_json::{Value, json};

use super::target::{Pattern, Target};
use super::{Aws, CallError};
use crate::Caller;

/// The bucket and key of an `s3://bucket/key` URI.
fn location(uri: &str) -> Option<(&str, &str)> {
    let (bucket, key) = uri.strip_prefix("s3://")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

/// The S3 URI of the field `name` (`Input`, `Output`) of the parameters, taken out of them; `Err` when it is not one.
fn take_uri(parameters: &mut Value, name: &str) -> Result<Option<String>, CallError> {
    let Some(field) = parameters.as_object_mut().and_then(|fields| fields.remove(name)) else { return Ok(None) };
    let uri = field.get("S3Uri").and_then(Value::as_str).filter(|uri| location(uri).is_some());
    match uri {
        Some(uri) => Ok(Some(uri.to_owned())),
        None => Err(CallError::Cannot(format!("the field '{name}' must be {{\"S3Uri\": \"s3://bucket/key\"}}"))),
    }
}

/// An S3 call made on a task's behalf, named as an AWS SDK integration names it (its errors are `S3.…`).
fn s3(action: &str) -> Target {
    Target { service: "s3".to_owned(), action: action.to_owned(), pattern: Pattern::RequestResponse, optimized: None, function_arn: None }
}

impl Aws {
    /// The parameters of an `invokeModel` call with its `Input` read from S3 into `Body` (JSON unless
    /// `ContentType` says otherwise), and the S3 URI its `Output` names, both fields taken out.
    pub(super) async fn bedrock_input(&self, mut parameters: Value, caller: Caller<'_>) -> Result<(Value, Option<String>), CallError> {
        let output = take_uri(&mut parameters, "Output")?;
        if let Some(uri) = take_uri(&mut parameters, "Input")? {
            let (bucket, key) = location(&uri).unwrap_or_default();
            let (object, _) = self.exchange(&s3("getObject"), "getObject", &json!({"Bucket": bucket, "Key": key}), "", caller).await?;
            if let Value::Object(fields) = &mut parameters {
                fields.insert("Body".to_owned(), object.get("Body").cloned().unwrap_or(Value::String(String::new())));
                for member in ["ContentType", "Accept"] {
                    fields.entry(member).or_insert_with(|| Value::String("application/json".to_owned()));
                }
            }
        }
        Ok((parameters, output))
    }

    /// Writes the model's answer (`output`'s `Body`) to the S3 object `uri` names; the result refers to it.
    pub(super) async fn bedrock_output(&self, uri: &str, mut output: Value, caller: Caller<'_>) -> Result<Value, CallError> {
        let (bucket, key) = location(uri).unwrap_or_default();
        let body = output.get("Body").cloned().unwrap_or(Value::String(String::new()));
        let mut put = json!({"Bucket": bucket, "Key": key, "Body": body});
        if let Some(content_type) = output.get("ContentType") {
            put["ContentType"] = content_type.clone();
        }
        self.exchange(&s3("putObject"), "putObject", &put, "", caller).await?;
        if let Value::Object(fields) = &mut output {
            fields.insert("Body".to_owned(), json!({"S3Uri": uri}));
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::{location, take_uri};
    use serde_json::json;

    #[test]
    fn s3_uris_name_a_bucket_and_key() {
        assert_eq!(location("s3://bucket/prompts/a.json"), Some(("bucket", "prompts/a.json")));
        assert_eq!(location("s3://bucket"), None);
        assert_eq!(location("https://bucket/key"), None);
        let mut parameters = json!({"ModelId": "m", "Input": {"S3Uri": "s3://b/in.json"}, "Output": {"S3Uri": "nope"}});
        assert_eq!(take_uri(&mut parameters, "Input").ok().flatten().as_deref(), Some("s3://b/in.json"));
        assert!(take_uri(&mut parameters, "Output").is_err());
        assert_eq!(parameters, json!({"ModelId": "m"}));
    }
}
