//! `--update`: writes each case's actual output into its `expect.output`, keeping the file's syntax.
//!
//! A JSON file is written again whole (two-space indentation, members in their order). A YAML file is edited in
//! place, so its comments and layout stay: the `output:` line of each updated case is replaced by one line holding
//! the output as JSON (which YAML reads as a flow value), with the lines of the old value removed, or an
//! `output:` line is added under `expect:` (an `expect:` under the case's `name:` when there is none). Every edit
//! is checked by loading the edited text back: it must be the file's value with those outputs set, else the file
//! is left alone and the error says so (an `expect` written in flow style, `{…}`, cannot be edited this way).

use anyhow::{Context, bail};
use serde_json::{Map, Value};

use asl::source::Format;

use crate::test::file::{Match, Suite};

/// Writes the `outputs` (case index in the file → actual output) into `suite`'s file; returns how many changed.
/// Cases that expect `outputContains` are left as they are.
pub(crate) fn write(suite: &Suite, outputs: &[(usize, &Value)]) -> anyhow::Result<usize> {
    let (mut value, _) = asl::source::load(&suite.text).map_err(|d| anyhow::anyhow!("{d}"))?;
    let contains: Vec<usize> =
        suite.cases.iter().filter(|c| matches!(c.expect.output, Some(Match::Contains(_)))).map(|c| c.index).collect();
    let mut text = suite.text.clone();
    let mut changed = 0;
    for &(index, output) in outputs {
        if contains.contains(&index) {
            continue;
        }
        let Some(case) = value.pointer_mut(&format!("/cases/{index}")).and_then(Value::as_object_mut) else { continue };
        let expect = case.entry("expect").or_insert_with(|| Value::Object(Map::new()));
        let Some(expect) = expect.as_object_mut() else { continue };
        if expect.get("output") == Some(output) {
            continue;
        }
        expect.insert("output".to_owned(), output.clone());
        changed += 1;
        if suite.format == Format::Yaml {
            text = yaml_set(&text, index, output).with_context(|| format!("case {index}: its expect cannot be edited in place"))?;
        }
    }
    if changed == 0 {
        return Ok(0);
    }
    let text = match suite.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&value)?),
        Format::Yaml => {
            let (edited, _) = asl::source::load(&text).map_err(|d| anyhow::anyhow!("the edited YAML does not load: {d}"))?;
            if edited != value {
                bail!("the edited YAML does not read back as intended; edit the file by hand (block style `expect:`)");
            }
            text
        }
    };
    std::fs::write(&suite.path, text).with_context(|| format!("cannot write {}", suite.path.display()))?;
    Ok(changed)
}

/// `text` with case `index`'s `expect.output` set to `output`, edited line by line.
fn yaml_set(text: &str, index: usize, output: &Value) -> anyhow::Result<String> {
    let json = serde_json::to_string(output)?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let locate = |pointer: &str| asl::source::locate(text, Format::Yaml, pointer);
    let (value, _) = asl::source::load(text).map_err(|d| anyhow::anyhow!("{d}"))?;
    let expect = value.pointer(&format!("/cases/{index}/expect"));
    if let Some((line, column)) = expect.and_then(|e| e.get("output")).and(locate(&format!("/cases/{index}/expect/output"))) {
        // Replace the value after `output:` and the more-indented lines that continue it.
        let row = line.checked_sub(1).context("no such line")?;
        let current = lines.get(row).context("no such line")?.clone();
        let (prefix, rest) = split_at_char(&current, column.saturating_sub(1));
        if !prefix.chars().all(|c| c == ' ' || c == '-') {
            bail!("`output` is inside a flow mapping");
        }
        let key_end = ["output", "\"output\"", "'output'"].iter().find_map(|k| rest.strip_prefix(k)).context("unexpected key")?;
        let after = key_end.trim_start();
        if !after.starts_with(':') {
            bail!("unexpected text after `output`");
        }
        let mut end = row + 1;
        let indent = column.saturating_sub(1);
        let mut last_content = row;
        while let Some(next) = lines.get(end) {
            let trimmed = next.trim_start();
            let depth = next.chars().take_while(|c| *c == ' ').count();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                end += 1;
                continue;
            }
            if depth <= indent {
                break;
            }
            last_content = end;
            end += 1;
        }
        let replaced = format!("{prefix}output: {json}");
        lines.splice(row..=last_content, [replaced]);
    } else if let Some(first) = expect.and_then(Value::as_object).and_then(|e| e.keys().next()) {
        let pointer = format!("/cases/{index}/expect/{}", asl::diagnostic::escape(first));
        let (line, column) = locate(&pointer).context("cannot find the expect's first field")?;
        let row = line.checked_sub(1).context("no such line")?;
        let current = lines.get(row).context("no such line")?;
        let (prefix, _) = split_at_char(current, column.saturating_sub(1));
        if !prefix.chars().all(|c| c == ' ') {
            bail!("`expect` is a flow mapping");
        }
        lines.insert(row, format!("{prefix}output: {json}"));
    } else if expect.is_none() {
        let (line, column) = locate(&format!("/cases/{index}/name")).context("cannot find the case's name")?;
        let row = line.checked_sub(1).context("no such line")?;
        let indent = " ".repeat(column.saturating_sub(1));
        lines.insert(row + 1, format!("{indent}expect:"));
        lines.insert(row + 2, format!("{indent}  output: {json}"));
    } else {
        bail!("`expect` is empty or not a mapping");
    }
    let mut edited = lines.join("\n");
    if text.ends_with('\n') {
        edited.push('\n');
    }
    Ok(edited)
}

/// `text` split before its `chars`-th character.
fn split_at_char(text: &str, chars: usize) -> (&str, &str) {
    let at = text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i);
    text.split_at(at)
}
