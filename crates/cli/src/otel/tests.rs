//! Where traces go, from the flag and the standard variables.

use runtime::service::{OtlpBatch, OtlpProtocol};

use super::otlp;

fn with(flag: Option<&str>, variables: &[(&str, &str)]) -> anyhow::Result<Option<runtime::service::Otlp>> {
    let lookup = |name: &str| variables.iter().find(|(own, _)| *own == name).map(|(_, value)| (*value).to_owned());
    otlp(flag, &lookup)
}

fn endpoint(flag: Option<&str>, variables: &[(&str, &str)]) -> Option<String> {
    with(flag, variables).expect("a configuration").map(|otlp| otlp.endpoint)
}

#[test]
fn nothing_is_exported_unless_an_endpoint_is_given() {
    assert_eq!(endpoint(None, &[]), None);
    assert_eq!(endpoint(None, &[("OTEL_SERVICE_NAME", "orders"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]), None);
    assert_eq!(endpoint(None, &[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]), None);
}

#[test]
fn the_base_endpoint_gets_the_traces_path_and_the_traces_endpoint_is_used_as_it_is() {
    assert_eq!(endpoint(None, &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).as_deref(), Some("http://collector:4318/v1/traces"));
    assert_eq!(endpoint(None, &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/otlp/")]).as_deref(), Some("http://collector:4318/otlp/v1/traces"));
    let both = [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://wrong:4318"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example/ingest")];
    assert_eq!(endpoint(None, &both).as_deref(), Some("https://traces.example/ingest"));
    assert_eq!(endpoint(Some("http://127.0.0.1:4318"), &both).as_deref(), Some("http://127.0.0.1:4318/v1/traces"), "the flag wins");
    assert_eq!(endpoint(Some("http://127.0.0.1:4318/v1/traces"), &[]).as_deref(), Some("http://127.0.0.1:4318/v1/traces"));
}

#[test]
fn the_variables_can_be_turned_off_but_not_the_flag() {
    let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
    assert_eq!(endpoint(None, &[base, ("OTEL_SDK_DISABLED", "TRUE")]), None);
    assert_eq!(endpoint(None, &[base, ("OTEL_TRACES_EXPORTER", "none")]), None);
    assert!(endpoint(None, &[base, ("OTEL_SDK_DISABLED", "false")]).is_some());
    assert!(endpoint(Some("http://127.0.0.1:4318"), &[("OTEL_SDK_DISABLED", "true")]).is_some());
}

#[test]
fn protocol_service_name_and_batching_come_from_the_standard_variables() {
    let flag = Some("http://127.0.0.1:4318");
    let default = with(flag, &[]).expect("valid").expect("on");
    assert_eq!(default.protocol, OtlpProtocol::Protobuf);
    assert_eq!(default.service_name, "baton");
    assert_eq!(default.batch, OtlpBatch::default());
    let json = with(flag, &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")]);
    assert_eq!(json.expect("valid").expect("on").protocol, OtlpProtocol::Json);
    let grpc = with(flag, &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).expect_err("grpc is refused").to_string();
    assert!(grpc.contains("OTLP/HTTP only"), "{grpc}");
    let named = with(flag, &[("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod, service.name = orders")]).expect("valid").expect("on");
    assert_eq!(named.service_name, "orders");
    let named = with(flag, &[("OTEL_SERVICE_NAME", "flows"), ("OTEL_RESOURCE_ATTRIBUTES", "service.name=orders")]).expect("valid").expect("on");
    assert_eq!(named.service_name, "flows");
    let variables = [
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "10"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
    ];
    let batch = with(flag, &variables).expect("valid").expect("on").batch;
    assert_eq!(batch, OtlpBatch { delay_ms: 200, max_queue: 10, max_batch: 1, timeout_ms: 2500 });
    let wrong = with(flag, &[("OTEL_BSP_SCHEDULE_DELAY", "soon")]).expect_err("refused").to_string();
    assert!(wrong.contains("OTEL_BSP_SCHEDULE_DELAY"), "{wrong}");
    assert!(with(Some("collector:4318"), &[]).is_err(), "an endpoint is a URL");
}
