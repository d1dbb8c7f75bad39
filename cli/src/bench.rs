//! `vpass bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The credential to measure with (default: the standard hours credential).
    #[arg(long)]
    claims: Option<PathBuf>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Print figures as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let _ = (&args.claims, args.seconds, args.json);
    anyhow::bail!("bench is being written")
}
