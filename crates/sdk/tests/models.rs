//! Every embedded model decompresses and parses, and its operations name shapes it has.

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
