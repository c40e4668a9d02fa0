//! The tidy checks on this workspace, and each rule caught on a planted violation (and not fooled by comments,
//! strings or test code).

use std::path::Path;

use crate::tidy::{Manifest, Source, check, load};

/// The workspace passes every rule.
#[test]
fn workspace_is_tidy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (sources, manifests) = load(&root).expect("the workspace is readable");
    assert!(sources.len() > 100, "found only {} source files under {}", sources.len(), root.display());
    let violations: Vec<String> = check(&sources, &manifests).iter().map(ToString::to_string).collect();
    assert!(violations.is_empty(), "tidy found {} problems:\n{}\n", violations.len(), violations.join("\n"));
}

/// A manifest with no dependencies for each crate of the layers, so that sources can be checked alone.
fn manifests() -> Vec<Manifest> {
    ["jsonata", "asl", "engine", "graph", "store", "integrations", "runtime", "api", "server", "cli", "xtask"]
        .iter()
        .map(|krate| manifest(krate, "[package]\nname = \"x\"\n"))
        .collect()
}

fn manifest(krate: &str, text: &str) -> Manifest {
    Manifest { krate: krate.to_owned(), path: format!("crates/{krate}/Cargo.toml"), text: text.to_owned() }
}

/// The violations of `files` (path, text), each as `path:line: [rule] message`.
fn violations(files: &[(&str, &str)]) -> Vec<String> {
    let sources: Vec<Source> = files
        .iter()
        .map(|(path, text)| Source {
            krate: path.split('/').nth(1).unwrap_or_default().to_owned(),
            path: (*path).to_owned(),
            text: format!("//! A planted file.\n{text}"),
        })
        .collect();
    check(&sources, &manifests()).iter().map(ToString::to_string).collect()
}

/// The violations of one file's text, without the `path:` prefix, each as `line: [rule] message`.
#[track_caller]
fn one(path: &str, text: &str) -> Vec<String> {
    violations(&[(path, text)]).iter().map(|v| v.trim_start_matches(path).trim_start_matches(':').to_owned()).collect()
}

#[test]
fn header() {
    let sources = [Source { krate: "asl".to_owned(), path: "crates/asl/src/a.rs".to_owned(), text: "// A comment.\nfn f() {}\n".to_owned() }];
    let found: Vec<String> = check(&sources, &manifests()).iter().map(ToString::to_string).collect();
    assert_eq!(found, ["crates/asl/src/a.rs:1: [header] the file does not open with a `//!` comment saying what it is"]);
}

#[test]
fn test_attributes() {
    let text = "#[test]\n#[should_panic]\nfn a() {}\n#[test]\n#[ignore = \"slow\"]\nfn b() {}\n// #[ignore]\nconst S: &str = \"#[should_panic]\";\n";
    assert_eq!(
        one("crates/engine/tests/it/main.rs", text),
        [
            "3: [test-attributes] `#[should_panic]`: assert today's behaviour (with a FIXME) instead of skipping or expecting a panic",
            "6: [test-attributes] `#[ignore]`: assert today's behaviour (with a FIXME) instead of skipping or expecting a panic",
        ]
    );
}

#[test]
fn purity() {
    let text = "\
use std::time::SystemTime;
use std::{collections::HashMap, fs};
// std::thread::spawn and Instant::now() in a comment are fine,
/// and so is `rand` in a doc comment.
const S: &str = \"std::net in a string is fine\";
fn f() -> i64 { jiff::Timestamp::now().as_millisecond() + rand::random::<i64>() }
#[cfg(test)]
mod tests { use std::fs::read; fn t() { let _ = std::time::Instant::now(); } }
";
    assert_eq!(
        one("crates/asl/src/a.rs", text),
        [
            "2: [purity] `SystemTime` in a pure crate: the clock must arrive as data",
            "2: [purity] `std::time` in a pure crate: time, I/O and the environment arrive as data",
            "3: [purity] `std::fs` in a pure crate: time, I/O and the environment arrive as data",
            "7: [purity] `jiff::Timestamp::now` reads the clock in a pure crate: time arrives as data",
            "7: [purity] `rand` in a pure crate: randomness must arrive as data",
        ]
    );
    // The same code is fine in a crate that may do I/O, and in a pure crate's test file.
    assert_eq!(one("crates/store/src/a.rs", "use std::fs;\n"), Vec::<String>::new());
    assert_eq!(one("crates/asl/src/a/tests.rs", text), Vec::<String>::new());
}

#[test]
fn clock_and_threads() {
    let text = "\
fn f() {
    tokio::spawn(async {});
    std::thread::spawn(|| ());
    let t = std::time::Instant::now();
    let d = std::time::Duration::from_secs(1);
}
";
    assert_eq!(
        one("crates/server/src/a.rs", text),
        [
            "3: [clock-and-threads] `tokio::spawn` in `server`: only runtime, store and integrations read the clock or start threads and tasks",
            "4: [clock-and-threads] `std::thread` in `server`: only runtime, store and integrations read the clock or start threads and tasks",
            "5: [clock-and-threads] `Instant` in `server`: only runtime, store and integrations read the clock or start threads and tasks",
            "5: [clock-and-threads] `std::time::Instant::now` in `server`: only runtime, store and integrations read the clock or start threads and tasks",
        ]
    );
    assert_eq!(one("crates/runtime/src/a.rs", text), Vec::<String>::new());
}

#[test]
fn no_print() {
    let text = "\
fn f() {
    eprintln!(\"baton: {}\", 1);
    // println!(\"in a comment\");
    let s = \"dbg!(x) in a string\";
    let _ = std::io::stderr();
    let _ = dbg!(2);
}
";
    assert_eq!(
        one("crates/runtime/src/a.rs", text),
        [
            "3: [no-print] `eprintln!` in the library crate `runtime`: return the error, or log a `tracing` event",
            "6: [no-print] `std::io::stderr` in the library crate `runtime`: only the CLI writes to the terminal",
            "7: [no-print] `dbg!` in the library crate `runtime`: return the error, or log a `tracing` event",
        ]
    );
    assert_eq!(one("crates/cli/src/a.rs", text), Vec::<String>::new());
    assert_eq!(one("crates/runtime/tests/it/a.rs", text), Vec::<String>::new());
}

#[test]
fn anyhow() {
    let text = "fn f() -> anyhow::Result<()> { Ok(()) }\n";
    assert_eq!(
        one("crates/store/src/a.rs", text),
        ["2: [anyhow] `anyhow` in the library crate `store`: use the crate's `thiserror` `Error`"]
    );
    assert_eq!(one("crates/cli/src/a.rs", text), Vec::<String>::new());
}

#[test]
fn sql() {
    let text = "\
const Q: &str = \"SELECT arn FROM executions WHERE status = ?1\";
const R: &str = r#\"INSERT INTO events (id) VALUES (?1)\"#;
const OK: &str = \"select the state from the list; update the map\";
fn f(c: &rusqlite::Connection) {}
";
    assert_eq!(
        one("crates/server/tests/it/a.rs", text),
        [
            "2: [sql] a string with SQL (`SELECT … FROM`) in `server`: only `store` has SQL",
            "3: [sql] a string with SQL (`INSERT INTO`) in `server`: only `store` has SQL",
            "5: [sql] `rusqlite` in `server`: only `store` speaks to the database",
        ]
    );
    assert_eq!(one("crates/store/src/a.rs", text), Vec::<String>::new());
}

#[test]
fn module_cycles() {
    let found = violations(&[
        ("crates/jsonata/src/lib.rs", "mod a;\nmod b;\nmod c;\npub use crate::a::A;\n"),
        ("crates/jsonata/src/a.rs", "use crate::b::B;\npub struct A;\n"),
        ("crates/jsonata/src/b.rs", "pub struct B;\nfn f() { let _ = crate::c::C; }\n"),
        ("crates/jsonata/src/c.rs", "use crate::{Host, a::{A, self}, e::E};\npub struct C;\n"),
        // A child reading its parent is no cycle.
        ("crates/jsonata/src/a/d.rs", "use crate::a::A;\n"),
        ("crates/jsonata/src/a/tests.rs", "use crate::c::C;\n"),
        // A fourth module in the same knot is named too; one that only imports it is not in it.
        ("crates/jsonata/src/e.rs", "use crate::a::A;\npub struct E;\n"),
        ("crates/jsonata/src/f.rs", "use crate::e;\n"),
    ]);
    assert_eq!(
        found,
        ["crates/jsonata/src/a.rs:2: [module-cycles] modules import each other: a -> b -> c -> a (at crates/jsonata/src/a.rs:2, \
          crates/jsonata/src/b.rs:3, crates/jsonata/src/c.rs:2), and through them e; move what they share to a leaf module"]
    );
}

#[test]
fn test_code_is_exempt() {
    let found = violations(&[
        ("crates/engine/src/lib.rs", "#[cfg(test)]\nmod helpers;\n#[cfg(all(test, unix))]\nmod more { fn f() { eprintln!(); } }\n#[test]\nfn t() { println!(); }\n"),
        ("crates/engine/src/helpers.rs", "fn f() { eprintln!(); let _ = std::fs::read(\"x\"); }\n"),
        ("crates/engine/src/helpers/deep.rs", "fn f() { eprintln!(); }\n"),
        ("crates/engine/benches/b.rs", "fn main() { println!(); }\n"),
        ("crates/engine/examples/e.rs", "fn main() { println!(); }\n"),
    ]);
    assert_eq!(found, Vec::<String>::new());
}

/// The violations of manifests, each with its path.
fn manifest_violations(changed: &[(&str, &str)]) -> Vec<String> {
    let mut all = manifests();
    for (krate, text) in changed {
        all.retain(|m| m.krate != *krate);
        all.push(manifest(krate, text));
    }
    check(&[], &all).iter().map(ToString::to_string).collect()
}

#[test]
fn layers() {
    assert_eq!(
        manifest_violations(&[
            ("engine", "[package]\nname = \"engine\"\n\n[dependencies]\nasl.workspace = true\nruntime = { path = \"../runtime\" }\n"),
            ("integrations", "[dependencies]\nserde.workspace = true\n\n[dev-dependencies]\nasl.workspace = true\n"),
            ("jsonata", "[dependencies]\nasl = { path = \"../asl\" }\n"),
            ("server", "[dependencies]\napi = { path = \"../api\" }\ncli = { path = \"../cli\" }\n\n[dev-dependencies]\nstore = { path = \"../store\" }\n"),
            ("newcomer", "[dependencies]\n"),
        ]),
        [
            "crates/engine/Cargo.toml:6: [layers] `engine` depends on `runtime`, which is not below it in DESIGN.md's layers",
            "crates/engine/Cargo.toml:6: [pure-dependencies] `engine` is pure and `runtime` is not on its allowlist (PURE in xtask's tidy.rs): a new dependency is a design change",
            "crates/integrations/Cargo.toml:5: [layers] `integrations` depends on `asl`: integrations speaks JSON values and TaskError, not ASL's types",
            "crates/jsonata/Cargo.toml:2: [layers] `jsonata` depends on `asl`, which is not below it in DESIGN.md's layers",
            "crates/jsonata/Cargo.toml:2: [pure-dependencies] `jsonata` is pure and `asl` is not on its allowlist (PURE in xtask's tidy.rs): a new dependency is a design change",
            "crates/newcomer/Cargo.toml:1: [layers] `newcomer` has no layer: add it to LAYERS in xtask's tidy.rs and to ARCHITECTURE.md",
            "crates/server/Cargo.toml:3: [layers] `server` depends on `cli`, which is not below it in DESIGN.md's layers",
            "crates/server/Cargo.toml:6: [layers] `server` depends on `store`: the server talks to runtime::service and its records; the store's rows stay below the runtime",
        ]
    );
}

#[test]
fn dependency_rules() {
    assert_eq!(
        manifest_violations(&[
            ("asl", "[dependencies]\njsonata.workspace = true\ntokio = \"1\"\n\n[dev-dependencies]\nproptest.workspace = true\n"),
            ("api", "[dependencies]\nserde.workspace = true\nserde_json.workspace = true\naxum = \"0.8\"\n"),
            ("server", "[dependencies]\nrusqlite = \"0.41\"\n"),
            ("runtime", "[dependencies]\nanyhow.workspace = true\n\n[dev-dependencies]\nanyhow.workspace = true\n"),
            ("cli", "[dependencies]\nanyhow.workspace = true\n"),
            ("store", "[dependencies]\nrusqlite = \"0.41\"\n"),
        ]),
        [
            "crates/api/Cargo.toml:4: [api-dependencies] `api` depends on `axum`: it holds wire types, serde and serde_json only",
            "crates/asl/Cargo.toml:3: [pure-dependencies] `asl` is pure and `tokio` is not on its allowlist (PURE in xtask's tidy.rs): a new dependency is a design change",
            "crates/runtime/Cargo.toml:2: [anyhow] the library crate `runtime` depends on `anyhow`: use its `thiserror` `Error`",
            "crates/server/Cargo.toml:2: [sql] `server` depends on `rusqlite`: only `store` speaks to the database",
        ]
    );
}
