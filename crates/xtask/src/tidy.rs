//! The tidy checks: the architecture invariants of `ARCHITECTURE.md` and the hygiene rules of the style guide,
//! checked on the workspace's sources and manifests so that a change that breaks one fails `cargo test -p xtask`.
//!
//! Every rule reads tokens (`crate::lexer`), not lines, so a comment or a string that names `SystemTime` or
//! `eprintln!` is never flagged; only the SQL rule reads string literals, and only for SQL statements. Each
//! violation names the file, the line and the rule. `check` is pure: `load` reads the workspace, `check` judges it.
//!
//! Library code is every crate but `cli` and `xtask`, without its test code: files under `tests/`, `examples/` and
//! `benches/`, a `tests.rs` or `tests/` module, a module declared under `#[cfg(test)]`, and any item under
//! `#[cfg(test)]` or `#[test]`.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use crate::lexer::{Kind, Token, tokenize};

/// One Rust source file of the workspace.
#[derive(Debug, Clone)]
pub struct Source {
    /// The crate's folder name under `crates/`, which is its name.
    pub krate: String,
    /// The path from the workspace root, with `/`.
    pub path: String,
    pub text: String,
}

/// One crate's `Cargo.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub krate: String,
    /// The path from the workspace root, with `/`.
    pub path: String,
    pub text: String,
}

/// A broken rule, where it is broken.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub path: String,
    pub line: usize,
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: [{}] {}", self.path, self.line, self.rule, self.message)
    }
}

/// The crates that do no I/O and read no clock, randomness or environment (DESIGN.md §Architecture; `graph` is
/// pure by ARCHITECTURE.md), with the only external crates each may depend on. Adding one is a design change.
const PURE: &[(&str, &[&str])] = &[
    // `jiff` parses `$toMillis` pictures on main (d49bc51).
    ("jsonata", &["jsonata-core", "serde", "serde_json", "thiserror", "md-5", "sha1", "sha2", "jiff"]),
    // `serde` reads JSON definitions key by key, to refuse a repeated key as YAML does.
    ("asl", &["jsonata", "serde", "serde_json", "serde_json_path", "serde-saphyr", "jiff", "base64", "md-5", "sha1", "sha2"]),
    // `base64` and `miniz_oxide` decode and inflate the gzip files a Map's ItemReader reads (no I/O: bytes in, out).
    ("engine", &["asl", "parquet", "serde", "serde_json", "jiff", "base64", "miniz_oxide"]),
    ("graph", &["asl"]),
    // The AWS service models (zlib, inflated by miniz_oxide) and their protocols (XML through quick-xml).
    ("sdk", &["serde", "serde_json", "thiserror", "base64", "jiff", "miniz_oxide", "quick-xml"]),
    // Parquet files (a distributed Map's ItemReader) as JSON rows: binary values in base64, GZIP pages inflated.
    ("parquet", &["serde_json", "thiserror", "base64", "miniz_oxide"]),
];

/// The crates that may read the clock and start threads or tasks: `runtime` decides when things happen; `store`
/// (its writer thread, blocking reads) and `integrations` (local functions' pipes and timeouts, the `lambda:invoke`
/// envelope's date) do so only inside a call the runtime makes. Plus the binary and the tools.
const CLOCK_AND_THREADS: &[&str] = &["runtime", "store", "integrations", "cli", "xtask"];

/// The crates that are not library code: they may print and use `anyhow`. `pgtest` is test support (a
/// dev-dependency only), which prints the note of a skipped test.
const BINARIES: &[&str] = &["cli", "xtask", "pgtest"];

/// The one crate with SQL.
const SQL_CRATE: &str = "store";

/// The external crates that speak SQL to a database.
const SQL_DEPENDENCIES: &[&str] = &["rusqlite", "libsqlite3-sys", "sqlx", "postgres", "tokio-postgres"];

/// Test files that reach into a data directory's database from outside, as a crash, a bad disk or an operator would
/// (holding its write lock, damaging stored rows), to check what the server does then. Their crate may have the
/// database crate as a dev-dependency; nothing else outside `store` may.
const FAULT_INJECTION: &[&str] = &["crates/cli/tests/it/faults.rs"];

/// What `api` may depend on: it is the wire types, serde and JSON values only.
const API_DEPENDENCIES: &[&str] = &["serde", "serde_json"];

/// The layers of DESIGN.md, bottom up; a dependency between our crates points to a lower layer. `graph` (pure, over
/// `asl`) sits with the engine; `xtask` reads the sources as text and depends on none of them.
const LAYERS: &[(&str, u8)] = &[
    ("jsonata", 0),
    ("asl", 0),
    ("engine", 1),
    ("graph", 1),
    ("sdk", 0),
    ("parquet", 0),
    ("pgtest", 0),
    ("store", 2),
    ("integrations", 2),
    ("runtime", 3),
    ("api", 4),
    ("server", 4),
    ("cli", 5),
    ("xtask", 6),
];

/// The edges allowed within one layer.
const SAME_LAYER: &[(&str, &str)] = &[("asl", "jsonata"), ("server", "api")];

/// Edges down the layers that ARCHITECTURE.md rules out all the same.
const NEVER: &[(&str, &str, &str)] = &[
    ("integrations", "engine", "integrations speaks JSON values and TaskError, not the engine's types"),
    ("integrations", "asl", "integrations speaks JSON values and TaskError, not ASL's types"),
    ("graph", "engine", "graph depends on asl only"),
    ("graph", "jsonata", "graph depends on asl only"),
    ("server", "store", "the server talks to runtime::service and its records; the store's rows stay below the runtime"),
    ("xtask", "*", "xtask reads the sources as text and depends on no crate of ours"),
];

/// Reads every `.rs` file and `Cargo.toml` under `root/crates` (skipping `target`).
pub fn load(root: &Path) -> std::io::Result<(Vec<Source>, Vec<Manifest>)> {
    let mut sources = Vec::new();
    let mut manifests = Vec::new();
    let mut crates: Vec<_> = std::fs::read_dir(root.join("crates"))?.collect::<Result<_, _>>()?;
    crates.sort_by_key(std::fs::DirEntry::file_name);
    for entry in crates {
        let krate = entry.file_name().to_string_lossy().into_owned();
        let manifest = entry.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        manifests.push(Manifest {
            krate: krate.clone(),
            path: format!("crates/{krate}/Cargo.toml"),
            text: std::fs::read_to_string(&manifest)?,
        });
        let mut files = Vec::new();
        walk(&entry.path(), &mut files)?;
        files.sort();
        for file in files {
            let relative = file.strip_prefix(root).unwrap_or(&file);
            let path = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            sources.push(Source { krate: krate.clone(), path, text: std::fs::read_to_string(&file)? });
        }
    }
    Ok((sources, manifests))
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                walk(&path, files)?;
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// Every violation of every rule, sorted by file and line.
pub fn check(sources: &[Source], manifests: &[Manifest]) -> Vec<Violation> {
    let mut violations = Vec::new();
    let files: Vec<File> = sources.iter().map(File::new).collect();
    let tests = test_files(&files);
    for file in &files {
        let test = tests.contains(file.source.path.as_str());
        header(file, &mut violations);
        test_attributes(file, &mut violations);
        sql(file, &mut violations);
        if test {
            continue;
        }
        let code = file.code();
        purity(file, &code, &mut violations);
        clock_and_threads(file, &code, &mut violations);
        printing(file, &code, &mut violations);
        anyhow(file, &code, &mut violations);
    }
    cycles(&files, &tests, &mut violations);
    for manifest in manifests {
        dependencies(manifest, manifests, &mut violations);
    }
    violations.sort();
    violations.dedup();
    violations
}

/// A source file and its tokens.
struct File<'a> {
    source: &'a Source,
    tokens: Vec<Token>,
}

impl File<'_> {
    fn new(source: &Source) -> File<'_> {
        File { source, tokens: tokenize(&source.text) }
    }

    fn krate(&self) -> &str {
        &self.source.krate
    }

    fn violation(&self, line: usize, rule: &'static str, message: String) -> Violation {
        Violation { path: self.source.path.clone(), line, rule, message }
    }

    /// The tokens that are not test code: items under `#[cfg(test)]` or `#[test]` are left out.
    fn code(&self) -> Vec<&Token> {
        let mut code = Vec::new();
        let mut i = 0;
        while let Some(token) = self.tokens.get(i) {
            if token.is_punct("#") && is_test_attribute(&self.tokens, i) {
                i = item_end(&self.tokens, i);
            } else {
                code.push(token);
                i += 1;
            }
        }
        code
    }

    /// The module path of this file inside its crate (`["parse"]` for `src/parse.rs`, `[]` for `src/lib.rs`), or
    /// `None` outside `src/`.
    fn module(&self) -> Option<Vec<String>> {
        let inner = self.source.path.strip_prefix(&format!("crates/{}/src/", self.source.krate))?;
        let inner = inner.strip_suffix(".rs")?;
        let mut parts: Vec<String> = inner.split('/').map(str::to_owned).collect();
        if matches!(parts.last().map(String::as_str), Some("lib" | "main" | "mod")) {
            parts.pop();
        }
        Some(parts)
    }
}

/// Whether the attribute at `tokens[at]` (`#`) is `#[test]` or a `#[cfg(…)]` that holds only under test.
fn is_test_attribute(tokens: &[Token], at: usize) -> bool {
    let Some(end) = attribute_end(tokens, at) else { return false };
    let inner = tokens.get(at + 2..end).unwrap_or_default();
    match inner.first() {
        Some(first) if first.is_ident("test") => inner.len() == 1,
        Some(first) if first.is_ident("cfg") => {
            inner.iter().any(|t| t.is_ident("test")) && !inner.iter().any(|t| t.is_ident("not"))
        }
        _ => false,
    }
}

/// For `#[…]` (or `#![…]`) at `tokens[at]`, the index of its closing `]`.
fn attribute_end(tokens: &[Token], at: usize) -> Option<usize> {
    let open = if tokens.get(at + 1).is_some_and(|t| t.is_punct("!")) { at + 2 } else { at + 1 };
    if !tokens.get(open).is_some_and(|t| t.is_punct("[")) {
        return None;
    }
    matching(tokens, open)
}

/// The index of the bracket that closes the one at `tokens[open]`.
fn matching(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.kind != Kind::Punct {
            continue;
        }
        match token.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index just past the item that the attributes starting at `tokens[at]` apply to: past its `;`, or past the
/// `}` that closes its first brace at depth zero.
fn item_end(tokens: &[Token], at: usize) -> usize {
    let mut i = at;
    while tokens.get(i).is_some_and(|t| t.is_punct("#")) {
        match attribute_end(tokens, i) {
            Some(end) => i = end + 1,
            None => break,
        }
    }
    let mut depth = 0usize;
    while let Some(token) = tokens.get(i) {
        if token.kind == Kind::Punct {
            match token.text.as_str() {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                ";" if depth == 0 => return i + 1,
                _ => {}
            }
        }
        i += 1;
    }
    i
}

/// The paths of the files that are test code as a whole.
fn test_files<'a>(files: &'a [File<'_>]) -> BTreeSet<&'a str> {
    // Modules declared under `#[cfg(test)]`: `mod NAME;` in `DIR/parent.rs` is `DIR/parent/NAME.rs` (or
    // `NAME/mod.rs`), everything under `DIR/parent/NAME/` with it.
    let mut test_modules = Vec::new();
    for file in files {
        let tokens = &file.tokens;
        for (i, token) in tokens.iter().enumerate() {
            if !(token.is_punct("#") && is_test_attribute(tokens, i)) {
                continue;
            }
            let mut j = i;
            while tokens.get(j).is_some_and(|t| t.is_punct("#")) {
                j = attribute_end(tokens, j).map_or(j + 1, |end| end + 1);
            }
            if tokens.get(j).is_some_and(|t| t.is_ident("pub")) {
                j += 1;
            }
            if let (Some(m), Some(name), Some(semi)) = (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2))
                && m.is_ident("mod")
                && semi.is_punct(";")
            {
                let path = &file.source.path;
                let dir = match path.rsplit_once('/') {
                    Some((dir, "lib.rs" | "main.rs" | "mod.rs")) => dir.to_owned(),
                    _ => path.trim_end_matches(".rs").to_owned(),
                };
                test_modules.push(format!("{dir}/{}", name.text));
            }
        }
    }
    files
        .iter()
        .map(|file| file.source.path.as_str())
        .filter(|path| {
            let in_src = path.split('/').nth(2) == Some("src");
            let named_tests = path.ends_with("/tests.rs") || path.contains("/tests/");
            let declared = test_modules.iter().any(|module| {
                path.strip_prefix(module.as_str()).is_some_and(|rest| rest == ".rs" || rest.starts_with('/'))
            });
            !in_src || named_tests || declared
        })
        .collect()
}

/// Every `.rs` file opens with a `//!` comment that says what it is.
fn header(file: &File<'_>, out: &mut Vec<Violation>) {
    let first = file.source.text.lines().find(|line| !line.trim().is_empty()).unwrap_or_default();
    if !first.starts_with("//!") {
        out.push(file.violation(1, "header", "the file does not open with a `//!` comment saying what it is".to_owned()));
    }
}

/// No `#[should_panic]` and no `#[ignore]`: assert today's behaviour instead, with a FIXME.
fn test_attributes(file: &File<'_>, out: &mut Vec<Violation>) {
    let tokens = &file.tokens;
    for (i, token) in tokens.iter().enumerate() {
        if !token.is_punct("#") {
            continue;
        }
        let Some(end) = attribute_end(tokens, i) else { continue };
        for inner in tokens.get(i..end).unwrap_or_default() {
            if inner.is_ident("should_panic") || inner.is_ident("ignore") {
                out.push(file.violation(
                    inner.line,
                    "test-attributes",
                    format!("`#[{}]`: assert today's behaviour (with a FIXME) instead of skipping or expecting a panic", inner.text),
                ));
            }
        }
    }
}

/// The modules of `std` whose use is I/O, the clock, threads or the environment.
const IMPURE_STD: &[&str] = &["fs", "io", "net", "process", "thread", "time", "env"];

/// `jsonata`, `asl`, `engine` and `graph` do no I/O and read no clock, randomness or environment.
fn purity(file: &File<'_>, code: &[&Token], out: &mut Vec<Violation>) {
    if !PURE.iter().any(|(name, _)| *name == file.krate()) {
        return;
    }
    let rule = "purity";
    for (module, line) in std_modules(code) {
        if IMPURE_STD.contains(&module.as_str()) {
            out.push(file.violation(line, rule, format!("`std::{module}` in a pure crate: time, I/O and the environment arrive as data")));
        }
    }
    for token in code.iter().filter(|t| t.kind == Kind::Ident) {
        let what = match token.text.as_str() {
            "SystemTime" | "Instant" | "UNIX_EPOCH" => "the clock",
            "rand" | "getrandom" | "thread_rng" | "OsRng" => "randomness",
            "tokio" => "an async runtime",
            "rusqlite" | "sqlx" | "ureq" => "I/O",
            _ => continue,
        };
        out.push(file.violation(token.line, rule, format!("`{}` in a pure crate: {what} must arrive as data", token.text)));
    }
    for (line, call) in clock_calls(code) {
        out.push(file.violation(line, rule, format!("`{call}` reads the clock in a pure crate: time arrives as data")));
    }
}

/// Outside `runtime`, `store` and `integrations` (and the binary), nothing reads the clock or starts a thread or a
/// task. The pure crates have the stricter `purity` rule.
fn clock_and_threads(file: &File<'_>, code: &[&Token], out: &mut Vec<Violation>) {
    let krate = file.krate();
    if CLOCK_AND_THREADS.contains(&krate) || PURE.iter().any(|(name, _)| *name == krate) {
        return;
    }
    let rule = "clock-and-threads";
    let reason = "only runtime, store and integrations read the clock or start threads and tasks";
    for (module, line) in std_modules(code) {
        if module == "thread" {
            out.push(file.violation(line, rule, format!("`std::thread` in `{krate}`: {reason}")));
        }
    }
    for token in code.iter().filter(|t| t.kind == Kind::Ident) {
        if matches!(token.text.as_str(), "SystemTime" | "Instant" | "UNIX_EPOCH" | "spawn_blocking") {
            out.push(file.violation(token.line, rule, format!("`{}` in `{krate}`: {reason}", token.text)));
        }
    }
    for window in code.windows(3) {
        if let [a, sep, b] = window
            && sep.is_punct("::")
            && a.is_ident("tokio")
            && (b.is_ident("spawn") || b.is_ident("time") || b.is_ident("task"))
        {
            out.push(file.violation(a.line, rule, format!("`{}::{}` in `{krate}`: {reason}", a.text, b.text)));
        }
    }
    for (line, call) in clock_calls(code) {
        out.push(file.violation(line, rule, format!("`{call}` in `{krate}`: {reason}")));
    }
}

/// Library crates do not print: they return errors or log with `tracing`.
fn printing(file: &File<'_>, code: &[&Token], out: &mut Vec<Violation>) {
    let krate = file.krate();
    if BINARIES.contains(&krate) {
        return;
    }
    let rule = "no-print";
    for window in code.windows(2) {
        if let [name, bang] = window
            && bang.is_punct("!")
            && matches!(name.text.as_str(), "println" | "print" | "eprintln" | "eprint" | "dbg")
            && name.kind == Kind::Ident
        {
            out.push(file.violation(
                name.line,
                rule,
                format!("`{}!` in the library crate `{krate}`: return the error, or log a `tracing` event", name.text),
            ));
        }
    }
    for (path, line) in paths(code) {
        if path.windows(2).any(|w| w[0] == "io" && (w[1] == "stdout" || w[1] == "stderr")) {
            out.push(file.violation(
                line,
                rule,
                format!("`{}` in the library crate `{krate}`: only the CLI writes to the terminal", path.join("::")),
            ));
        }
    }
}

/// `anyhow` only in `cli`, `xtask` and tests: library crates have their own `Error`.
fn anyhow(file: &File<'_>, code: &[&Token], out: &mut Vec<Violation>) {
    let krate = file.krate();
    if BINARIES.contains(&krate) {
        return;
    }
    if let Some(token) = code.iter().find(|t| t.is_ident("anyhow")) {
        out.push(file.violation(
            token.line,
            "anyhow",
            format!("`anyhow` in the library crate `{krate}`: use the crate's `thiserror` `Error`"),
        ));
    }
}

/// SQL only in `store`: no database crate and no SQL statement in a string, in code or tests.
fn sql(file: &File<'_>, out: &mut Vec<Violation>) {
    let krate = file.krate();
    // `xtask` names SQL to look for it.
    if krate == SQL_CRATE || krate == "xtask" || FAULT_INJECTION.contains(&file.source.path.as_str()) {
        return;
    }
    for token in &file.tokens {
        if token.kind == Kind::Ident && SQL_DEPENDENCIES.iter().any(|d| d.replace('-', "_") == token.text) {
            out.push(file.violation(token.line, "sql", format!("`{}` in `{krate}`: only `store` speaks to the database", token.text)));
        }
        if token.kind == Kind::Str
            && let Some(statement) = sql_statement(&token.text)
        {
            out.push(file.violation(
                token.line,
                "sql",
                format!("a string with SQL (`{statement}`) in `{krate}`: only `store` has SQL"),
            ));
        }
    }
}

/// The SQL statement keywords `text` holds, if it reads like SQL: upper-case keywords in the order a statement
/// puts them (`SELECT … FROM`, `INSERT INTO`, `UPDATE … SET`, `DELETE FROM`, `CREATE TABLE`, `PRAGMA`, …).
fn sql_statement(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, word) in words.iter().enumerate() {
        let rest = words.get(i + 1..).unwrap_or_default();
        let next = rest.first().copied().unwrap_or_default();
        let found = match *word {
            "SELECT" if rest.contains(&"FROM") => "SELECT … FROM",
            "INSERT" if matches!(next, "INTO" | "OR") => "INSERT INTO",
            "UPDATE" if rest.iter().take(3).any(|w| *w == "SET") => "UPDATE … SET",
            "DELETE" if next == "FROM" => "DELETE FROM",
            "CREATE" | "DROP" | "ALTER" if matches!(next, "TABLE" | "INDEX" | "UNIQUE" | "VIEW" | "TRIGGER") => "… TABLE",
            "PRAGMA" if !next.is_empty() => "PRAGMA",
            _ => continue,
        };
        return Some(found.to_owned());
    }
    None
}

/// The first segment after each `std::` (every segment of a `std::{…}` group), with its line.
fn std_modules(code: &[&Token]) -> Vec<(String, usize)> {
    paths(code)
        .into_iter()
        .filter(|(path, _)| path.first().map(String::as_str) == Some("std"))
        .filter_map(|(path, line)| path.get(1).map(|module| (module.clone(), line)))
        .collect()
}

/// `Timestamp::now`, `Zoned::now` and the like: the clock read through `jiff` or `std`.
fn clock_calls(code: &[&Token]) -> Vec<(usize, String)> {
    paths(code)
        .into_iter()
        .filter(|(path, _)| {
            path.windows(2).any(|w| {
                matches!(w[0].as_str(), "Timestamp" | "Zoned" | "SystemTime" | "Instant" | "Utc" | "Local") && w[1] == "now"
            })
        })
        .map(|(path, line)| (line, path.join("::")))
        .collect()
}

/// Every path in `code` (`a::b::c`), a `use` group expanded into one path per leaf (`use a::{b, c::d}` gives
/// `a::b` and `a::c::d`), with the line where it starts.
fn paths(code: &[&Token]) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(token) = code.get(i) {
        let starts_path = token.kind == Kind::Ident
            && !(i > 0 && code.get(i - 1).is_some_and(|t| t.is_punct("::")));
        if starts_path {
            i = path_tree(code, i, Vec::new(), &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// Reads the path (or use tree) at `code[at]` after `prefix`; returns the index past it.
fn path_tree(code: &[&Token], at: usize, mut prefix: Vec<String>, out: &mut Vec<(Vec<String>, usize)>) -> usize {
    let line = code.get(at).map_or(0, |t| t.line);
    let mut i = at;
    loop {
        match code.get(i) {
            Some(t) if t.kind == Kind::Ident => {
                prefix.push(t.text.clone());
                i += 1;
            }
            Some(t) if t.is_punct("{") && !prefix.is_empty() => {
                // A use group: each member continues the prefix.
                i += 1;
                while let Some(t) = code.get(i) {
                    if t.is_punct("}") {
                        return i + 1;
                    }
                    if t.is_punct(",") {
                        i += 1;
                        continue;
                    }
                    let next = path_tree(code, i, prefix.clone(), out);
                    i = if next == i { i + 1 } else { next };
                }
                return i;
            }
            _ => break,
        }
        if code.get(i).is_some_and(|t| t.is_punct("::")) {
            i += 1;
        } else {
            break;
        }
    }
    if !prefix.is_empty() {
        out.push((prefix, line));
    }
    i
}

/// No two modules of a crate import each other, directly or around a loop, except a module and its ancestors
/// (a child reads its parent's items; a re-export in `lib.rs` is the crate's surface).
fn cycles(files: &[File<'_>], tests: &BTreeSet<&str>, out: &mut Vec<Violation>) {
    let mut crates: BTreeMap<&str, Vec<&File<'_>>> = BTreeMap::new();
    for file in files.iter().filter(|f| !tests.contains(f.source.path.as_str())) {
        if file.module().is_some() {
            crates.entry(file.krate()).or_default().push(file);
        }
    }
    for files in crates.values() {
        let modules: Vec<Vec<String>> = files.iter().filter_map(|f| f.module()).collect();
        // edges[i] = (j, line in file i)
        let mut edges: Vec<BTreeMap<usize, usize>> = vec![BTreeMap::new(); files.len()];
        for (i, file) in files.iter().enumerate() {
            let own = &modules[i];
            let code = file.code();
            for (path, line) in paths(&code) {
                let Some(target) = resolve(own, &path, &modules) else { continue };
                let other = &modules[target];
                let related = other.starts_with(own) || own.starts_with(other);
                if !related {
                    edges[i].entry(target).or_insert(line);
                }
            }
        }
        for (cycle, component) in find_cycles(&edges) {
            let Some(&first) = cycle.first() else { continue };
            let names: Vec<String> = cycle.iter().chain([&first]).map(|&i| module_name(&modules[i])).collect();
            let others: Vec<String> =
                component.iter().filter(|i| !cycle.contains(i)).map(|&i| module_name(&modules[i])).collect();
            let also = if others.is_empty() { String::new() } else { format!(", and through them {}", others.join(", ")) };
            let steps: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().cycle().skip(1))
                .map(|(&a, &b)| format!("{}:{}", files[a].source.path, edges[a].get(&b).copied().unwrap_or(0)))
                .collect();
            out.push(files[first].violation(
                edges[first].get(cycle.get(1).unwrap_or(&first)).copied().unwrap_or(1),
                "module-cycles",
                format!(
                    "modules import each other: {} (at {}){also}; move what they share to a leaf module",
                    names.join(" -> "),
                    steps.join(", ")
                ),
            ));
        }
    }
}

fn module_name(module: &[String]) -> String {
    if module.is_empty() { "crate".to_owned() } else { module.join("::") }
}

/// The module (index into `modules`) that `path`, written in module `own`, names: the longest prefix of it that is
/// a module of the crate. `None` for paths that do not start with `crate`, `self` or `super`.
fn resolve(own: &[String], path: &[String], modules: &[Vec<String>]) -> Option<usize> {
    let mut absolute: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => own.to_vec(),
        Some("super") => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            own.get(..own.len().saturating_sub(ups)).unwrap_or_default().to_vec()
        }
        _ => return None,
    };
    let rest = path.iter().skip_while(|s| matches!(s.as_str(), "crate" | "self" | "super"));
    absolute.extend(rest.cloned());
    (0..=absolute.len())
        .rev()
        .find_map(|len| modules.iter().position(|m| m.as_slice() == absolute.get(..len).unwrap_or_default()))
}

/// One cycle per strongly connected component of two or more nodes (the shortest loop through the component's
/// first node), with the component.
fn find_cycles(edges: &[BTreeMap<usize, usize>]) -> Vec<(Vec<usize>, Vec<usize>)> {
    let n = edges.len();
    let reach = |from: usize| {
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            for &next in edges[node].keys() {
                if !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        seen
    };
    let reachable: Vec<Vec<bool>> = (0..n).map(reach).collect();
    let mut done = vec![false; n];
    let mut cycles = Vec::new();
    for start in 0..n {
        if done[start] || !reachable[start][start] {
            continue;
        }
        let component: Vec<usize> = (0..n).filter(|&j| reachable[start][j] && reachable[j][start]).collect();
        for &j in &component {
            done[j] = true;
        }
        // Breadth-first from `start` back to itself, inside the component.
        let mut previous = vec![usize::MAX; n];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut end = None;
        while let Some(node) = queue.pop_front() {
            for &next in edges[node].keys() {
                if next == start {
                    end = Some(node);
                    break;
                }
                if component.contains(&next) && previous[next] == usize::MAX {
                    previous[next] = node;
                    queue.push_back(next);
                }
            }
            if end.is_some() {
                break;
            }
        }
        let mut cycle = Vec::new();
        let mut node = end;
        while let Some(at) = node {
            cycle.push(at);
            node = (at != start).then(|| previous[at]);
        }
        cycle.reverse();
        cycles.push((cycle, component));
    }
    cycles
}

/// The dependency rules of one crate's manifest: layers, the pure crates' allowlists, `api`'s serde-only rule, SQL
/// crates only in `store`, `anyhow` only in the binaries.
fn dependencies(manifest: &Manifest, all: &[Manifest], out: &mut Vec<Violation>) {
    let krate = manifest.krate.as_str();
    let violation = |line: usize, rule: &'static str, message: String| Violation {
        path: manifest.path.clone(),
        line,
        rule,
        message,
    };
    let table: toml::Table = match manifest.text.parse() {
        Ok(table) => table,
        Err(err) => {
            out.push(violation(1, "manifest", format!("not TOML: {err}")));
            return;
        }
    };
    let ours: BTreeSet<&str> = all.iter().map(|m| m.krate.as_str()).collect();
    let layer = |name: &str| LAYERS.iter().find(|(n, _)| *n == name).map(|(_, layer)| *layer);
    if layer(krate).is_none() {
        out.push(violation(1, "layers", format!("`{krate}` has no layer: add it to LAYERS in xtask's tidy.rs and to ARCHITECTURE.md")));
    }
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = table.get(section).and_then(toml::Value::as_table) else { continue };
        let normal = section == "dependencies";
        for (name, spec) in deps {
            // `package = "…"` renames; the crate's real name is what the rules are about.
            let real = spec.get("package").and_then(toml::Value::as_str).unwrap_or(name);
            let line = line_of(&manifest.text, section, name);
            if ours.contains(real) {
                let never = NEVER.iter().find(|(from, to, _)| *from == krate && (*to == real || *to == "*"));
                let down = match (layer(krate), layer(real)) {
                    (Some(from), Some(to)) => to < from || (to == from && SAME_LAYER.contains(&(krate, real))),
                    _ => true,
                };
                if let Some((_, _, why)) = never {
                    out.push(violation(line, "layers", format!("`{krate}` depends on `{real}`: {why}")));
                } else if !down {
                    out.push(violation(
                        line,
                        "layers",
                        format!("`{krate}` depends on `{real}`, which is not below it in DESIGN.md's layers"),
                    ));
                }
            }
            if normal && let Some((_, allowed)) = PURE.iter().find(|(n, _)| *n == krate)
                && !allowed.contains(&real)
            {
                out.push(violation(
                    line,
                    "pure-dependencies",
                    format!("`{krate}` is pure and `{real}` is not on its allowlist (PURE in xtask's tidy.rs): a new dependency is a design change"),
                ));
            }
            if normal && krate == "api" && !API_DEPENDENCIES.contains(&real) {
                out.push(violation(line, "api-dependencies", format!("`api` depends on `{real}`: it holds wire types, serde and serde_json only")));
            }
            let injects_faults = !normal && FAULT_INJECTION.iter().any(|path| path.starts_with(&format!("crates/{krate}/")));
            if krate != SQL_CRATE && SQL_DEPENDENCIES.contains(&real) && !injects_faults {
                out.push(violation(line, "sql", format!("`{krate}` depends on `{real}`: only `store` speaks to the database")));
            }
            if normal && real == "anyhow" && !BINARIES.contains(&krate) {
                out.push(violation(line, "anyhow", format!("the library crate `{krate}` depends on `anyhow`: use its `thiserror` `Error`")));
            }
        }
    }
}

/// The line of dependency `name` in section `section` of a manifest's text (1 if it cannot be found).
fn line_of(text: &str, section: &str, name: &str) -> usize {
    let mut in_section = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_section = trimmed == format!("[{section}]");
            continue;
        }
        let key = trimmed.split(['=', '.', ' ']).next().unwrap_or_default().trim_matches('"');
        if in_section && key == name {
            return i + 1;
        }
    }
    1
}
