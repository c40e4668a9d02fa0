//! restXml: S3 (path-style: payloads, headers, prefixed metadata headers, query, XML lists, errors with and without a
//! body, checksums) and S3 Control (host prefix).

use serde_json::json;

use crate::protocol::tests::{body, failure, header, keys, output, request, respond};

#[test]
fn s3_put_object_sends_the_body_raw_and_members_in_headers() {
    let input = json!({
        "Bucket": "examplebucket",
        "Key": "photos/2026/cat 1.jpg",
        "Body": "hello",
        "ContentType": "text/plain",
        "Metadata": {"owner": "me"},
        "Tagging": "a=b",
        "ObjectLockRetainUntilDate": "2026-12-02T10:00:00Z"
    });
    let request = request("s3", "putObject", input);
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path_and_query, "/examplebucket/photos/2026/cat%201.jpg");
    assert_eq!(body(&request), "hello");
    assert_eq!(header(&request, "Content-Type"), Some("text/plain"));
    assert_eq!(header(&request, "x-amz-meta-owner"), Some("me"));
    assert_eq!(header(&request, "x-amz-tagging"), Some("a=b"));
    // This header's timestamp is ISO 8601 by the model's `timestampFormat`, not an HTTP date.
    assert_eq!(header(&request, "x-amz-object-lock-retain-until-date"), Some("2026-12-02T10:00:00Z"));
}

#[test]
fn s3_put_object_body_given_as_json_is_sent_as_json_text() {
    let request = request("s3", "putObject", json!({"Bucket": "b", "Key": "k.json", "Body": {"a": [1, 2]}}));
    assert_eq!(body(&request), r#"{"a":[1,2]}"#);
}

#[test]
fn s3_put_object_output_is_its_headers() {
    let headers = [
        ("ETag", "\"6805f2cfc46c0f04559748bb039d69ae\""),
        ("x-amz-server-side-encryption", "AES256"),
        ("x-amz-version-id", "Kirh.unyZwjQ69YxcQLA8z4F5j3kJJKr"),
    ];
    let output = output("s3", "putObject", &headers, "");
    assert_eq!(
        output,
        json!({
            "ETag": "\"6805f2cfc46c0f04559748bb039d69ae\"",
            "ServerSideEncryption": "AES256",
            "VersionId": "Kirh.unyZwjQ69YxcQLA8z4F5j3kJJKr"
        })
    );
}

#[test]
fn s3_get_object_output_has_the_body_as_text_and_typed_headers() {
    let request = request("s3", "getObject", json!({
        "Bucket": "examplebucket",
        "Key": "HappyFace.jpg",
        "Range": "bytes=0-9",
        "IfModifiedSince": "2026-12-02T10:00:00Z"
    }));
    assert_eq!(request.method, "GET");
    assert_eq!(request.path_and_query, "/examplebucket/HappyFace.jpg");
    assert_eq!(header(&request, "Range"), Some("bytes=0-9"));
    assert_eq!(header(&request, "If-Modified-Since"), Some("Wed, 02 Dec 2026 10:00:00 GMT"));
    assert!(request.body.is_empty());
    let headers = [
        ("accept-ranges", "bytes"),
        ("content-length", "10"),
        ("content-range", "bytes 0-9/43"),
        ("content-type", "text/plain"),
        ("etag", "\"0d94420ffd0bc68cd3d152506b97a9cc\""),
        ("last-modified", "Wed, 02 Dec 2026 10:00:00 GMT"),
        ("x-amz-meta-owner", "me"),
        ("x-amz-request-id", "R"),
    ];
    let output = output("s3", "getObject", &headers, "0123456789");
    assert_eq!(
        output,
        json!({
            "Body": "0123456789",
            "AcceptRanges": "bytes",
            "LastModified": "2026-12-02T10:00:00Z",
            "ContentLength": 10,
            "ETag": "\"0d94420ffd0bc68cd3d152506b97a9cc\"",
            "ContentRange": "bytes 0-9/43",
            "ContentType": "text/plain",
            "Metadata": {"owner": "me"}
        })
    );
    assert_eq!(keys(&output).first(), Some(&"Body"));
}

#[test]
fn s3_get_object_binary_body_is_base64() {
    let output = respond("s3", "getObject", 200, &[], &[0xff, 0x00, 0x10]).expect("an output");
    assert_eq!(output["Body"], "/wAQ");
    assert_eq!(output["Metadata"], json!({}));
}

#[test]
fn s3_list_objects_v2_query_and_xml_lists() {
    let request = request("s3", "listObjectsV2", json!({"Bucket": "examplebucket", "MaxKeys": 2, "Prefix": "photos/", "FetchOwner": true}));
    assert_eq!(request.path_and_query, "/examplebucket?list-type=2&max-keys=2&prefix=photos%2F&fetch-owner=true");
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>examplebucket</Name>
  <Prefix>photos/</Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg==</NextContinuationToken>
  <Contents>
    <Key>photos/a&amp;b.jpg</Key>
    <LastModified>2026-12-02T10:00:00.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>857</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>photos/b.jpg</Key>
    <LastModified>2026-12-02T10:00:01.500Z</LastModified>
    <ETag>"9c8af9a76df052144598c115ef33e511"</ETag>
    <Size>1024</Size>
    <StorageClass>STANDARD</StorageClass>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>me</DisplayName></Owner>
  </Contents>
  <CommonPrefixes><Prefix>photos/2026/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
    let output = output("s3", "listObjectsV2", &[], body);
    assert_eq!(
        output,
        json!({
            "IsTruncated": true,
            "Contents": [
                {"Key": "photos/a&b.jpg", "LastModified": "2026-12-02T10:00:00Z", "ETag": "\"599bab3ed2c697f1d26842727561fd94\"", "Size": 857, "StorageClass": "STANDARD"},
                {"Key": "photos/b.jpg", "LastModified": "2026-12-02T10:00:01.500Z", "ETag": "\"9c8af9a76df052144598c115ef33e511\"", "Size": 1024, "StorageClass": "STANDARD",
                 "Owner": {"DisplayName": "me", "ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"}}
            ],
            "Name": "examplebucket",
            "Prefix": "photos/",
            "MaxKeys": 2,
            "CommonPrefixes": [{"Prefix": "photos/2026/"}],
            "KeyCount": 2,
            "NextContinuationToken": "1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg=="
        })
    );
    assert_eq!(keys(&output), ["IsTruncated", "Contents", "Name", "Prefix", "MaxKeys", "CommonPrefixes", "KeyCount", "NextContinuationToken"]);
}

#[test]
fn s3_create_bucket_payload_is_an_xml_element_with_its_namespace() {
    let input = json!({"Bucket": "examplebucket", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}, "ACL": "private"});
    let request = request("s3", "createBucket", input);
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path_and_query, "/examplebucket");
    assert_eq!(header(&request, "x-amz-acl"), Some("private"));
    assert_eq!(
        body(&request),
        r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#
    );
    let output = output("s3", "createBucket", &[("Location", "/examplebucket")], "");
    assert_eq!(output, json!({"Location": "/examplebucket"}));
    let plain = crate::protocol::tests::request("s3", "createBucket", json!({"Bucket": "examplebucket"}));
    assert!(plain.body.is_empty());
}

#[test]
fn s3_no_such_key_error() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>nope.txt</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran</HostId></Error>"#;
    let (error, name, cause) = failure("s3", "getObject", 404, &[("x-amz-request-id", "ignored")], body);
    assert_eq!(error.code, "NoSuchKey");
    assert_eq!(name, "S3.NoSuchKeyException");
    assert_eq!(
        cause,
        "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: 4442587FB7D0A2F9, Extended Request ID: eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran)"
    );
}

#[test]
fn s3_no_such_bucket_error() {
    let body = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>nope</BucketName><RequestId>X</RequestId><HostId>Y</HostId></Error>";
    let (_, name, cause) = failure("s3", "listObjectsV2", 404, &[], body);
    assert_eq!(name, "S3.NoSuchBucketException");
    assert_eq!(cause, "The specified bucket does not exist (Service: S3, Status Code: 404, Request ID: X, Extended Request ID: Y)");
}

#[test]
fn s3_unmodelled_error_is_the_s3_exception() {
    // AWS reports S3's 503 SlowDown, which the model does not know, as `S3.S3Exception`.
    let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>X</RequestId><HostId>Y</HostId></Error>";
    let (error, name, cause) = failure("s3", "listObjectsV2", 503, &[], body);
    assert_eq!(error.code, "SlowDown");
    assert_eq!(error.shape, None);
    assert_eq!(name, "S3.S3Exception");
    assert_eq!(cause, "Please reduce your request rate. (Service: S3, Status Code: 503, Request ID: X, Extended Request ID: Y)");
}

#[test]
fn s3_head_object_404_has_no_body_and_is_no_such_key() {
    let request = request("s3", "headObject", json!({"Bucket": "b", "Key": "nope.txt"}));
    assert_eq!(request.method, "HEAD");
    let headers = [("x-amz-request-id", "X"), ("x-amz-id-2", "Y")];
    let (error, name, cause) = failure("s3", "headObject", 404, &headers, "");
    assert_eq!(error.code, "NotFound");
    assert_eq!(error.message, None);
    assert_eq!(name, "S3.NoSuchKeyException");
    assert_eq!(cause, "null (Service: S3, Status Code: 404, Request ID: X, Extended Request ID: Y)");
}

#[test]
fn s3_head_bucket_403_takes_its_code_from_the_status() {
    let (error, name, _) = failure("s3", "headBucket", 403, &[("x-amz-request-id", "X")], "");
    assert_eq!(error.code, "Forbidden");
    assert_eq!(error.request_id.as_deref(), Some("X"));
    assert_eq!(name, "S3.S3Exception");
}

#[test]
fn s3_error_document_with_status_200_is_an_error() {
    let body = "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>X</RequestId><HostId>Y</HostId></Error>";
    let (error, _, _) = failure("s3", "copyObject", 200, &[], body);
    assert_eq!(error.code, "InternalError");
    assert_eq!(error.status, 200);
}

#[test]
fn s3_get_bucket_location_reads_a_root_that_is_the_member() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#;
    assert_eq!(output("s3", "getBucketLocation", &[], body), json!({"LocationConstraint": "eu-west-1"}));
}

#[test]
fn s3_delete_objects_carries_the_checksum_s3_requires() {
    let input = json!({"Bucket": "b", "Delete": {"Objects": [{"Key": "a.txt"}], "Quiet": true}});
    let request = request("s3", "deleteObjects", input);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path_and_query, "/b?delete");
    assert_eq!(
        body(&request),
        r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.txt</Key></Object><Quiet>true</Quiet></Delete>"#
    );
    assert_eq!(header(&request, "x-amz-checksum-crc32"), Some("aQycOQ=="));
}

#[test]
fn s3_checksum_algorithm_other_than_crc_is_refused() {
    let message = crate::protocol::tests::input_error("s3", "putObject", json!({"Bucket": "b", "Key": "k", "ChecksumAlgorithm": "SHA256"}));
    assert_eq!(message, "the value of 'ChecksumAlgorithm' must be CRC32 or CRC32C: Baton computes no other checksum, not SHA256");
}

#[test]
fn s3_grantee_type_is_an_attribute_with_its_namespace() {
    let input = json!({
        "Bucket": "b",
        "AccessControlPolicy": {
            "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}],
            "Owner": {"ID": "abc"}
        }
    });
    let request = request("s3", "putBucketAcl", input);
    assert_eq!(
        body(&request),
        concat!(
            r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList><Grant>"#,
            r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee>"#,
            r#"<Permission>READ</Permission></Grant></AccessControlList><Owner><ID>abc</ID></Owner></AccessControlPolicy>"#
        )
    );
}

#[test]
fn s3_empty_label_is_refused() {
    let message = crate::protocol::tests::input_error("s3", "getObject", json!({"Bucket": "", "Key": "k"}));
    assert_eq!(message, "the value of 'Bucket' must not be empty: it is part of the request's path");
}

#[test]
fn s3_control_fills_the_host_prefix() {
    let request = request("s3control", "getPublicAccessBlock", json!({"AccountId": "123456789012"}));
    assert_eq!(request.host_prefix.as_deref(), Some("123456789012."));
    assert_eq!(request.path_and_query, "/v20180820/configuration/publicAccessBlock");
    assert_eq!(header(&request, "x-amz-account-id"), Some("123456789012"));
    let message = crate::protocol::tests::input_error("s3control", "getPublicAccessBlock", json!({"AccountId": "12.34"}));
    assert_eq!(message, "the value of 'AccountId' must be a host label (letters, digits and '-'), not '12.34'");
}
