//! `baton graph`: a definition drawn as SVG, DOT or Mermaid.
//!
//! A definition with problems is drawn too, as far as it can be read (`graph::sketch`), each state with problems
//! outlined in red with its problems in its title; the problems go to stderr as `baton validate` words them. The exit
//! code is what it always was: 0 when the definition is valid (and drawn), 2 when it has problems (now drawn all the
//! same, when it is JSON or YAML at all) or the file cannot be read or the drawing written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The definition file (JSON or YAML).
    definition: PathBuf,
    /// What to write: an SVG picture, Graphviz DOT, or a Mermaid flowchart.
    #[arg(long, default_value = "svg", value_parser = ["svg", "dot", "mermaid"])]
    format: String,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.definition)
        .with_context(|| format!("cannot read definition {}", args.definition.display()))?;
    let (graph, code) = match asl::parse(&text) {
        Ok(machine) => (Some(graph::build(&machine)), ExitCode::SUCCESS),
        Err(diagnostics) => {
            // stdout is for the picture: the problems go to stderr, as `baton validate` would word them.
            for diagnostic in &diagnostics {
                eprintln!("{}:{diagnostic}", args.definition.display());
            }
            let count = diagnostics.len();
            eprintln!("{count} problem{} found", if count == 1 { "" } else { "s" });
            // Text that is not JSON or YAML has nothing to draw.
            let sketch = asl::source::load(&text).ok().map(|(value, _)| graph::sketch(&value, &diagnostics));
            (sketch, ExitCode::from(2))
        }
    };
    let Some(graph) = graph else { return Ok(code) };
    let drawing = match args.format.as_str() {
        "dot" => graph::to_dot(&graph),
        "mermaid" => graph::to_mermaid(&graph),
        _ => graph::to_svg(&graph, &graph::layout(&graph), &graph::Statuses::new()),
    };
    match &args.output {
        Some(file) => std::fs::write(file, drawing).with_context(|| format!("cannot write {}", file.display()))?,
        None => print!("{drawing}"),
    }
    Ok(code)
}
