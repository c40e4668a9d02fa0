//! The service model: botocore's `service-2.json` (metadata, operations, shapes) as serde types. The embedded files
//! are botocore's own, with documentation and validation-only keys removed by `scripts/aws-models.py`, so every
//! field here means what botocore's documentation of its model format says.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One service's API model.
#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    pub metadata: Metadata,
    /// By operation name (`GetItem`, `PutObject`).
    pub operations: BTreeMap<String, Operation>,
    /// By shape name.
    pub shapes: BTreeMap<String, Shape>,
}

/// The wire protocol a service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Protocol {
    /// awsJson 1.0 or 1.1 (`metadata.jsonVersion`): `POST /` with `X-Amz-Target`.
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "rest-json")]
    RestJson,
    #[serde(rename = "rest-xml")]
    RestXml,
    #[serde(rename = "query")]
    Query,
    #[serde(rename = "ec2")]
    Ec2,
    /// Smithy RPC v2 CBOR; botocore lists it beside a JSON protocol for the services that speak both.
    #[serde(rename = "smithy-rpc-v2-cbor")]
    RpcV2Cbor,
    /// A protocol this version of Baton does not speak.
    #[serde(other)]
    Other,
}

/// `metadata` of a model.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    /// The host label of the service's endpoints: `https://{endpointPrefix}.{region}.amazonaws.com`.
    pub endpoint_prefix: String,
    /// The protocol botocore uses by default.
    pub protocol: Protocol,
    /// Every protocol the service speaks, in botocore's order of preference.
    #[serde(default)]
    pub protocols: Vec<Protocol>,
    /// awsJson's version: `1.0` or `1.1`.
    #[serde(default)]
    pub json_version: Option<String>,
    /// awsJson's `X-Amz-Target` prefix: `{targetPrefix}.{operation}`.
    #[serde(default)]
    pub target_prefix: Option<String>,
    /// SigV4's service name, when it is not `endpointPrefix`.
    #[serde(default)]
    pub signing_name: Option<String>,
    /// The service's id (`DynamoDB`, `S3`); `AWS_ENDPOINT_URL_<ID>` is built from it.
    pub service_id: String,
    #[serde(default)]
    pub service_full_name: Option<String>,
    /// The region of a global service's single endpoint (`us-east-1` for IAM).
    #[serde(default)]
    pub global_endpoint: Option<String>,
    /// The XML namespace of restXml bodies, where the model names one for the whole service.
    #[serde(default)]
    pub xml_namespace: Option<String>,
    /// Present when an awsJson service still answers errors in its former awsQuery codes.
    #[serde(default)]
    pub aws_query_compatible: Option<serde_json::Value>,
}

/// One operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub name: String,
    pub http: Http,
    #[serde(default)]
    pub input: Option<ShapeRef>,
    #[serde(default)]
    pub output: Option<ShapeRef>,
    /// The modelled errors; others may still arrive.
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    /// A prefix to the endpoint's host, with `{Member}` labels (`{AccountId}.`).
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    /// The request must carry a checksum (`Content-MD5`): S3's `DeleteObjects`, `PutBucketLifecycleConfiguration`.
    #[serde(default)]
    pub http_checksum_required: bool,
    #[serde(default)]
    pub http_checksum: Option<HttpChecksum>,
}

/// An operation's HTTP binding.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    pub method: String,
    /// The path and fixed query, with `{Label}` and `{Label+}` members: `/{Bucket}/{Key+}?tagging`.
    pub request_uri: String,
    #[serde(default)]
    pub response_code: Option<u16>,
}

/// `endpoint` of an operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub host_prefix: String,
}

/// `httpChecksum` of an operation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpChecksum {
    #[serde(default)]
    pub request_checksum_required: bool,
    /// The input member that names the checksum algorithm the caller wants (S3's `ChecksumAlgorithm`).
    #[serde(default)]
    pub request_algorithm_member: Option<String>,
}

/// A reference to a shape: an operation's input or output, a structure's member, a list's member, a map's key or
/// value. The binding fields say where the value goes on the wire.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    /// `uri`, `querystring`, `header`, `headers` (a map of prefixed headers), `statusCode`; none for the body.
    #[serde(default)]
    pub location: Option<Location>,
    /// The name on the wire: the header, the query key, the URI label, the XML element, the JSON key.
    #[serde(default)]
    pub location_name: Option<String>,
    /// ec2Query's name for the member in a request.
    #[serde(default)]
    pub query_name: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub xml_attribute: bool,
    #[serde(default)]
    pub xml_namespace: Option<XmlNamespace>,
    /// A string holding JSON (restJson headers and bodies carry it as text).
    #[serde(default)]
    pub jsonvalue: bool,
    #[serde(default)]
    pub timestamp_format: Option<TimestampFormat>,
    /// Filled with a fresh token when the caller gives none.
    #[serde(default)]
    pub idempotency_token: bool,
    /// awsQuery: the output's `<OperationResult>` element.
    #[serde(default)]
    pub result_wrapper: Option<String>,
    #[serde(default)]
    pub host_label: bool,
    #[serde(default)]
    pub streaming: bool,
}

/// Where a member is bound in an HTTP request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    Uri,
    Querystring,
    Header,
    Headers,
    StatusCode,
}

/// An XML namespace: `xmlns[:prefix]="uri"`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct XmlNamespace {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
}

/// How a timestamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestampFormat {
    /// `2026-12-02T10:00:00Z`
    #[serde(alias = "ISO8601")]
    Iso8601,
    /// Seconds since the epoch, with a fraction.
    #[serde(alias = "unixTimestamp", alias = "unixtimestamp")]
    UnixTimestamp,
    /// `Wed, 02 Dec 2026 10:00:00 GMT`
    Rfc822,
}

/// A shape's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Type {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
    /// A big number written as a string.
    BigDecimal,
    BigInteger,
    Byte,
    Short,
}

/// A shape: a structure, a list, a map or a scalar.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: Type,
    /// A structure's members, in the model's order.
    #[serde(default)]
    pub members: indexmap_like::Members,
    #[serde(default)]
    pub required: Vec<String>,
    /// The member that is the whole HTTP body (rest protocols).
    #[serde(default)]
    pub payload: Option<String>,
    /// A list's member.
    #[serde(default)]
    pub member: Option<Box<ShapeRef>>,
    /// A map's key and value.
    #[serde(default)]
    pub key: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub value: Option<Box<ShapeRef>>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    pub timestamp_format: Option<TimestampFormat>,
    #[serde(default)]
    pub jsonvalue: bool,
    #[serde(default)]
    pub streaming: bool,
    /// An error shape.
    #[serde(default)]
    pub exception: bool,
    /// An error shape's wire code and status, when they differ from its name.
    #[serde(default)]
    pub error: Option<ErrorInfo>,
    /// Exactly one member is set.
    #[serde(default)]
    pub union: bool,
    /// A shape of an event stream (not callable through Step Functions).
    #[serde(default)]
    pub eventstream: bool,
    /// A free-form JSON document.
    #[serde(default)]
    pub document: bool,
}

/// `error` of an error shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}

impl Model {
    /// Reads a model from its JSON text.
    pub fn from_json(json: &[u8]) -> Result<Model, serde_json::Error> {
        serde_json::from_slice(json)
    }

    /// The shape named `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// The operation Step Functions names `action` (camelCase: `getItem`, `putObject`). Matching ignores the first
    /// letter's case only, as AWS's guide spells actions.
    pub fn operation(&self, action: &str) -> Option<&Operation> {
        let mut chars = action.chars();
        let first = chars.next()?;
        let name: String = first.to_uppercase().chain(chars).collect();
        self.operations.get(&name).or_else(|| self.operations.get(action))
    }

    /// SigV4's service name.
    pub fn signing_name(&self) -> &str {
        self.metadata.signing_name.as_deref().unwrap_or(&self.metadata.endpoint_prefix)
    }
}

/// A structure's members keep the model's order (it is the order of XML elements and of the output Step Functions
/// shows), so they are a list of pairs rather than a sorted map.
pub mod indexmap_like {
    use serde::Deserialize;
    use serde::de::{Deserializer, MapAccess, Visitor};

    use super::ShapeRef;

    /// A structure's members in the model's order.
    #[derive(Debug, Clone, Default)]
    pub struct Members(pub Vec<(String, ShapeRef)>);

    impl Members {
        /// The member named `name`.
        pub fn get(&self, name: &str) -> Option<&ShapeRef> {
            self.0.iter().find(|(n, _)| n == name).map(|(_, m)| m)
        }

        pub fn iter(&self) -> impl Iterator<Item = (&str, &ShapeRef)> {
            self.0.iter().map(|(n, m)| (n.as_str(), m))
        }

        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    impl<'de> Deserialize<'de> for Members {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
            struct Ordered;
            impl<'de> Visitor<'de> for Ordered {
                type Value = Members;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a map of members")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                    let mut members = Vec::new();
                    while let Some((name, member)) = map.next_entry::<String, ShapeRef>()? {
                        members.push((name, member));
                    }
                    Ok(Members(members))
                }
            }
            deserializer.deserialize_map(Ordered)
        }
    }
}
