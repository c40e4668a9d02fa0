//! `encryptionConfiguration` of state machines and activities: which key encrypts their data at rest.
//!
//! Baton encrypts nothing and calls no KMS: it checks a configuration as AWS does, keeps it, and reports it back
//! (DescribeStateMachine, DescribeActivity). A configuration is kept as JSON text with the API's member names
//! (`{"type": …, "kmsKeyId": …, "kmsDataKeyReusePeriodSeconds": …}`), so the server reads it back as the wire shape.
//! `AWS_OWNED_KEY` alone is what a resource has when it was given none, so it is kept as no configuration at all:
//! two requests that differ only in saying it or not are the same request.
//!
//! The model's own constraints (the `type` enum, `kmsKeyId` of 1..=2048 characters, a reuse period of 60..=900
//! seconds) are the request's shape, checked by the server before this module sees it.

use serde_json::{Map, Value};

use crate::service::Error;

/// Who holds the key (`EncryptionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionType {
    AwsOwnedKey,
    CustomerManagedKmsKey,
}

/// An `encryptionConfiguration` as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub kind: EncryptionType,
    pub kms_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: Option<i64>,
}

impl EncryptionType {
    /// The API's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionType::AwsOwnedKey => "AWS_OWNED_KEY",
            EncryptionType::CustomerManagedKmsKey => "CUSTOMER_MANAGED_KMS_KEY",
        }
    }
}

/// Checks a configuration and returns what to keep: `None` for AWS's own key, the JSON text otherwise.
///
/// A customer managed key needs its `kmsKeyId`; AWS's own key takes neither a key id nor a reuse period (the model
/// says the period "only applies to customer managed keys"). AWS's exact messages are not published: these are
/// Baton's wording (a guess at what AWS checks, from the model's documentation).
pub(crate) fn kept(encryption: Option<&Encryption>) -> Result<Option<String>, Error> {
    let Some(encryption) = encryption else { return Ok(None) };
    match encryption.kind {
        EncryptionType::CustomerManagedKmsKey if encryption.kms_key_id.is_none() => {
            return Err(invalid("kmsKeyId is required when type is CUSTOMER_MANAGED_KMS_KEY"));
        }
        EncryptionType::AwsOwnedKey if encryption.kms_key_id.is_some() => {
            return Err(invalid("kmsKeyId can only be set when type is CUSTOMER_MANAGED_KMS_KEY"));
        }
        EncryptionType::AwsOwnedKey if encryption.kms_data_key_reuse_period_seconds.is_some() => {
            return Err(invalid("kmsDataKeyReusePeriodSeconds can only be set when type is CUSTOMER_MANAGED_KMS_KEY"));
        }
        EncryptionType::AwsOwnedKey => return Ok(None),
        EncryptionType::CustomerManagedKmsKey => {}
    }
    let mut object = Map::new();
    object.insert("type".to_owned(), encryption.kind.as_str().into());
    if let Some(key) = &encryption.kms_key_id {
        object.insert("kmsKeyId".to_owned(), key.clone().into());
    }
    if let Some(seconds) = encryption.kms_data_key_reuse_period_seconds {
        object.insert("kmsDataKeyReusePeriodSeconds".to_owned(), seconds.into());
    }
    Ok(Some(Value::Object(object).to_string()))
}

fn invalid(problem: &str) -> Error {
    Error::InvalidEncryptionConfiguration(format!("Invalid Encryption Configuration: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::{Encryption, EncryptionType, kept};
    use crate::service::Error;

    fn config(kind: EncryptionType, key: Option<&str>, period: Option<i64>) -> Encryption {
        Encryption { kind, kms_key_id: key.map(str::to_owned), kms_data_key_reuse_period_seconds: period }
    }

    #[test]
    fn kept_text() {
        use EncryptionType::{AwsOwnedKey, CustomerManagedKmsKey};
        assert_eq!(kept(None), Ok(None));
        assert_eq!(kept(Some(&config(AwsOwnedKey, None, None))), Ok(None));
        assert_eq!(
            kept(Some(&config(CustomerManagedKmsKey, Some("alias/k"), Some(60)))),
            Ok(Some(r#"{"type":"CUSTOMER_MANAGED_KMS_KEY","kmsKeyId":"alias/k","kmsDataKeyReusePeriodSeconds":60}"#.to_owned()))
        );
        assert_eq!(
            kept(Some(&config(CustomerManagedKmsKey, Some("k"), None))),
            Ok(Some(r#"{"type":"CUSTOMER_MANAGED_KMS_KEY","kmsKeyId":"k"}"#.to_owned()))
        );
        for bad in [
            config(CustomerManagedKmsKey, None, None),
            config(CustomerManagedKmsKey, None, Some(300)),
            config(AwsOwnedKey, Some("k"), None),
            config(AwsOwnedKey, None, Some(300)),
        ] {
            assert!(matches!(kept(Some(&bad)), Err(Error::InvalidEncryptionConfiguration(_))), "{bad:?}");
        }
    }
}
