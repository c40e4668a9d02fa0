//! Variable scope validation: a reference to a workflow variable that no state can have assigned.
//!
//! A workflow sees the variables assigned by its own states and by the states of the workflows around it (a
//! Parallel branch or an inline Map's processor sees its parent's); a distributed Map's processor runs as child
//! executions and sees none. A JSONPath field that reads `$name` where no visible state assigns `name` can never
//! work, and is an error.
//!
//! A JSONata expression that reads such a `$name` is a warning, not an error: AWS accepts the definition and the
//! expression finds the variable undefined when it runs (the conformance corpus records `{% $doesNotExist %}` failing
//! with "returned nothing (undefined)"), and an expression may test for undefined on purpose (`$exists($x)`). The
//! expression's own names are left out: `$states`, JSONata's and Step Functions' functions, names it binds itself
//! (`$x := …`, `function($v)`, `@$item`, `#$i`, anywhere in the expression) and names only called (`$f(…)`). The
//! text is scanned, not parsed, with strings, backquoted names, regexes and comments skipped.

use std::collections::BTreeSet;

use serde_json::{Map as Object, Value};

use crate::Diagnostic;
use crate::diagnostic::{SCHEMA, UNASSIGNED, escape};
use crate::expr::is_expression;

/// What the check found: errors (JSONPath references) and warnings (JSONata references).
#[derive(Default)]
pub(crate) struct Findings {
    pub(crate) errors: Vec<Diagnostic>,
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Finds every reference to a variable out of scope in `definition`.
pub(crate) fn check(definition: &Value) -> Findings {
    let mut findings = Findings::default();
    if let Some(root) = definition.as_object() {
        let jsonata = root.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
        workflow(root, "", &BTreeSet::new(), jsonata, &mut findings);
    }
    findings
}

fn workflow(object: &Object<String, Value>, pointer: &str, outer: &BTreeSet<String>, jsonata: bool, findings: &mut Findings) {
    let Some(states) = object.get("States").and_then(Value::as_object) else { return };
    let mut visible = outer.clone();
    for state in states.values() {
        assigned_names(state, &mut visible);
    }
    for (name, state) in states {
        let Some(state) = state.as_object() else { continue };
        let state_pointer = format!("{pointer}/States/{}", escape(name));
        let state_jsonata = match state.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => true,
            Some("JSONPath") => false,
            _ => jsonata,
        };
        if state_jsonata {
            jsonata_references(state, &state_pointer, &visible, &mut findings.warnings);
        } else {
            references(state, &state_pointer, &visible, &mut findings.errors);
        }
        for (i, branch) in state.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(branch) = branch.as_object() {
                workflow(branch, &format!("{state_pointer}/Branches/{i}"), &visible, state_jsonata, findings);
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            let Some(processor) = state.get(key).and_then(Value::as_object) else { continue };
            let distributed = processor.get("ProcessorConfig").and_then(|c| c.get("Mode")).and_then(Value::as_str) == Some("DISTRIBUTED");
            let none = BTreeSet::new();
            let inherited = if distributed { &none } else { &visible };
            workflow(processor, &format!("{state_pointer}/{key}"), inherited, state_jsonata, findings);
        }
    }
}

/// The names a state assigns: its `Assign`, its Choice rules' and its catchers' `Assign`.
fn assigned_names(state: &Value, names: &mut BTreeSet<String>) {
    let mut add = |assign: Option<&Value>| {
        for key in assign.and_then(Value::as_object).into_iter().flat_map(|o| o.keys()) {
            names.insert(key.strip_suffix(".$").unwrap_or(key).to_owned());
        }
    };
    add(state.get("Assign"));
    for list in ["Choices", "Catch"] {
        for item in state.get(list).and_then(Value::as_array).into_iter().flatten() {
            add(item.get("Assign"));
        }
    }
}

/// Fields whose string value is a path (or intrinsic call) that can read a variable.
fn is_path_field(key: &str) -> bool {
    key.ends_with(".$") || key.ends_with("Path") || key == "Variable"
}

/// Checks the variable references of one JSONPath state, not descending into nested workflows.
fn references(state: &Object<String, Value>, pointer: &str, visible: &BTreeSet<String>, diagnostics: &mut Vec<Diagnostic>) {
    for (key, value) in state {
        if matches!(key.as_str(), "Branches" | "ItemProcessor" | "Iterator" | "Result") {
            continue;
        }
        walk(key, value, &format!("{pointer}/{}", escape(key)), visible, diagnostics);
    }
}

fn walk(key: &str, value: &Value, pointer: &str, visible: &BTreeSet<String>, diagnostics: &mut Vec<Diagnostic>) {
    match value {
        Value::String(text) if is_path_field(key) => {
            for name in variables_in(text) {
                if !visible.contains(&name) {
                    diagnostics.push(Diagnostic::new(
                        pointer,
                        SCHEMA,
                        format!("'${name}' is not a variable that any state of this workflow or an enclosing one assigns"),
                    ));
                }
            }
        }
        Value::Object(object) => {
            for (k, v) in object {
                walk(k, v, &format!("{pointer}/{}", escape(k)), visible, diagnostics);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(key, item, &format!("{pointer}/{i}"), visible, diagnostics);
            }
        }
        _ => {}
    }
}

/// Checks the variable reads of one JSONata state's expressions, not descending into nested workflows; a comment is
/// no expression.
fn jsonata_references(state: &Object<String, Value>, pointer: &str, visible: &BTreeSet<String>, warnings: &mut Vec<Diagnostic>) {
    for (key, value) in state {
        if matches!(key.as_str(), "Branches" | "ItemProcessor" | "Iterator" | "Comment") {
            continue;
        }
        let pointer = format!("{pointer}/{}", escape(key));
        match (key.as_str(), value) {
            ("Choices" | "Catch", Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let item_pointer = format!("{pointer}/{i}");
                    for (field, value) in item.as_object().into_iter().flatten().filter(|(field, _)| *field != "Comment") {
                        walk_jsonata(value, &format!("{item_pointer}/{}", escape(field)), visible, warnings);
                    }
                }
            }
            _ => walk_jsonata(value, &pointer, visible, warnings),
        }
    }
}

fn walk_jsonata(value: &Value, pointer: &str, visible: &BTreeSet<String>, warnings: &mut Vec<Diagnostic>) {
    match value {
        Value::String(text) if is_expression(text) => {
            let inner = text.get(2..text.len() - 2).unwrap_or("");
            for name in free_variables(inner) {
                if !visible.contains(&name) {
                    warnings.push(Diagnostic::warning(
                        pointer,
                        UNASSIGNED,
                        format!(
                            "'${name}' is not a variable that any state of this workflow or an enclosing one assigns; \
                             it is undefined here"
                        ),
                    ));
                }
            }
        }
        Value::Object(object) => {
            for (k, v) in object {
                walk_jsonata(v, &format!("{pointer}/{}", escape(k)), visible, warnings);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_jsonata(item, &format!("{pointer}/{i}"), visible, warnings);
            }
        }
        _ => {}
    }
}

/// JSONata's functions and Step Functions' additions: `$name`s that are no workflow variable.
const FUNCTIONS: &[&str] = &[
    "abs", "append", "assert", "average", "base64decode", "base64encode", "boolean", "ceil", "contains", "count",
    "decodeUrl", "decodeUrlComponent", "distinct", "each", "encodeUrl", "encodeUrlComponent", "error", "eval",
    "exists", "filter", "floor", "formatBase", "formatInteger", "formatNumber", "fromMillis", "hash", "join", "keys",
    "length", "lookup", "lowercase", "map", "match", "max", "merge", "millis", "min", "not", "now", "number", "pad",
    "parse", "parseInteger", "partition", "power", "random", "range", "reduce", "replace", "reverse", "round",
    "shuffle", "sift", "single", "sort", "split", "spread", "sqrt", "string", "substring", "substringAfter",
    "substringBefore", "sum", "toMillis", "trim", "type", "uppercase", "uuid", "zip",
];

/// The `$name`s a JSONata expression reads from outside itself, in order of first appearance; see the module docs
/// for what is left out.
fn free_variables(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut reads: Vec<String> = Vec::new();
    let mut bound: BTreeSet<String> = BTreeSet::new();
    // The last significant character outside a token, to tell a regex's `/` from a division.
    let mut last = '(';
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\'' | '"' | '`' => {
                i = skip_quoted(&chars, i);
                last = 'a';
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars.get(i) == Some(&'*') && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            '/' if "([{,:;=!<>&|?~+-*%".contains(last) => {
                // A regex literal: up to the next unescaped `/`, then its flags.
                i = skip_quoted(&chars, i);
                while chars.get(i).is_some_and(|c| c.is_ascii_alphabetic()) {
                    i += 1;
                }
                last = 'a';
                continue;
            }
            '$' => {
                let start = i + 1;
                let mut end = start;
                while chars.get(end).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                    end += 1;
                }
                let name: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
                let before = previous_significant(&chars, i);
                let after = next_significant(&chars, end);
                i = end;
                last = 'a';
                if name.is_empty() || chars.get(start) == Some(&'$') {
                    continue;
                }
                let assigned = after == Some(':') && next_index(&chars, end).is_some_and(|j| chars.get(j + 1) == Some(&'='));
                let binds = matches!(before, Some('@' | '#')) || assigned;
                if binds {
                    bound.insert(name);
                } else if after != Some('(') && !reads.contains(&name) {
                    reads.push(name);
                }
                continue;
            }
            _ => {}
        }
        if text_at(&chars, i, "function") || c == 'λ' {
            // A lambda's parameters, `function($a, $b)`, are bound in the expression.
            let open = i + if c == 'λ' { 1 } else { "function".len() };
            if let Some(start) = next_index(&chars, open).filter(|j| chars.get(*j) == Some(&'(')) {
                let mut j = start + 1;
                while let Some(&d) = chars.get(j) {
                    if d == ')' {
                        break;
                    }
                    if d == '$' {
                        let name_start = j + 1;
                        let mut end = name_start;
                        while chars.get(end).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                            end += 1;
                        }
                        bound.insert(chars.get(name_start..end).unwrap_or(&[]).iter().collect());
                        j = end;
                        continue;
                    }
                    j += 1;
                }
                i = j;
                last = ')';
                continue;
            }
        }
        if !c.is_whitespace() {
            last = c;
        }
        i += 1;
    }
    reads.retain(|name| name != "states" && !bound.contains(name) && !FUNCTIONS.contains(&name.as_str()));
    reads
}

/// The index just past the quoted text (or regex) that starts at `start`; a backslash protects the next character.
fn skip_quoted(chars: &[char], start: usize) -> usize {
    let quote = chars.get(start).copied().unwrap_or('"');
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        if c == '\\' && quote != '`' {
            i += 2;
            continue;
        }
        i += 1;
        if c == quote {
            break;
        }
    }
    i
}

/// The index of the first non-blank character at or after `from`.
fn next_index(chars: &[char], from: usize) -> Option<usize> {
    (from..chars.len()).find(|&i| chars.get(i).is_some_and(|c| !c.is_whitespace()))
}

/// The first non-blank character at or after `from`.
fn next_significant(chars: &[char], from: usize) -> Option<char> {
    next_index(chars, from).and_then(|i| chars.get(i).copied())
}

/// The last non-blank character before `before`.
fn previous_significant(chars: &[char], before: usize) -> Option<char> {
    chars.get(..before)?.iter().rev().find(|c| !c.is_whitespace()).copied()
}

/// Whether the word `word` stands at `at`, not inside a longer name.
fn text_at(chars: &[char], at: usize, word: &str) -> bool {
    let name = |c: &char| c.is_alphanumeric() || *c == '_' || *c == '$';
    let len = word.chars().count();
    chars.get(at..at + len).is_some_and(|found| found.iter().copied().eq(word.chars()))
        && !at.checked_sub(1).and_then(|i| chars.get(i)).is_some_and(name)
        && !chars.get(at + len).is_some_and(name)
}

/// The variables a JSONPath path or intrinsic call reads: `$name` outside quoted string literals, where `name` does
/// not start `$$` (the Context object) or `$.`/`$[` (the input).
fn variables_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match c {
            '\'' if previous != '\\' => quoted = !quoted,
            '$' if !quoted && previous != '$' => {
                let mut name = String::new();
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        name.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') {
                    names.push(name);
                }
            }
            _ => {}
        }
        previous = c;
    }
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{check, free_variables, variables_in};

    #[track_caller]
    fn check_refs(definition: serde_json::Value, expected: &[&str]) {
        let findings = check(&definition);
        let pointers: Vec<&str> = findings.errors.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(pointers, expected);
    }

    /// The JSONata warnings for `definition`, as `pointer: message`.
    #[track_caller]
    fn check_warnings(definition: serde_json::Value, expected: &[&str]) {
        let findings = check(&definition);
        assert!(findings.errors.is_empty(), "no JSONPath errors expected: {:?}", findings.errors);
        let warnings: Vec<String> = findings.warnings.iter().map(|d| format!("{}: {}", d.pointer, d.message)).collect();
        assert_eq!(warnings, expected);
    }

    #[track_caller]
    fn check_free(expression: &str, expected: &[&str]) {
        assert_eq!(free_variables(expression), expected, "expression {expression}");
    }

    #[test]
    fn jsonata_reads_outside_the_expression() {
        check_free("$x + $y.z + $x", &["x", "y"]);
        check_free("$states.input.a & $uppercase($v)", &["v"]);
        check_free("$map($items, $string)", &["items"]);
        check_free("($t := $states.input; $t.a)", &[]);
        check_free("$map($xs, function($v, $i) { $v * $i + $k })", &["xs", "k"]);
        check_free("$filter($xs, λ($v) { $v > 1 })", &["xs"]);
        check_free("items@$item#$pos.{ 'a': $item, 'i': $pos }", &[]);
        check_free("$f := function($n) { $n < 2 ? 1 : $n * $f($n - 1) }; $f(5)", &[]);
        check_free("'$not' & \"$either\" & `$field` & $real", &["real"]);
        check_free("$match($s, /^a$b/) ~> $count()", &["s"]);
        check_free("$a / $b /* $c */ / 2", &["a", "b"]);
        check_free("$ + $$ + $$.x", &[]);
        check_free("$exists($maybe) ? $maybe : 0", &["maybe"]);
        check_free("$partition([1,2], 1) & $uuid() & $hash('x', 'SHA-256') & $parse('1')", &[]);
    }

    #[test]
    fn unassigned_jsonata_reads_are_warnings() {
        check_warnings(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Comment": "{% $commented %}", "Next": "B"},
                "B": {"Type": "Choice", "Choices": [{"Condition": "{% $x > $limit %}", "Next": "C", "Comment": "{% $no %}"}], "Default": "C"},
                "C": {"Type": "Pass", "Output": {"a": "{% $x %}", "b": ["{% $gone %}", "$literal"]}, "End": true}
            }}),
            &[
                "/States/B/Choices/0/Condition: '$limit' is not a variable that any state of this workflow or an enclosing one assigns; it is undefined here",
                "/States/C/Output/b/0: '$gone' is not a variable that any state of this workflow or an enclosing one assigns; it is undefined here",
            ],
        );
    }

    #[test]
    fn jsonata_scopes_follow_workflows() {
        check_warnings(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
                "M": {"Type": "Map", "Items": "{% [$x] %}", "End": true, "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "I", "States": {"I": {"Type": "Pass", "Output": "{% $x %}", "End": true}}}},
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "J", "States": {"J": {"Type": "Pass", "Output": "{% $x %}", "End": true}}}]}
            }}),
            &["/States/M/ItemProcessor/States/I/Output: '$x' is not a variable that any state of this workflow or an enclosing one assigns; it is undefined here"],
        );
        // A JSONPath state in a JSONPath machine is checked as JSONPath; a JSONata state's strings that are not
        // expressions are not read.
        check_warnings(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "$nope", "End": true}}}),
            &[],
        );
    }

    #[test]
    fn finds_variables_outside_literals() {
        assert_eq!(variables_in("$a.b"), ["a"]);
        assert_eq!(variables_in("States.Format('{} $x', $y, $$.Execution.Id, $.z)"), ["y"]);
        assert_eq!(variables_in("$"), Vec::<String>::new());
    }

    #[test]
    fn unassigned_reference_is_reported() {
        check_refs(
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"a.$": "$x", "b.$": "$nope"}, "OutputPath": "$gone", "End": true}
            }}),
            &["/States/B/Parameters/b.$", "/States/B/OutputPath"],
        );
    }

    #[test]
    fn inner_scopes_see_outer_variables_but_distributed_maps_do_not() {
        check_refs(
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
                "M": {"Type": "Map", "ItemSelector": {"v.$": "$x"}, "End": true, "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"v.$": "$x"}, "End": true}}}}
            }}),
            &["/States/M/ItemProcessor/States/I/Parameters/v.$"],
        );
        check_refs(
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"v.$": "$x"}, "End": true}}}]}
            }}),
            &[],
        );
    }
}
