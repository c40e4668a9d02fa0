//! `baton validate`: every problem of every definition, with its location.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Definition files (JSON or YAML).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut problems = 0;
    for file in &args.files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let (value, format) = match asl::source::load(&text) {
            Ok(loaded) => loaded,
            Err(diagnostic) => {
                problems += 1;
                println!("{}:{diagnostic}", file.display());
                continue;
            }
        };
        match asl::parse::parse_loaded(&text, &value, format) {
            Ok(_) => eprintln!("{}: ok", file.display()),
            Err(diagnostics) => {
                problems += diagnostics.len();
                for diagnostic in diagnostics {
                    println!("{}:{diagnostic}", file.display());
                }
            }
        }
        // Warnings do not fail validation: AWS accepts what they point at.
        for warning in asl::parse::warnings_loaded(&text, &value, format) {
            println!("{}:{warning}", file.display());
        }
    }
    if problems > 0 {
        eprintln!("{problems} problem{} found", if problems == 1 { "" } else { "s" });
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
