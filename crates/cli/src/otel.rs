//! `baton serve`'s OpenTelemetry traces: where to export them, from `--otlp-endpoint` or the OpenTelemetry
//! specification's environment variables.
//!
//! Traces are on when `--otlp-endpoint`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! given (and the variables are not turned off by `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`); without
//! them nothing is exported, nothing is recorded, and the default `localhost:4318` is not tried. As the specification
//! says, `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL to which `/v1/traces` is added, and the traces variable is used as
//! it is; `--otlp-endpoint` is read like the base URL, unless it already ends in `/v1/traces`.
//! `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` chooses `http/protobuf` (the default) or `http/json`; `grpc` is refused.
//! `OTEL_SERVICE_NAME` (else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `baton`), the batch span processor's
//! `OTEL_BSP_*` and `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT` are read here; `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS` and
//! `OTEL_RESOURCE_ATTRIBUTES` by the exporter itself.

#[cfg(test)]
mod tests;

use anyhow::bail;

use runtime::service::{Otlp, OtlpBatch, OtlpProtocol};

/// Where traces go, if anywhere: `flag` is `--otlp-endpoint`, `variable` reads the environment.
pub(crate) fn otlp(flag: Option<&str>, variable: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Option<Otlp>> {
    let variable = |name: &str| variable(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    let off = variable("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true"))
        || variable("OTEL_TRACES_EXPORTER").is_some_and(|value| value.eq_ignore_ascii_case("none"));
    let endpoint = match flag.map(str::trim).filter(|flag| !flag.is_empty()) {
        Some(flag) if flag.trim_end_matches('/').ends_with("/v1/traces") => flag.to_owned(),
        Some(flag) => traces_url(flag),
        None if off => return Ok(None),
        None => match (variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), variable("OTEL_EXPORTER_OTLP_ENDPOINT")) {
            (Some(traces), _) => traces,
            (None, Some(base)) => traces_url(&base),
            (None, None) => return Ok(None),
        },
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        bail!("the OTLP endpoint must be an http:// or https:// URL, not '{endpoint}'");
    }
    let protocol = match variable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").or_else(|| variable("OTEL_EXPORTER_OTLP_PROTOCOL")).as_deref() {
        None | Some("http/protobuf") => OtlpProtocol::Protobuf,
        Some("http/json") => OtlpProtocol::Json,
        Some(other) => bail!(
            "Baton exports traces over OTLP/HTTP only: OTEL_EXPORTER_OTLP_PROTOCOL may be http/protobuf or http/json, not \
             '{other}' (a collector takes OTLP/HTTP on port 4318)"
        ),
    };
    let service_name = variable("OTEL_SERVICE_NAME")
        .or_else(|| {
            let attributes = variable("OTEL_RESOURCE_ATTRIBUTES")?;
            attributes.split(',').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                (key.trim() == "service.name").then(|| value.trim().to_owned()).filter(|value| !value.is_empty())
            })
        })
        .unwrap_or_else(|| "baton".to_owned());
    if !cfg!(feature = "otlp") {
        bail!("this baton was built without the `otlp` feature: it cannot export traces to {endpoint}");
    }
    let defaults = OtlpBatch::default();
    let number = |names: &[&str], default: u64| -> anyhow::Result<u64> {
        let Some((name, value)) = names.iter().find_map(|name| variable(name).map(|value| (*name, value))) else { return Ok(default) };
        value.parse().map_err(|_| anyhow::anyhow!("{name} must be a whole number, not '{value}'"))
    };
    let count = |name: &str, default: usize| -> anyhow::Result<usize> {
        let value = number(&[name], u64::try_from(default).unwrap_or(u64::MAX))?;
        Ok(usize::try_from(value).unwrap_or(usize::MAX).max(1))
    };
    let batch = OtlpBatch {
        delay_ms: number(&["OTEL_BSP_SCHEDULE_DELAY"], defaults.delay_ms)?,
        max_queue: count("OTEL_BSP_MAX_QUEUE_SIZE", defaults.max_queue)?,
        max_batch: count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", defaults.max_batch)?,
        timeout_ms: number(&["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"], defaults.timeout_ms)?,
    };
    Ok(Some(Otlp { endpoint, protocol, service_name, batch }))
}

/// The traces URL under a collector's base URL.
fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// How the serving line names the protocol.
pub(crate) fn protocol_name(protocol: OtlpProtocol) -> &'static str {
    match protocol {
        OtlpProtocol::Protobuf => "http/protobuf",
        OtlpProtocol::Json => "http/json",
    }
}
