//! Definition validation tests: each definition and the diagnostics it must produce.

use serde_json::json;

use crate::parse::parse_value;

#[track_caller]
fn check_errors(definition: serde_json::Value, expected: &[&str]) {
    let diagnostics = match parse_value(&definition) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(|d| format!("{}: {}", d.pointer, d.code)).collect(),
    };
    assert_eq!(diagnostics, expected, "diagnostics differ");
}

#[test]
fn minimal_machine_is_valid() {
    check_errors(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}), &[]);
}

#[test]
fn every_problem_is_reported() {
    check_errors(
        json!({"StartAt": "Missing", "States": {
            "A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1},
            "B": {"Type": "Task", "End": true},
            "C": {"Type": "Wait", "Seconds": 1, "Timestamp": "2020-01-01T00:00:00Z", "End": true}
        }}),
        &[
            "/StartAt: MISSING_TRANSITION_TARGET",
            "/States/A/Bogus: SCHEMA_VALIDATION_FAILED",
            "/States/A/Next: MISSING_TRANSITION_TARGET",
            "/States/B: SCHEMA_VALIDATION_FAILED",
            "/States/C: SCHEMA_VALIDATION_FAILED",
        ],
    );
}

#[test]
fn unreachable_states_are_reported() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Pass", "End": true}}}),
        &["/States/B: UNREACHABLE_STATE"],
    );
}

#[test]
fn next_and_end_conflict() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "End": true}}}),
        &["/States/A: SCHEMA_VALIDATION_FAILED"],
    );
}

#[test]
fn states_all_must_be_last_and_alone() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::x", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL", "X"]}, {"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Y"]}]}}}),
        &["/States/A/Retry/0/ErrorEquals: SCHEMA_VALIDATION_FAILED", "/States/A/Retry/1/ErrorEquals: SCHEMA_VALIDATION_FAILED"],
    );
}

#[test]
fn nested_workflows_are_validated() {
    check_errors(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}
        ]}}}),
        &["/States/P/Branches/0/States/X/Next: MISSING_TRANSITION_TARGET"],
    );
}

#[test]
fn jsonata_machine_is_valid() {
    check_errors(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": "{% $states.input.x %}", "Assign": {"v": "{% 1 + 1 %}"}, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $v = 2 %}", "Next": "W", "Output": {"ok": true}}], "Default": "W"},
            "W": {"Type": "Wait", "Seconds": "{% $v %}", "End": true}
        }}),
        &[],
    );
}

#[test]
fn fields_of_the_other_query_language_are_rejected() {
    check_errors(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "$.x", "Parameters": {}, "Next": "B"},
            "B": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}
        }}),
        &[
            "/States/A/InputPath: SCHEMA_VALIDATION_FAILED",
            "/States/A/Parameters: SCHEMA_VALIDATION_FAILED",
            "/States/B/QueryLanguage: SCHEMA_VALIDATION_FAILED",
        ],
    );
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::x", "Arguments": {}, "Output": 1, "End": true}}}),
        &["/States/A/Arguments: SCHEMA_VALIDATION_FAILED", "/States/A/Output: SCHEMA_VALIDATION_FAILED"],
    );
}

#[test]
fn bad_expressions_and_variable_names_are_reported() {
    check_errors(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": {"x": ["{% 1 + %}"]}, "Assign": {"1bad": 1, "states": 2}, "End": true}
        }}),
        &[
            "/States/A/Assign/1bad: SCHEMA_VALIDATION_FAILED",
            "/States/A/Assign/states: SCHEMA_VALIDATION_FAILED",
            "/States/A/Output/x/0: SCHEMA_VALIDATION_FAILED",
        ],
    );
}

#[test]
fn unknown_type() {
    check_errors(json!({"StartAt": "A", "States": {"A": {"Type": "Nope"}}}), &["/States/A/Type: SCHEMA_VALIDATION_FAILED"]);
}

#[test]
fn not_an_object() {
    check_errors(json!([1]), &[": SCHEMA_VALIDATION_FAILED"]);
}

/// Validates `definition` and renders each diagnostic as `pointer: message`.
#[track_caller]
fn check_messages(definition: serde_json::Value, expected: &[&str]) {
    let diagnostics = match parse_value(&definition) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(|d| format!("{}: {}", d.pointer, d.message)).collect(),
    };
    assert_eq!(diagnostics, expected, "diagnostics differ");
}

#[test]
fn a_bad_path_is_called_invalid_once() {
    check_messages(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.a b", "ResultPath": "$.x[*]", "End": true}}}),
        &[
            "/States/A/ResultPath: invalid reference path '$.x[*]': a reference path must identify a single node (no '*', '..', filters, slices or unions)",
            "/States/A/InputPath: invalid JSONPath '$.a b': unexpected characters in property name 'a b'",
        ],
    );
}

/// The warnings for `definition`, as `pointer: message [code]`.
#[track_caller]
fn check_warnings(definition: serde_json::Value, expected: &[&str]) {
    let warnings: Vec<String> =
        crate::parse::warnings(&definition).iter().map(|d| format!("{}: {} [{}]", d.pointer, d.message, d.code)).collect();
    assert_eq!(warnings, expected, "warnings differ");
}

// AWS runs inline Maps with ToleratedFailureCount and ToleratedFailurePercentage (conformance:
// base_evaluate_expressions.test_base_map*.TOLERATED_*), so distributed-only fields in an inline Map are warnings.
#[test]
fn distributed_only_fields_in_an_inline_map_are_warnings() {
    let inline = |extra: serde_json::Value, processor: serde_json::Value| {
        let mut map = json!({"Type": "Map", "End": true, "ItemProcessor": processor});
        for (key, value) in extra.as_object().expect("test fields are an object") {
            map[key] = value.clone();
        }
        json!({"StartAt": "M", "States": {"M": map}})
    };
    let processor = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let fields = json!({
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}},
        "ToleratedFailurePercentage": 5,
        "ToleratedFailureCountPath": "$.n",
        "Label": "run"
    });
    check_errors(inline(fields.clone(), processor.clone()), &[]);
    check_warnings(
        inline(fields.clone(), processor.clone()),
        &[
            "/States/M/ItemReader: field 'ItemReader' is for a distributed Map, and this Map is inline; Baton reads its items all the same [INLINE_MAP_FIELD]",
            "/States/M/ItemBatcher: field 'ItemBatcher' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]",
            "/States/M/ResultWriter: field 'ResultWriter' is for a distributed Map, and this Map is inline; Baton fails such a Map when it runs rather than ignore it [INLINE_MAP_FIELD]",
            "/States/M/ToleratedFailurePercentage: field 'ToleratedFailurePercentage' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]",
            "/States/M/ToleratedFailureCountPath: field 'ToleratedFailureCountPath' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]",
            "/States/M/Label: field 'Label' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]",
        ],
    );
    let mut explicit = processor.clone();
    explicit["ProcessorConfig"] = json!({"Mode": "INLINE"});
    check_warnings(
        inline(json!({"ToleratedFailureCount": 1}), explicit),
        &["/States/M/ToleratedFailureCount: field 'ToleratedFailureCount' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]"],
    );
    let mut distributed = processor;
    distributed["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
    check_warnings(inline(fields, distributed), &[]);
    // Maps inside branches and processors are checked too; the legacy Iterator is inline.
    check_warnings(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "M", "States": {
            "M": {"Type": "Map", "End": true, "Label": "x", "Iterator": {"StartAt": "N", "States": {
                "N": {"Type": "Map", "End": true, "ItemBatcher": {}, "ItemProcessor": {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": true}}}}}}}}}]}}}),
        &[
            "/States/P/Branches/0/States/M/Label: field 'Label' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]",
            "/States/P/Branches/0/States/M/Iterator/States/N/ItemBatcher: field 'ItemBatcher' is for a distributed Map, and this Map is inline; it has no effect there [INLINE_MAP_FIELD]",
        ],
    );
}

#[test]
fn an_http_task_needs_endpoint_method_and_connection() {
    let task = |parameters: serde_json::Value| {
        json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": parameters, "End": true}}})
    };
    let connection = json!({"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"});
    check_errors(task(json!({"ApiEndpoint": "https://example.com", "Method": "GET", "Authentication": connection})), &[]);
    check_errors(task(json!({"ApiEndpoint.$": "$.url", "Method.$": "$.method", "Authentication": {"ConnectionArn.$": "$.c"}})), &[]);
    check_errors(task(json!({"ApiEndpoint": "https://example.com", "Method": "GET", "Authentication.$": "$.auth"})), &[]);
    check_errors(task(json!({"ApiEndpoint": "https://example.com", "Method": "GET", "InvocationConfig": connection})), &[]);
    check_messages(
        task(json!({"Authentication": {}})),
        &[
            "/States/Call/Parameters: an HTTP Task needs 'ApiEndpoint' in its Parameters",
            "/States/Call/Parameters: an HTTP Task needs 'Method' in its Parameters",
            "/States/Call/Parameters/Authentication: an HTTP Task needs 'Authentication' with a 'ConnectionArn' (an EventBridge connection)",
        ],
    );
    check_errors(task(json!({"ApiEndpoint": "https://example.com", "Method": "GET"})), &["/States/Call/Parameters: SCHEMA_VALIDATION_FAILED"]);
    check_errors(
        json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke.waitForTaskToken", "End": true}}}),
        &["/States/Call: SCHEMA_VALIDATION_FAILED"],
    );
    let jsonata = |arguments: serde_json::Value| {
        json!({"QueryLanguage": "JSONata", "StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Arguments": arguments, "End": true}}})
    };
    check_errors(jsonata(json!({"ApiEndpoint": "{% $states.input.url %}", "Method": "POST", "Authentication": {"ConnectionArn": "{% $states.input.c %}"}})), &[]);
    check_errors(jsonata(json!("{% $states.input %}")), &[]);
    check_errors(jsonata(json!({"Method": "POST", "Authentication": "{% $states.input.auth %}"})), &["/States/Call/Arguments: SCHEMA_VALIDATION_FAILED"]);
}

#[test]
fn near_misses_get_a_suggestion() {
    check_messages(
        json!({"StartAt": "start", "States": {
            "Start": {"Type": "Pas", "Next": "Process"},
            "Process": {"Type": "Task", "Resource": "arn:aws:states:::x", "Nxt": "Done", "Next": "Dnoe",
                "Retry": [{"ErrorEqual": ["X"], "ErrorEquals": ["X"]}]},
            "Done": {"Type": "Succeed", "Unrelated": 1}
        }}),
        &[
            "/StartAt: StartAt 'start' is not a state of this workflow; did you mean 'Start'?",
            "/States/Start/Type: unknown state type 'Pas'; did you mean 'Pass'?",
            "/States/Process/Nxt: field 'Nxt' is not supported by a Task state; did you mean 'Next'?",
            "/States/Process/Retry/0/ErrorEqual: field 'ErrorEqual' is not supported here; did you mean 'ErrorEquals'?",
            "/States/Process/Next: 'Dnoe' is not a state of this workflow; did you mean 'Done'?",
            "/States/Done/Unrelated: field 'Unrelated' is not supported by a Succeed state",
        ],
    );
}

#[test]
fn a_broken_transition_makes_no_unreachable_noise() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Bee"}, "B": {"Type": "Pass", "End": true}}}),
        &["/States/A/Next: MISSING_TRANSITION_TARGET"],
    );
    check_errors(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresnt": true, "Next": "B"}], "Default": "D"},
            "B": {"Type": "Pass", "End": true},
            "D": {"Type": "Pass", "End": true}
        }}),
        &["/States/C/Choices/0/IsPresnt: SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0: SCHEMA_VALIDATION_FAILED"],
    );
    check_errors(
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::x", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handlr"}]},
            "Handler": {"Type": "Fail"}
        }}),
        &["/States/T/Catch/0/Next: MISSING_TRANSITION_TARGET"],
    );
    // An error inside a branch says nothing about the states around the Parallel.
    check_errors(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}]},
            "Lost": {"Type": "Pass", "End": true}
        }}),
        &["/States/P/Branches/0/States/X/Next: MISSING_TRANSITION_TARGET", "/States/Lost: UNREACHABLE_STATE"],
    );
}

#[test]
fn task_credentials_name_a_role() {
    let task = |credentials: serde_json::Value| {
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Credentials": credentials, "End": true}}})
    };
    check_errors(task(json!({"RoleArn": "arn:aws:iam::123456789012:role/r"})), &[]);
    check_errors(task(json!({"RoleArn.$": "$.role"})), &[]);
    check_errors(task(json!({"Role": "r"})), &["/States/A/Credentials: SCHEMA_VALIDATION_FAILED"]);
    check_errors(task(json!({"RoleArn.$": "$$$"})), &["/States/A/Credentials/RoleArn.$: SCHEMA_VALIDATION_FAILED"]);
}

#[test]
fn result_writers_are_checked_with_their_locations() {
    let machine = |writer: serde_json::Value| {
        serde_json::json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ResultWriter": writer,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})
    };
    let errors = |writer: serde_json::Value| -> Vec<String> {
        match crate::parse::parse_value(&machine(writer)) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
        }
    };
    assert!(errors(serde_json::json!({"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSONL"}})).is_empty());
    assert!(errors(serde_json::json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}})).is_empty());
    let all = errors(serde_json::json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Prefix": "p"},
        "WriterConfig": {"Transformation": "SOME", "OutputType": "CSV", "Extra": 1}}));
    let expected = [
        "/States/M/ResultWriter/Resource",
        "/States/M/ResultWriter/Parameters",
        "/States/M/ResultWriter/WriterConfig/Transformation",
        "/States/M/ResultWriter/WriterConfig/OutputType",
        "/States/M/ResultWriter/WriterConfig/Extra",
    ];
    for pointer in expected {
        assert!(all.iter().any(|e| e.starts_with(&format!("{pointer}:"))), "{pointer} in {all:#?}");
    }
    assert_eq!(errors(serde_json::json!({})).len(), 1, "an empty ResultWriter");
    assert_eq!(errors(serde_json::json!({"Resource": "arn:aws:states:::s3:putObject"})).len(), 1, "a Resource without Parameters");
}

/// A distributed Map over `reader`, the ItemReader.
fn reading(reader: serde_json::Value) -> serde_json::Value {
    json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemReader": reader,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}}}}})
}

// The developer guide (input-output-itemreader): an S3 inventory takes no InputType ("the type is assumed to be
// CSV"), an Athena manifest's InputType is CSV, JSONL or PARQUET. A manifest is read with s3:getObject.
#[test]
fn manifest_types_take_the_input_types_aws_allows() {
    let get = |config: serde_json::Value| {
        reading(json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config, "Parameters": {"Bucket": "b", "Key": "k"}}))
    };
    let manifest = |definition: &serde_json::Value| {
        let machine = parse_value(definition).expect("a valid definition");
        machine.workflows.iter().flat_map(|w| &w.states).find_map(|state| match &state.kind {
            crate::model::StateKind::Map(map) => map.item_reader.as_ref().map(|reader| reader.manifest),
            _ => None,
        })
    };
    use crate::model::Manifest;
    assert_eq!(manifest(&get(json!({"InputType": "MANIFEST"}))), Some(Some(Manifest::S3Inventory)));
    assert_eq!(manifest(&get(json!({"ManifestType": "S3_INVENTORY"}))), Some(Some(Manifest::S3Inventory)));
    assert_eq!(manifest(&get(json!({"ManifestType": "ATHENA_DATA", "InputType": "JSONL"}))), Some(Some(Manifest::AthenaData)));
    assert_eq!(manifest(&get(json!({"InputType": "CSV"}))), Some(None));
    for kind in ["CSV", "JSONL", "PARQUET"] {
        check_errors(get(json!({"ManifestType": "ATHENA_DATA", "InputType": kind, "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a"]})), &[]);
    }
    check_errors(get(json!({"ManifestType": "S3_INVENTORY", "CSVDelimiter": "COMMA"})), &[]);

    // Every problem, each where it is.
    check_errors(get(json!({"ManifestType": "S3_INVENTORY", "InputType": "CSV"})), &["/States/M/ItemReader/ReaderConfig/InputType: SCHEMA_VALIDATION_FAILED"]);
    check_errors(get(json!({"ManifestType": "S3_INVENTORY", "InputType": "MANIFEST"})), &["/States/M/ItemReader/ReaderConfig/InputType: SCHEMA_VALIDATION_FAILED"]);
    check_errors(get(json!({"ManifestType": "ATHENA_DATA"})), &["/States/M/ItemReader/ReaderConfig: SCHEMA_VALIDATION_FAILED"]);
    check_errors(get(json!({"ManifestType": "ATHENA_DATA", "InputType": "JSON"})), &["/States/M/ItemReader/ReaderConfig/InputType: SCHEMA_VALIDATION_FAILED"]);
    check_errors(get(json!({"ManifestType": "ATHENA_DATA", "InputType": "MANIFEST"})), &["/States/M/ItemReader/ReaderConfig/InputType: SCHEMA_VALIDATION_FAILED"]);
    check_errors(
        get(json!({"ManifestType": "ATHENA", "InputType": "XML", "CSVDelimiter": "COLON"})),
        &[
            "/States/M/ItemReader/ReaderConfig/InputType: SCHEMA_VALIDATION_FAILED",
            "/States/M/ItemReader/ReaderConfig/CSVDelimiter: SCHEMA_VALIDATION_FAILED",
            "/States/M/ItemReader/ReaderConfig/ManifestType: SCHEMA_VALIDATION_FAILED",
        ],
    );
    check_errors(
        reading(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "ReaderConfig": {"ManifestType": "ATHENA_DATA"},
            "Parameters": {"Bucket": "b", "Prefix": "p"}})),
        &["/States/M/ItemReader/ReaderConfig: SCHEMA_VALIDATION_FAILED", "/States/M/ItemReader/Resource: SCHEMA_VALIDATION_FAILED"],
    );
    check_errors(
        reading(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "ReaderConfig": {"InputType": "MANIFEST"},
            "Parameters": {"Bucket": "b", "Prefix": "p"}})),
        &["/States/M/ItemReader/Resource: SCHEMA_VALIDATION_FAILED"],
    );
    let messages: Vec<String> = match parse_value(&get(json!({"ManifestType": "S3_INVENTORY", "InputType": "CSV"}))) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(|d| d.message.clone()).collect(),
    };
    assert_eq!(messages, ["'InputType' must be left out with ManifestType S3_INVENTORY, whose files are CSV, not CSV"]);
}

// The guide: "CSV objects exported by an UNLOAD query do not include header in the first line".
#[test]
fn an_athena_csv_read_with_its_first_row_as_header_is_a_warning() {
    let athena = |config: serde_json::Value| {
        reading(json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config, "Parameters": {"Bucket": "b", "Key": "k"}}))
    };
    let warning = "/States/M/ItemReader/ReaderConfig: Athena's UNLOAD writes CSV files without a header row, and this reader takes \
                   each file's first row as its header; give the columns with CSVHeaderLocation GIVEN and CSVHeaders [ITEM_READER_CONFIG]";
    check_warnings(athena(json!({"ManifestType": "ATHENA_DATA", "InputType": "CSV"})), &[warning]);
    check_warnings(athena(json!({"ManifestType": "ATHENA_DATA", "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})), &[warning]);
    check_warnings(athena(json!({"ManifestType": "ATHENA_DATA", "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a"]})), &[]);
    check_warnings(athena(json!({"ManifestType": "ATHENA_DATA", "InputType": "JSONL"})), &[]);
    check_warnings(athena(json!({"InputType": "CSV"})), &[]);
}

// The developer guide: "When set to LOAD_AND_FLATTEN, you must also set InputType", with listObjectsV2.
#[test]
fn load_and_flatten_lists_objects_of_an_input_type() {
    let list = |config: serde_json::Value| {
        reading(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "ReaderConfig": config, "Parameters": {"Bucket": "b", "Prefix": "p/"}}))
    };
    let flatten = |definition: &serde_json::Value| {
        let machine = parse_value(definition).expect("a valid definition");
        machine.workflows.iter().flat_map(|w| &w.states).find_map(|state| match &state.kind {
            crate::model::StateKind::Map(map) => map.item_reader.as_ref().map(|reader| reader.flatten),
            _ => None,
        })
    };
    assert_eq!(flatten(&list(json!({"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"}))), Some(true));
    assert_eq!(flatten(&list(json!({"Transformation": "NONE"}))), Some(false));
    check_errors(list(json!({"Transformation": "LOAD_AND_FLATTEN"})), &["/States/M/ItemReader/ReaderConfig: SCHEMA_VALIDATION_FAILED"]);
    check_errors(list(json!({"Transformation": "FLATTEN"})), &["/States/M/ItemReader/ReaderConfig/Transformation: SCHEMA_VALIDATION_FAILED"]);
    check_errors(
        list(json!({"InputType": "MANIFEST", "Transformation": "LOAD_AND_FLATTEN"})),
        &["/States/M/ItemReader/Resource: SCHEMA_VALIDATION_FAILED", "/States/M/ItemReader/ReaderConfig/InputType: SCHEMA_VALIDATION_FAILED"],
    );
    check_errors(
        reading(json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV", "Transformation": "LOAD_AND_FLATTEN"},
            "Parameters": {"Bucket": "b", "Key": "k"}})),
        &["/States/M/ItemReader/ReaderConfig/Transformation: SCHEMA_VALIDATION_FAILED"],
    );
}

// The developer guide: "VersionId is not supported for Parquet files".
#[test]
fn a_parquet_reader_takes_no_version_id() {
    let get = |parameters: serde_json::Value| {
        reading(json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"}, "Parameters": parameters}))
    };
    check_errors(get(json!({"Bucket": "b", "Key": "k"})), &[]);
    check_errors(get(json!({"Bucket": "b", "Key": "k", "VersionId": "v1"})), &["/States/M/ItemReader/Parameters/VersionId: SCHEMA_VALIDATION_FAILED"]);
}
