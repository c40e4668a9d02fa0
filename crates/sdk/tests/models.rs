//! Every embedded model decompresses and parses, and its operations name shapes it has; the embedded services are
//! exactly AWS's list of AWS SDK integrations (`scripts/aws-sdk-services.tsv`), with the names, botocore models,
//! error prefixes and unsupported actions it gives.

#[test]
fn every_model_loads() {
    let mut problems = Vec::new();
    let mut count = 0;
    for name in sdk::service_names() {
        count += 1;
        match sdk::load(name) {
            Ok(service) => {
                let model = &service.model;
                for (op_name, op) in &model.operations {
                    for shape in op.input.iter().chain(&op.output).chain(&op.errors) {
                        if model.shape(&shape.shape).is_none() {
                            problems.push(format!("{name}.{op_name}: no shape {}", shape.shape));
                        }
                    }
                }
            }
            Err(error) => problems.push(error.to_string()),
        }
    }
    assert!(count > 200, "only {count} models");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The hand-kept list the models are generated from; its header says what each column means.
const LIST: &str = include_str!("../../../scripts/aws-sdk-services.tsv");

/// One row of [`LIST`].
struct Row {
    name: &'static str,
    /// `None` for `-`: the pinned botocore has no model of the service.
    botocore: Option<&'static str>,
    /// `None` where the script derives it from the model's `serviceId`.
    error_prefix: Option<&'static str>,
    deprecated: bool,
    unsupported: Vec<&'static str>,
}

fn rows() -> Vec<Row> {
    let nonempty = |cell: Option<&'static str>| cell.filter(|cell| !cell.is_empty());
    LIST.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut cells = line.split('\t');
            let name = cells.next().unwrap_or_default();
            let botocore = nonempty(cells.next()).filter(|cell| *cell != "-");
            let error_prefix = nonempty(cells.next());
            let deprecated = cells.next() == Some("deprecated");
            let unsupported = cells.next().unwrap_or_default().split_whitespace().collect();
            Row { name, botocore, error_prefix, deprecated, unsupported }
        })
        .collect()
}

/// An operation as a resource names it: `GetObject` -> `getObject`.
fn camel(operation: &str) -> String {
    let mut chars = operation.chars();
    chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[test]
fn the_embedded_services_are_the_list() {
    let rows = rows();
    assert!(rows.len() > 300, "only {} rows in the list", rows.len());
    let mut problems = Vec::new();
    for row in &rows {
        let name = row.name;
        match (row.botocore, sdk::load(name)) {
            (Some(botocore), Ok(service)) => {
                if service.botocore != botocore {
                    problems.push(format!("{name}: botocore model {}, the list says {botocore}", service.botocore));
                }
                // The guide's exception prefix is always its service name, re-cased; where the list gives none, the
                // script's PascalCase of the serviceId must come out so.
                match row.error_prefix {
                    Some(prefix) if service.error_prefix != prefix => {
                        problems.push(format!("{name}: error prefix {}, the list says {prefix}", service.error_prefix));
                    }
                    None if service.error_prefix.to_ascii_lowercase() != name => {
                        problems.push(format!("{name}: error prefix {} is not the name re-cased", service.error_prefix));
                    }
                    _ => {}
                }
                if service.deprecated != row.deprecated {
                    problems.push(format!("{name}: deprecated is {}", service.deprecated));
                }
            }
            (None, Err(sdk::Error::UnknownService(_))) => {}
            (Some(_), Err(error)) => problems.push(format!("{name}: {error}")),
            (None, Ok(service)) => problems.push(format!("{name}: listed without a model, yet {} loads", service.botocore)),
            (None, Err(error)) => problems.push(format!("{name}: {error}")),
        }
        for operation in &row.unsupported {
            if !sdk::is_unsupported(name, &camel(operation)) {
                problems.push(format!("{name}:{operation} is not unsupported"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Exactly the listed services with a model: nothing more.
    let mut listed: Vec<_> = rows.iter().filter(|row| row.botocore.is_some()).map(|row| row.name).collect();
    listed.sort_unstable();
    assert_eq!(sdk::service_names().collect::<Vec<_>>(), listed);
}

#[test]
fn known_services() {
    let sfn = sdk::load("sfn").expect("sfn loads");
    assert_eq!((sfn.botocore, sfn.error_prefix), ("stepfunctions", "Sfn"));
    assert!(sfn.model.operations.contains_key("StartExecution"));
    assert!(!sfn.deprecated);

    let s3 = sdk::load("s3").expect("s3 loads");
    assert_eq!(s3.error_prefix, "S3");
    assert!(s3.model.operations.contains_key("GetObject"));

    for (name, botocore, prefix) in [
        ("dynamodb", "dynamodb", "DynamoDb"),
        ("acmpca", "acm-pca", "AcmPca"),
        ("eventbridge", "events", "EventBridge"),
        ("cloudwatchlogs", "logs", "CloudWatchLogs"),
        ("secretsmanager", "secretsmanager", "SecretsManager"),
        ("lambda", "lambda", "Lambda"),
        ("sqs", "sqs", "Sqs"),
        ("config", "config", "Config"),
        ("sesv2", "sesv2", "SesV2"),
    ] {
        let service = sdk::load(name).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!((service.botocore, service.error_prefix), (botocore, prefix), "{name}");
    }

    // botocore has a model of these, but Step Functions does not call them by these names, or not at all.
    for name in ["stepfunctions", "events", "logs", "acm-pca", "abuse-signal", "abusesignal", "S3"] {
        assert!(matches!(sdk::load(name), Err(sdk::Error::UnknownService(_))), "{name}");
    }
    // AWS lists QLDB, but botocore no longer models it.
    assert!(matches!(sdk::load("qldb"), Err(sdk::Error::UnknownService(_))));
}

#[test]
fn unsupported_actions() {
    assert!(sdk::is_unsupported("s3", "selectObjectContent"));
    assert!(sdk::is_unsupported("lambda", "invokeAsync"));
    assert!(sdk::is_unsupported("sts", "assumeRoleWithSAML"));
    assert!(!sdk::is_unsupported("s3", "getObject"));
    assert!(!sdk::is_unsupported("s3", "SelectObjectContent"));
    assert!(!sdk::is_unsupported("dynamodb", "selectObjectContent"));
}
