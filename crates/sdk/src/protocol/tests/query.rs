//! awsQuery (SNS, STS) and ec2Query (EC2): form bodies with dotted keys, XML answers and XML errors.

use serde_json::json;

use crate::protocol::tests::{body, failure, header, output, request};

#[test]
fn sns_publish_with_message_attributes_map() {
    let input = json!({
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:my-topic",
        "Message": "Hello world!",
        "MessageAttributes": {
            "my_attribute_name_1": {"DataType": "String", "StringValue": "my_attribute_value_1"},
            "bin": {"DataType": "Binary", "BinaryValue": "AAEC"}
        }
    });
    let request = request("sns", "publish", input);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path_and_query, "/");
    assert_eq!(header(&request, "Content-Type"), Some("application/x-www-form-urlencoded; charset=utf-8"));
    assert_eq!(
        body(&request),
        concat!(
            "Action=Publish&Version=2010-03-31",
            "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Amy-topic",
            "&Message=Hello%20world%21",
            "&MessageAttributes.entry.1.Name=my_attribute_name_1",
            "&MessageAttributes.entry.1.Value.DataType=String",
            "&MessageAttributes.entry.1.Value.StringValue=my_attribute_value_1",
            "&MessageAttributes.entry.2.Name=bin",
            "&MessageAttributes.entry.2.Value.DataType=Binary",
            "&MessageAttributes.entry.2.Value.BinaryValue=AAEC"
        )
    );
}

#[test]
fn sns_publish_output_is_inside_its_result_wrapper() {
    let body = r#"<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
    <PublishResult>
        <MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>
    </PublishResult>
    <ResponseMetadata>
        <RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId>
    </ResponseMetadata>
</PublishResponse>"#;
    assert_eq!(output("sns", "publish", &[], body), json!({"MessageId": "567910cd-659e-55d4-8ccb-5aaf14679dc0"}));
}

#[test]
fn sns_error_code_names_the_shape_by_its_wire_code() {
    let body = r#"<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error>
  <RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId>
</ErrorResponse>"#;
    let (error, name, cause) = failure("sns", "publish", 404, &[], body);
    assert_eq!(error.code, "NotFound");
    assert_eq!(error.shape.as_deref(), Some("NotFoundException"));
    assert_eq!(name, "Sns.NotFoundException");
    assert_eq!(cause, "Topic does not exist (Service: Sns, Status Code: 404, Request ID: 9dd01905-5012-5f99-8663-4b3ecd0dfaef)");
}

#[test]
fn sts_assume_role_lists_are_members() {
    let input = json!({
        "RoleArn": "arn:aws:iam::123456789012:role/demo",
        "RoleSessionName": "testAssumeRoleSession",
        "DurationSeconds": 3600,
        "PolicyArns": [{"Arn": "arn:aws:iam::123456789012:policy/demopolicy1"}],
        "Tags": [{"Key": "Project", "Value": "Unicorn"}, {"Key": "Team", "Value": "Automation"}],
        "TransitiveTagKeys": []
    });
    let request = request("sts", "assumeRole", input);
    assert_eq!(
        body(&request),
        concat!(
            "Action=AssumeRole&Version=2011-06-15",
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo",
            "&RoleSessionName=testAssumeRoleSession",
            "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fdemopolicy1",
            "&DurationSeconds=3600",
            "&Tags.member.1.Key=Project&Tags.member.1.Value=Unicorn",
            "&Tags.member.2.Key=Team&Tags.member.2.Value=Automation",
            "&TransitiveTagKeys="
        )
    );
}

#[test]
fn sts_assume_role_output() {
    let body = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleResult>
<SourceIdentity>Alice</SourceIdentity>
<AssumedRoleUser>
  <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
  <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
</AssumedRoleUser>
<Credentials>
  <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
  <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
  <Expiration>2019-11-09T13:34:41Z</Expiration>
</Credentials>
<PackedPolicySize>6</PackedPolicySize>
</AssumeRoleResult>
<ResponseMetadata>
<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ResponseMetadata>
</AssumeRoleResponse>"#;
    assert_eq!(
        output("sts", "assumeRole", &[], body),
        json!({
            "Credentials": {
                "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
                "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                "SessionToken": "AQoDYXdzEPT//////////wEXAMPLEtc764",
                "Expiration": "2019-11-09T13:34:41Z"
            },
            "AssumedRoleUser": {"AssumedRoleId": "ARO123EXAMPLE123:TestAR", "Arn": "arn:aws:sts::123456789012:assumed-role/demo/TestAR"},
            "PackedPolicySize": 6,
            "SourceIdentity": "Alice"
        })
    );
}

#[test]
fn sts_error_code_is_the_shape_with_that_code() {
    let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>MalformedPolicyDocument</Code><Message>The policy is not valid</Message></Error>
  <RequestId>1a2b</RequestId>
</ErrorResponse>"#;
    let (_, name, cause) = failure("sts", "assumeRole", 400, &[], body);
    assert_eq!(name, "Sts.MalformedPolicyDocumentException");
    assert_eq!(cause, "The policy is not valid (Service: Sts, Status Code: 400, Request ID: 1a2b)");
}

#[test]
fn ec2_describe_instances_filters_are_numbered_under_their_query_names() {
    let input = json!({
        "InstanceIds": ["i-1234567890abcdef0"],
        "Filters": [
            {"Name": "instance-type", "Values": ["t2.micro", "t3.micro"]},
            {"Name": "availability-zone", "Values": ["us-east-2c"]}
        ],
        "DryRun": false,
        "MaxResults": 10
    });
    let request = request("ec2", "describeInstances", input);
    assert_eq!(
        body(&request),
        concat!(
            "Action=DescribeInstances&Version=2016-11-15",
            "&InstanceId.1=i-1234567890abcdef0",
            "&DryRun=false",
            "&Filter.1.Name=instance-type&Filter.1.Value.1=t2.micro&Filter.1.Value.2=t3.micro",
            "&Filter.2.Name=availability-zone&Filter.2.Value.1=us-east-2c",
            "&MaxResults=10"
        )
    );
}

#[test]
fn ec2_describe_instances_output_reads_item_lists() {
    let body = r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
    <reservationSet>
        <item>
            <reservationId>r-1234567890abcdef0</reservationId>
            <ownerId>123456789012</ownerId>
            <groupSet/>
            <instancesSet>
                <item>
                    <instanceId>i-1234567890abcdef0</instanceId>
                    <imageId>ami-bff32ccc</imageId>
                    <instanceState><code>16</code><name>running</name></instanceState>
                    <launchTime>2018-05-08T16:46:19.000Z</launchTime>
                    <tagSet><item><key>Name</key><value>my-instance</value></item></tagSet>
                    <ebsOptimized>false</ebsOptimized>
                </item>
            </instancesSet>
        </item>
    </reservationSet>
</DescribeInstancesResponse>"#;
    let output = output("ec2", "describeInstances", &[], body);
    assert_eq!(
        output,
        json!({
            "Reservations": [{
                "ReservationId": "r-1234567890abcdef0",
                "OwnerId": "123456789012",
                "Groups": [],
                "Instances": [{
                    "InstanceId": "i-1234567890abcdef0",
                    "ImageId": "ami-bff32ccc",
                    "State": {"Code": 16, "Name": "running"},
                    "LaunchTime": "2018-05-08T16:46:19Z",
                    "Tags": [{"Key": "Name", "Value": "my-instance"}],
                    "EbsOptimized": false
                }]
            }]
        })
    );
}

#[test]
fn ec2_error_is_in_errors() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1a2b3c4d' does not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"#;
    let (error, name, cause) = failure("ec2", "describeInstances", 400, &[], body);
    assert_eq!(error.code, "InvalidInstanceID.NotFound");
    assert_eq!(name, "Ec2.Ec2Exception");
    assert_eq!(cause, "The instance ID 'i-1a2b3c4d' does not exist (Service: Ec2, Status Code: 400, Request ID: ea966190-f9aa-478e-9ede-example)");
}

#[test]
fn ec2_run_instances_fills_the_client_token() {
    let request = request("ec2", "runInstances", json!({"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1}));
    assert!(body(&request).contains("&ClientToken=token-0001"), "{}", body(&request));
}

#[test]
fn iam_get_role_output_decodes_timestamps_and_keeps_the_policy_text() {
    let response = r#"<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetRoleResult>
    <Role>
      <Path>/application_abc/component_xyz/</Path>
      <Arn>arn:aws:iam::123456789012:role/application_abc/component_xyz/S3Access</Arn>
      <RoleName>S3Access</RoleName>
      <AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</AssumeRolePolicyDocument>
      <CreateDate>2012-05-08T23:34:01Z</CreateDate>
      <RoleId>AROADBQP57FF2AEXAMPLE</RoleId>
      <MaxSessionDuration>3600</MaxSessionDuration>
    </Role>
  </GetRoleResult>
  <ResponseMetadata><RequestId>df37e965-9967-11e1-a4c3-270EXAMPLE04</RequestId></ResponseMetadata>
</GetRoleResponse>"#;
    let request = request("iam", "getRole", json!({"RoleName": "S3Access"}));
    assert_eq!(body(&request), "Action=GetRole&Version=2010-05-08&RoleName=S3Access");
    assert_eq!(
        output("iam", "getRole", &[], response),
        json!({"Role": {
            "Path": "/application_abc/component_xyz/",
            "RoleName": "S3Access",
            "RoleId": "AROADBQP57FF2AEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:role/application_abc/component_xyz/S3Access",
            "CreateDate": "2012-05-08T23:34:01Z",
            "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            "MaxSessionDuration": 3600
        }})
    );
}
