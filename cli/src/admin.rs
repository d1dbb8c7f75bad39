//! `vpass admin`: administration of the issuer service's data folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Print the national root public key (did:key) that verifiers pin.
    RootKey(DataArgs),
    /// Create an operator and print its API token (shown once).
    AddOperator(AddOperatorArgs),
    /// Revoke an API token (give the token, or its id: the 16 hex digits after `vpass_`).
    RevokeToken(RevokeTokenArgs),
    /// Check the audit log's hash chain (exit 0 only when intact).
    AuditVerify(DataArgs),
    /// Give an office a new signing key (printed: its kid); the old key is retired, or marked
    /// compromised with --compromised. Works while the service runs.
    RotateKey(RotateKeyArgs),
    /// Set the credential types an office may issue (printed: the types now); audited, and
    /// the trust list re-signed. Works while the service runs.
    OfficeTypes(OfficeTypesArgs),
    /// Replace the national root key: the current root signs a trust list naming the new one
    /// (printed: its did:key), kept in the root chain that verifiers follow. Audited.
    RotateRoot(RotateRootArgs),
}

#[derive(Debug, Args)]
pub struct OfficeTypesArgs {
    /// The office: `national` or a region code such as kz-75.
    #[arg(long)]
    office: String,
    /// The types, e.g. VolunteerHoursCredential VolunteerSkillCredential
    /// VolunteerPassportCredential (none: the office issues nothing).
    types: Vec<String>,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Args)]
pub struct RotateRootArgs {
    /// Why (recorded in the audit log).
    #[arg(long, default_value = "scheduled root rotation")]
    reason: String,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    /// The office: `national` or a region code such as kz-75.
    #[arg(long)]
    office: String,
    /// The old key leaked: mark it compromised (verifiers then refuse everything it signed).
    #[arg(long)]
    compromised: bool,
    /// With --compromised: since when (RFC 3339; default now).
    #[arg(long, requires = "compromised")]
    since: Option<String>,
    /// Why (recorded in the audit log).
    #[arg(long, default_value = "scheduled key rotation")]
    reason: String,
    #[command(flatten)]
    data: DataArgs,
}

/// Who the audit log names for changes made with `vpass admin`.
const CLI_ACTOR: &str = "vpass-admin-cli";

#[derive(Debug, Args)]
pub struct RevokeTokenArgs {
    /// The token's id (the 16 hex digits after `vpass_`), or `-` to read the token itself
    /// from standard input (a whole token on a command line is visible to other users).
    token: String,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, Args)]
pub struct AddOperatorArgs {
    /// The operator's name (for people and the records).
    #[arg(long)]
    name: String,
    /// admin (national, everything), officer (one office) or auditor (read-only).
    #[arg(long)]
    role: String,
    /// The office of an officer: `national` or a region code such as kz-75.
    #[arg(long)]
    office: Option<String>,
    #[command(flatten)]
    data: DataArgs,
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
    // Warnings and errors of the issuer library (an internal error's cause) on stderr.
    crate::log::init("warn", false)?;
    match cmd {
        AdminCmd::RootKey(args) => root_key(args),
        AdminCmd::AddOperator(args) => add_operator(args),
        AdminCmd::RevokeToken(args) => revoke_token(args),
        AdminCmd::AuditVerify(args) => audit_verify(args),
        AdminCmd::RotateKey(args) => rotate_key(args),
        AdminCmd::OfficeTypes(args) => office_types(args),
        AdminCmd::RotateRoot(args) => rotate_root(args),
    }
}

fn office_types(args: OfficeTypesArgs) -> anyhow::Result<ExitCode> {
    let body = serde_json::json!({ "credential_types": args.types }).to_string();
    let kinds = vpass_issuer::service::parse_credential_types(body.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let types: Vec<&str> = kinds.iter().map(|k| k.type_name()).collect();
    let config = config(args.data)?;
    let changed = runtime()?.block_on(async {
        let opened = vpass_issuer::service::open(&config).await?;
        opened
            .service
            .apply_credential_types(CLI_ACTOR, &args.office, &kinds)
            .await
            .map_err(anyhow::Error::from)
    })?;
    if changed {
        eprintln!(
            "{} may now issue the types below; the trust list naming them is published",
            args.office
        );
    } else {
        eprintln!("{} had these types already; nothing changed", args.office);
    }
    println!("{}", types.join(" "));
    Ok(ExitCode::SUCCESS)
}

fn rotate_root(args: RotateRootArgs) -> anyhow::Result<ExitCode> {
    let config = config(args.data)?;
    let done = runtime()?.block_on(async {
        let opened = vpass_issuer::service::open(&config).await?;
        opened
            .service
            .rotate_root(CLI_ACTOR, &args.reason)
            .await
            .map_err(anyhow::Error::from)
    })?;
    eprintln!(
        "trust list #{} signed by {} names the new root; every later list is signed by the new \
         root (verifiers follow it through GET /trust-list/chain)",
        done.sequence, done.previous
    );
    println!("{}", done.next);
    Ok(ExitCode::SUCCESS)
}

fn rotate_key(args: RotateKeyArgs) -> anyhow::Result<ExitCode> {
    let since = args.since.as_deref().map(crate::parse_time).transpose()?;
    let config = config(args.data)?;
    let req = vpass_issuer::service::RotateRequest {
        reason: args.reason,
        compromised: args.compromised,
        since,
    };
    let done = runtime()?.block_on(async {
        let opened = vpass_issuer::service::open(&config).await?;
        opened
            .service
            .rotate_office_key(CLI_ACTOR, "vpass admin rotate-key", &args.office, &req)
            .await
            .map_err(anyhow::Error::from)
    })?;
    let at = done
        .previous_state
        .at()
        .map_or_else(|| "now".to_owned(), |t| t.to_rfc3339());
    eprintln!(
        "{} is now {} (at {at}); the new key signs from now on and the trust list naming it \
         is published",
        done.previous_kid,
        done.previous_state.name(),
    );
    println!("{}", done.kid);
    Ok(ExitCode::SUCCESS)
}

fn revoke_token(args: RevokeTokenArgs) -> anyhow::Result<ExitCode> {
    let token = if args.token == "-" {
        crate::read_input(std::path::Path::new("-"), 4096)?
            .trim()
            .to_owned()
    } else {
        args.token
    };
    let config = config(args.data)?;
    let done = runtime()?.block_on(async {
        let store = vpass_issuer::service::open_store(&config).await?;
        vpass_issuer::service::revoke_token(store.as_ref(), CLI_ACTOR, &token).await
    })?;
    if !done {
        bail!("no active token with that id");
    }
    eprintln!("token revoked: requests with it now get 401");
    Ok(ExitCode::SUCCESS)
}

fn audit_verify(args: DataArgs) -> anyhow::Result<ExitCode> {
    let config = config(args)?;
    let result = runtime()?.block_on(async {
        let store = vpass_issuer::service::open_store(&config).await?;
        anyhow::Ok(vpass_issuer::audit::verify_chain(store.as_ref()).await)
    })?;
    match result {
        Ok(n) => {
            println!("audit log intact: {n} entries");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn config(args: DataArgs) -> anyhow::Result<vpass_issuer::Config> {
    if args.database_url.is_none() && !args.data_dir.join("vpass.db").exists() {
        bail!(
            "{} holds no issuer database; start `vpass serve --data-dir {}` once first",
            args.data_dir.display(),
            args.data_dir.display()
        );
    }
    let mut config = vpass_issuer::Config::default_with_data_dir(args.data_dir);
    config.database_url = args.database_url;
    Ok(config)
}

fn add_operator(args: AddOperatorArgs) -> anyhow::Result<ExitCode> {
    let config = config(args.data)?;
    let token = runtime()?.block_on(async {
        let store = vpass_issuer::service::open_store(&config).await?;
        vpass_issuer::service::add_operator(
            store.as_ref(),
            CLI_ACTOR,
            &args.name,
            &args.role,
            args.office.as_deref(),
        )
        .await
    })?;
    eprintln!(
        "created {} {:?}; its API token follows (shown once)",
        args.role, args.name
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn root_key(args: DataArgs) -> anyhow::Result<ExitCode> {
    let config = config(args)?;
    match runtime()?
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
