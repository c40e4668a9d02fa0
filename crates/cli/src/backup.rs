//! `baton backup`: a consistent copy of a data directory's database, made while a server may be using it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use store::sqlite::Sqlite;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Where to write the copy: a directory, created if missing, that holds no Baton database yet. Start a server on it
    /// with `--data-dir` to restore.
    destination: PathBuf,
    /// The data directory to copy.
    #[arg(long, default_value = "./baton-data")]
    data_dir: PathBuf,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let copy = Sqlite::backup(&args.data_dir, &args.destination)
        .with_context(|| format!("cannot back up {}", args.data_dir.display()))?;
    eprintln!("baton: backed up {} to {} (checked)", args.data_dir.display(), copy.display());
    Ok(ExitCode::SUCCESS)
}
