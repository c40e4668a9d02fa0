//! Input and output processing: paths, templates, the Context object and the evaluation environment.

use std::borrow::Cow;

use serde_json::{Map as Object, Value, json};

use asl::expr::{Dynamic, Expr, Scope as JsonataScope, States};
use asl::model::{Arguments, Assign, Catcher, PathOrNull, QueryLanguage, ResultPath, Seconds, State, StateKind, Text, WaitUntil};
use asl::template::Template;
use asl::{Env, Failure, errors};

use crate::execution::{Execution, Frame, display_plain, next_random, seconds_ms};
use crate::time::format_timestamp;

/// What a completing state hands to `conclude`.
pub(super) struct Conclusion<'a> {
    /// The state's result (a task's, the Parallel or Map results, a Pass state's), or, for states without one, its
    /// effective input ([`input_as_result`]).
    pub result: Value,
    pub has_result: bool,
    pub selector: Option<&'a Template>,
    pub result_path: Option<&'a ResultPath>,
    pub assign: Option<&'a Assign>,
    pub output: Option<&'a Dynamic>,
}

/// A state's output and the variables it assigns.
pub(super) type Concluded = (Value, Option<Object<String, Value>>);

/// The `Conclusion::result` of a state without a result (`has_result: false`): its effective input, which a JSONPath
/// state concludes from. A JSONata state reads `$states.input` and its default output from the frame instead, so for
/// it the input is not copied and the result is null, never read.
pub(super) fn input_as_result(effective: Cow<'_, Value>, language: QueryLanguage) -> Value {
    match language {
        QueryLanguage::JsonPath => effective.into_owned(),
        QueryLanguage::Jsonata => Value::Null,
    }
}

impl Execution {
    /// A state's output and assignments from its result: ResultSelector, ResultPath, OutputPath and Assign in
    /// JSONPath states; Output and Assign over `$states` in JSONata states. Both see the variables as they were
    /// before the state: assignments take effect after.
    pub(super) fn conclude(&self, frame: &Frame, state: &State, c: Conclusion<'_>) -> Result<Concluded, Failure> {
        match state.query_language {
            QueryLanguage::JsonPath => {
                let (selected, assigned) = self.select_and_assign(frame, state, c.result, c.selector, c.assign)?;
                let merged = match c.result_path {
                    Some(result_path) => self.apply_result_path(frame, state, result_path, selected)?,
                    None => selected,
                };
                Ok((self.output_path(frame, state, merged)?, assigned))
            }
            QueryLanguage::Jsonata => {
                let states = self.states(frame, state, c.has_result.then_some(&c.result), None, None);
                let assigned = match c.assign {
                    Some(Assign::Jsonata(assign)) => Some(variables(self.jsonata(frame, state, assign, &states, "Assign")?)),
                    _ => None,
                };
                let output = match c.output {
                    Some(output) => self.jsonata(frame, state, output, &states, "Output")?,
                    None if c.has_result => c.result,
                    None => frame.input.clone(),
                };
                Ok((output, assigned))
            }
        }
    }

    /// ResultSelector and Assign of a JSONPath state: the selected result, and the variables assigned.
    pub(super) fn select_and_assign(
        &self,
        frame: &Frame,
        state: &State,
        result: Value,
        selector: Option<&Template>,
        assign: Option<&Assign>,
    ) -> Result<(Value, Option<Object<String, Value>>), Failure> {
        let selected = match selector {
            Some(selector) => self.template(frame, state, selector, &result, None)?,
            None => result,
        };
        let assigned = self.assigned(frame, state, assign, &selected)?;
        Ok((selected, assigned))
    }

    /// The variables a JSONPath state's Assign assigns, evaluated against `value`.
    pub(super) fn assigned(&self, frame: &Frame, state: &State, assign: Option<&Assign>, value: &Value) -> Result<Option<Object<String, Value>>, Failure> {
        match assign {
            Some(Assign::JsonPath(template)) => Ok(Some(variables(self.template(frame, state, template, value, None)?))),
            _ => Ok(None),
        }
    }

    /// The output and assignments of a catcher that handles `error_output` (`{"Error", "Cause"}`).
    pub(super) fn conclude_catch(&self, frame: &Frame, state: &State, catcher: &Catcher, error_output: Value) -> Result<Concluded, Failure> {
        match state.query_language {
            QueryLanguage::JsonPath => {
                let assigned = match &catcher.assign {
                    Some(Assign::JsonPath(template)) => Some(variables(self.template(frame, state, template, &error_output, None)?)),
                    _ => None,
                };
                Ok((self.apply_result_path(frame, state, &catcher.result_path, error_output)?, assigned))
            }
            QueryLanguage::Jsonata => {
                let states = self.states(frame, state, None, Some(&error_output), None);
                let assigned = match &catcher.assign {
                    Some(Assign::Jsonata(assign)) => Some(variables(self.jsonata(frame, state, assign, &states, "Assign")?)),
                    _ => None,
                };
                let output = match &catcher.output {
                    Some(output) => self.jsonata(frame, state, output, &states, "Output")?,
                    None => error_output,
                };
                Ok((output, assigned))
            }
        }
    }

    /// The input a state hands to its work: Parameters (JSONPath) or Arguments (JSONata), by default the effective
    /// input. `map_item` is `$$.Map.Item` (`$states.context.Map.Item`) for a Map's ItemSelector.
    pub(super) fn arguments(
        &self,
        frame: &Frame,
        state: &State,
        arguments: Option<&Arguments>,
        effective: &Value,
        map_item: Option<Value>,
        field: &str,
    ) -> Result<Value, Failure> {
        match arguments {
            None => Ok(effective.clone()),
            Some(Arguments::Parameters(template)) => self.template(frame, state, template, effective, map_item),
            Some(Arguments::Arguments(arguments)) => {
                let states = self.states(frame, state, None, None, map_item);
                self.jsonata(frame, state, arguments, &states, field)
            }
        }
    }

    /// The state's effective input: InputPath applied in JSONPath states, the input itself in JSONata states
    /// (borrowed from the frame when it is the input itself).
    pub(super) fn effective_input<'f>(&self, frame: &'f Frame, state: &State) -> Result<Cow<'f, Value>, Failure> {
        match (state.query_language, &state.input_path) {
            (QueryLanguage::JsonPath, Some(_)) => self.input_path(frame, state).map(Cow::Owned),
            (QueryLanguage::JsonPath, None) | (QueryLanguage::Jsonata, _) => Ok(Cow::Borrowed(&frame.input)),
        }
    }

    /// `$states` for a JSONata evaluation: the input, and the result, error output and Context object when there.
    /// The input, result and error output are borrowed, not copied.
    pub(super) fn states<'a>(
        &self,
        frame: &'a Frame,
        state: &State,
        result: Option<&'a Value>,
        error_output: Option<&'a Value>,
        map_item: Option<Value>,
    ) -> States<'a> {
        let context = (state.uses_context || map_item.is_some()).then(|| self.context(frame, state, map_item));
        States { input: &frame.input, result, error_output, context }
    }

    /// Evaluates a value with JSONata inside for `field`.
    pub(super) fn jsonata(&self, frame: &Frame, state: &State, value: &Dynamic, states: &States, field: &str) -> Result<Value, Failure> {
        let random = || next_random(&self.rng);
        let scope = JsonataScope { states, vars: &*frame.vars, now_ms: self.now, random: &random, guard: &self.guard };
        value.evaluate(&scope, field).map_err(|failure| self.prefixed(frame, state, failure))
    }

    /// Evaluates one JSONata expression for `field`.
    pub(super) fn jsonata_expr(&self, frame: &Frame, state: &State, expr: &Expr, states: &States, field: &str) -> Result<Value, Failure> {
        let random = || next_random(&self.rng);
        let scope = JsonataScope { states, vars: &*frame.vars, now_ms: self.now, random: &random, guard: &self.guard };
        expr.evaluate(&scope, field).map_err(|failure| self.prefixed(frame, state, failure))
    }

    /// A JSONata expression's value that must be a non-negative whole number, for `field`.
    pub(super) fn jsonata_count(&self, frame: &Frame, state: &State, expr: &Expr, field: &str) -> Result<u64, Failure> {
        let states = self.states(frame, state, None, None, None);
        let value = self.jsonata_expr(frame, state, expr, &states, field)?;
        whole_number(&value).ok_or_else(|| {
            let message = format!(
                "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected 'integer', but was '{}' for value: {value}",
                expr.as_str(),
                jsonata_type(&value)
            );
            Failure::new(errors::QUERY_EVALUATION_ERROR, self.prefix_text(frame, state, &message))
        })
    }
    pub(super) fn input_path(&self, frame: &Frame, state: &State) -> Result<Value, Failure> {
        match &state.input_path {
            None => Ok(frame.input.clone()),
            Some(PathOrNull::Null) => Ok(Value::Object(Object::new())),
            Some(PathOrNull::Path(path)) => self
                .with_env(frame, state, &frame.input, None, |env| path.select(env))
                .map_err(|message| self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str())))),
        }
    }

    pub(super) fn output_path(&self, frame: &Frame, state: &State, output: Value) -> Result<Value, Failure> {
        match &state.output_path {
            None => Ok(output),
            Some(PathOrNull::Null) => Ok(Value::Object(Object::new())),
            Some(PathOrNull::Path(path)) => self
                .with_env(frame, state, &output, None, |env| path.select(env))
                .map_err(|message| self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str())))),
        }
    }

    pub(super) fn apply_result_path(&self, frame: &Frame, state: &State, result_path: &ResultPath, result: Value) -> Result<Value, Failure> {
        match result_path {
            ResultPath::Replace => Ok(result),
            ResultPath::Discard => Ok(frame.input.clone()),
            ResultPath::At(path) => path.write(frame.input.clone(), result).map_err(|message| {
                let failure = Failure::new(errors::RESULT_PATH_MATCH_FAILURE, format!("Invalid path '{}' : {message}", path.as_str()));
                self.prefixed(frame, state, failure)
            }),
        }
    }

    pub(super) fn template(&self, frame: &Frame, state: &State, template: &Template, input: &Value, map_item: Option<Value>) -> Result<Value, Failure> {
        self.with_env(frame, state, input, map_item, |env| template.evaluate(env))
            .map_err(|failure| self.prefixed(frame, state, failure))
    }

    pub(super) fn seconds(&self, frame: &Frame, state: &State, seconds: Option<&Seconds>, field: &str) -> Result<Option<u64>, Failure> {
        match seconds {
            None => Ok(None),
            Some(Seconds::Literal(n)) => Ok(Some(*n)),
            Some(Seconds::Expr(expr)) => self.jsonata_count(frame, state, expr, field).map(Some),
            Some(Seconds::Path(path)) => {
                let value = self
                    .with_env(frame, state, &frame.input, None, |env| path.select(env))
                    .map_err(|message| self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str()))))?;
                match value.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(self.prefixed(
                        frame,
                        state,
                        Failure::runtime(format!("The value at {} must be a positive integer, but was: {value}", path.as_str())),
                    )),
                }
            }
        }
    }

    pub(super) fn wait_deadline(&self, frame: &Frame, state: &State, until: &WaitUntil, effective: &Value) -> Result<i64, Failure> {
        let runtime = |message: String| Failure::runtime(self.prefix_text(frame, state, &message));
        match until {
            WaitUntil::Seconds(seconds) => Ok(self.now.saturating_add(seconds_ms(*seconds))),
            WaitUntil::SecondsExpr(expr) => {
                let seconds = self.jsonata_count(frame, state, expr, "Seconds")?;
                Ok(self.now.saturating_add(seconds_ms(seconds)))
            }
            WaitUntil::TimestampExpr(expr) => {
                let states = self.states(frame, state, None, None, None);
                let value = self.jsonata_expr(frame, state, expr, &states, "Timestamp")?;
                value.as_str().and_then(asl::parse::parse_timestamp).ok_or_else(|| {
                    let message = format!(
                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                        display_plain(&value)
                    );
                    Failure::new(errors::QUERY_EVALUATION_ERROR, self.prefix_text(frame, state, &message))
                })
            }
            WaitUntil::Timestamp(at) => Ok(*at),
            WaitUntil::SecondsPath(path) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|_| runtime(format!("The SecondsPath parameter does not reference an input value: {}", path.as_str())))?;
                match &value {
                    Value::Number(n) => match n.as_i64() {
                        Some(seconds) if seconds < 0 => Err(runtime(format!(
                            "The SecondsPath parameter references a negative value: {} == {value}",
                            path.as_str()
                        ))),
                        Some(seconds) => Ok(self.now.saturating_add(seconds.saturating_mul(1000))),
                        None => Err(runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {value}",
                            path.as_str()
                        ))),
                    },
                    _ => Err(runtime(format!(
                        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                        path.as_str(),
                        display_plain(&value)
                    ))),
                }
            }
            WaitUntil::TimestampPath(path) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|_| runtime(format!("The TimestampPath parameter does not reference an input value: {}", path.as_str())))?;
                value.as_str().and_then(asl::parse::parse_timestamp).ok_or_else(|| {
                    runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                        path.as_str(),
                        display_plain(&value)
                    ))
                })
            }
        }
    }

    pub(super) fn fail_text(&self, frame: &Frame, state: &State, text: Option<&Text>, field: &str, input: &Value) -> Result<Option<String>, Failure> {
        match text {
            None => Ok(None),
            Some(Text::Literal(text)) => Ok(Some(text.clone())),
            Some(Text::Path(path)) => {
                let value = self.with_env(frame, state, input, None, |env| path.select(env)).map_err(|_| {
                    self.prefixed(
                        frame,
                        state,
                        Failure::runtime(format!(
                            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{input}'",
                            path.as_str()
                        )),
                    )
                })?;
                Ok(Some(display_plain(&value)))
            }
            Some(Text::Expr(expr)) => {
                let states = self.states(frame, state, None, None, None);
                let name = if field == "ErrorPath" { "Error" } else { "Cause" };
                let value = self.jsonata_expr(frame, state, expr, &states, name)?;
                Ok(Some(display_plain(&value)))
            }
            Some(Text::Intrinsic(call)) => {
                let value = self.with_env(frame, state, input, None, |env| call.evaluate(env)).map_err(|f| self.prefixed(frame, state, f))?;
                Ok(Some(display_plain(&value)))
            }
        }
    }

    /// Runs `f` with the evaluation environment of `state`: `input` as `$`, the Context object as `$$` (built only if
    /// the state mentions it), with `map_item` as `$$.Map.Item` when given.
    pub(super) fn with_env<R>(&self, frame: &Frame, state: &State, input: &Value, map_item: Option<Value>, f: impl FnOnce(&Env) -> R) -> R {
        let context = if state.uses_context { self.context(frame, state, map_item) } else { Value::Null };
        let random = || next_random(&self.rng);
        let env = Env { input, context: &context, vars: &*frame.vars, random: &random };
        f(&env)
    }

    pub(super) fn context(&self, frame: &Frame, state: &State, map_item: Option<Value>) -> Value {
        let mut state_object = Object::new();
        state_object.insert("EnteredTime".into(), format_timestamp(frame.entered_time).into());
        state_object.insert("Name".into(), state.name.clone().into());
        if matches!(state.kind, StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)) {
            state_object.insert("RetryCount".into(), frame.retry_count.into());
        }
        let mut context = Object::new();
        let mut execution = json!({
            "Id": self.info.execution_arn,
            "Input": self.input,
            "Name": self.info.name,
            "RoleArn": self.info.role_arn,
            "StartTime": format_timestamp(self.start_time),
        });
        if !self.info.express {
            execution["RedriveCount"] = self.redrive_count.into();
            if let Some(time) = self.redrive_time {
                execution["RedriveTime"] = format_timestamp(time).into();
            }
        }
        context.insert("Execution".into(), execution);
        context.insert("State".into(), Value::Object(state_object));
        context.insert("StateMachine".into(), json!({"Id": self.info.state_machine_arn, "Name": self.info.state_machine_name}));
        if let Some(token) = &frame.task_token {
            context.insert("Task".into(), json!({"Token": token}));
        }
        if let Some(item) = map_item {
            context.insert("Map".into(), json!({"Item": item}));
        }
        Value::Object(context)
    }

    /// Adds AWS's "An error occurred while executing the state …" preface to an evaluation failure.
    pub(super) fn prefixed(&self, frame: &Frame, state: &State, failure: Failure) -> Failure {
        let cause = failure.cause.as_deref().unwrap_or("");
        Failure { cause: Some(self.prefix_text(frame, state, cause)), error: failure.error }
    }

    pub(super) fn prefix_text(&self, frame: &Frame, state: &State, message: &str) -> String {
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {message}",
            state.name, frame.entered_event
        )
    }

}

/// A JSONPath Assign template's or a JSONata Assign's value as variables (the parser made it an object).
fn variables(value: Value) -> Object<String, Value> {
    match value {
        Value::Object(object) => object,
        _ => Object::new(),
    }
}

/// A JSON number that is a whole, non-negative number.
fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19).map(|f| f as u64))
}

/// JSONata's name for a value's type, as AWS's messages use it.
pub(crate) fn jsonata_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
