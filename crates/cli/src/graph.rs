//! `baton graph`: a definition drawn as SVG, DOT or Mermaid.

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
    let machine = match asl::parse(&text) {
        Ok(machine) => machine,
        Err(diagnostics) => {
            // stdout is for the picture: the problems go to stderr, as `baton validate` would word them.
            for diagnostic in &diagnostics {
                eprintln!("{}:{diagnostic}", args.definition.display());
            }
            let count = diagnostics.len();
            eprintln!("{count} problem{} found", if count == 1 { "" } else { "s" });
            return Ok(ExitCode::from(2));
        }
    };
    let graph = graph::build(&machine);
    let drawing = match args.format.as_str() {
        "dot" => graph::to_dot(&graph),
        "mermaid" => graph::to_mermaid(&graph),
        _ => graph::to_svg(&graph, &graph::layout(&graph), &graph::Statuses::new()),
    };
    match &args.output {
        Some(file) => std::fs::write(file, drawing).with_context(|| format!("cannot write {}", file.display()))?,
        None => print!("{drawing}"),
    }
    Ok(ExitCode::SUCCESS)
}
