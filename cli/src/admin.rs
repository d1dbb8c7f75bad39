//! `vpass admin`: administration of the issuer service's data folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Print the national root public key (did:key) that verifiers pin.
    RootKey(DataArgs),
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// The service's data folder.
    #[arg(long, env = "VPASS_DATA_DIR", default_value = "vpass-data")]
    data_dir: PathBuf,
    /// Database URL, if not the SQLite file in the data folder.
    #[arg(long, env = "VPASS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

pub fn run(cmd: AdminCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        AdminCmd::RootKey(args) => root_key(args),
    }
}

fn root_key(args: DataArgs) -> anyhow::Result<ExitCode> {
    if args.database_url.is_none() && !args.data_dir.join("vpass.db").exists() {
        bail!(
            "{} holds no issuer database; start `vpass serve --data-dir {}` once first",
            args.data_dir.display(),
            args.data_dir.display()
        );
    }
    let mut config = vpass_issuer::Config::default_with_data_dir(args.data_dir);
    config.database_url = args.database_url;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match runtime
        .block_on(vpass_issuer::service::root_did(&config))
        .context("reading the issuer database")?
    {
        Some(did) => {
            println!("{did}");
            Ok(ExitCode::SUCCESS)
        }
        None => bail!("the issuer database has no root key yet; start `vpass serve` once"),
    }
}
