//! `vpass serve`: the front-office issuer service (library: `vpass-issuer`).
//!
//! Settings come from flags, environment variables and an optional TOML file (`--config`,
//! `VPASS_CONFIG`) whose keys are the long flag names; flags win over the environment, the
//! environment over the file, the file over the defaults. The file is handled generically
//! ([`apply_config_file`]): every flag of [`ServeArgs`] is a file key without further code.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Command};

/// Flags of `vpass serve`; each also reads an environment variable and a file key.
#[derive(Debug, Args)]
#[command(
    after_help = "Every flag can also be set in the --config file (TOML), its key being the flag's \
long name, e.g. listen = \"0.0.0.0:8080\"; flags override environment variables, which \
override the file. The key-encryption key that seals the private keys in the database \
comes from VPASS_KEK (64 hex digits or base64url of 32 bytes) or, if unset, from \
<data-dir>/kek, created with mode 0600 on the first start. The first start also writes an \
admin API token to <data-dir>/initial-admin-token (mode 0600). Logs go to standard error, \
filtered by VPASS_LOG or RUST_LOG (default info). See docs/operations.md."
)]
pub struct ServeArgs {
    /// TOML file of settings: keys are the long flag names below (listen = "0.0.0.0:8080").
    #[arg(long, env = "VPASS_CONFIG")]
    config: Option<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, env = "VPASS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Database: sqlite://FILE or postgres://USER@HOST/DB (default: SQLite file vpass.db in
    /// the data folder).
    #[arg(long, env = "VPASS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Folder for the database, the key-encryption key file (kek) and the initial admin token.
    #[arg(long, env = "VPASS_DATA_DIR", default_value = "vpass-data")]
    data_dir: PathBuf,
    /// Public base URL of this service, used in status-list URLs (first start only; default
    /// http://localhost:PORT, PORT from --listen).
    #[arg(long, env = "VPASS_PUBLIC_URL")]
    public_url: Option<String>,
    /// The national office's did:web (first start only; default: did:web of the public
    /// URL's host and port, e.g. did:web:localhost%3A8080).
    #[arg(long, env = "VPASS_OFFICE_DID")]
    office_did: Option<String>,
    /// API requests per operator (token) per minute; over it, 429 RATE_LIMITED (0 = no limit).
    #[arg(long, env = "VPASS_RATE_LIMIT_PER_MINUTE", default_value_t = vpass_issuer::service::DEFAULT_RATE_LIMIT)]
    rate_limit_per_minute: u32,
    /// API requests without a valid token per client address per minute (0 = no limit).
    #[arg(long, env = "VPASS_AUTH_FAILURES_PER_MINUTE", default_value_t = vpass_issuer::service::DEFAULT_AUTH_FAILURE_LIMIT)]
    auth_failures_per_minute: u32,
    /// Days an Idempotency-Key is remembered; a retry after that is a new request (0 = forever).
    #[arg(long, env = "VPASS_IDEMPOTENCY_RETENTION_DAYS", default_value_t = vpass_issuer::service::DEFAULT_IDEMPOTENCY_RETENTION_DAYS)]
    idempotency_retention_days: u32,
    /// Most hours one credential may certify (plausibility check HOURS_OVER_CAP).
    #[arg(long, env = "VPASS_MAX_HOURS_PER_CREDENTIAL", default_value_t = vpass_issuer::volunteers::DEFAULT_MAX_HOURS_PER_CREDENTIAL, value_parser = positive_hours)]
    max_hours_per_credential: f64,
    /// Most hours one volunteer may have on one day, all credentials together, each
    /// credential's hours spread evenly over its period (check DAILY_HOURS_OVER_CAP).
    #[arg(long, env = "VPASS_MAX_HOURS_PER_DAY", default_value_t = vpass_issuer::volunteers::DEFAULT_MAX_HOURS_PER_DAY, value_parser = positive_hours)]
    max_hours_per_day: f64,
    /// Seconds a client has to send a request's header; then the connection is closed.
    #[arg(long, env = "VPASS_HEADER_READ_TIMEOUT_SECS", default_value_t = vpass_issuer::service::DEFAULT_HEADER_READ_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    header_read_timeout_secs: u64,
    /// Seconds a client has to send a request's body; then 408 BODY_TIMEOUT.
    #[arg(long, env = "VPASS_BODY_READ_TIMEOUT_SECS", default_value_t = vpass_issuer::service::DEFAULT_BODY_READ_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    body_read_timeout_secs: u64,
    /// Most connections served at once; more wait to be accepted.
    #[arg(long, env = "VPASS_MAX_CONNECTIONS", default_value_t = vpass_issuer::service::DEFAULT_MAX_CONNECTIONS, value_parser = connection_count)]
    max_connections: usize,
    /// Seconds a graceful stop (Ctrl-C, SIGTERM) waits for requests in progress before it
    /// closes their connections.
    #[arg(long, env = "VPASS_SHUTDOWN_TIMEOUT_SECS", default_value_t = vpass_issuer::service::DEFAULT_SHUTDOWN_TIMEOUT_SECS)]
    shutdown_timeout_secs: u64,
    /// A second address serving GET /metrics (Prometheus) without a token, for an internal
    /// network; without it, /metrics on --listen needs an admin's or auditor's token.
    #[arg(long, env = "VPASS_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
}

/// A number of connections, at least 1.
fn connection_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{s:?} is not a number of connections of at least 1"
        )),
    }
}

/// A number of hours greater than 0.
fn positive_hours(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(h) if h.is_finite() && h > 0.0 => Ok(h),
        _ => Err(format!("{s:?} is not a number of hours greater than 0")),
    }
}

impl ServeArgs {
    /// The service configuration these flags describe.
    fn config(self) -> vpass_issuer::Config {
        vpass_issuer::Config {
            listen: self.listen,
            database_url: self.database_url,
            data_dir: self.data_dir,
            public_url: self.public_url,
            office_did: self.office_did,
            rate_limit_per_minute: self.rate_limit_per_minute,
            auth_failures_per_minute: self.auth_failures_per_minute,
            idempotency_retention_days: self.idempotency_retention_days,
            max_hours_per_credential: self.max_hours_per_credential,
            max_hours_per_day: self.max_hours_per_day,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
            max_connections: self.max_connections,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
            metrics_listen: self.metrics_listen,
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::log::init("info", true)?;
    let config = args.config();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime
        .block_on(vpass_issuer::serve(config, |addr| {
            eprintln!("vpass serve: listening on http://{addr}");
        }))
        .context("vpass serve")?;
    Ok(ExitCode::SUCCESS)
}

/// The serve subcommand's flags that are file keys: (arg id, long name).
fn file_keys(serve: &Command) -> Vec<(String, String)> {
    serve
        .get_arguments()
        .filter_map(|a| Some((a.get_id().to_string(), a.get_long()?.to_owned())))
        .filter(|(_, long)| !matches!(long.as_str(), "config" | "help" | "version"))
        .collect()
}

/// `cmd` (the whole `vpass` command) with each `serve` flag's help naming its file key.
pub fn command_with_file_keys(cmd: Command) -> Command {
    cmd.mut_subcommand("serve", |serve| {
        let keys = file_keys(&serve);
        keys.into_iter().fold(serve, |serve, (id, long)| {
            serve.mut_arg(id, |a| {
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                let a = a.help(format!("{help} [file: {long}]"));
                match a.get_long_help().map(ToString::to_string) {
                    Some(long_help) => a.long_help(format!("{long_help} [file: {long}]")),
                    None => a,
                }
            })
        })
    })
}

/// Largest accepted configuration file.
const MAX_CONFIG_FILE: usize = 64 * 1024;

/// If `matches` is `vpass serve` with `--config FILE` (or `VPASS_CONFIG`), parse `args` again
/// with the file's settings added for every flag that neither the command line nor the
/// environment set. Unknown keys and bad values are refused naming the key.
pub fn apply_config_file(
    cmd: &Command,
    args: Vec<OsString>,
    matches: ArgMatches,
) -> anyhow::Result<ArgMatches> {
    let Some(("serve", sub)) = matches.subcommand() else {
        return Ok(matches);
    };
    let Some(path) = sub.get_one::<PathBuf>("config") else {
        return Ok(matches);
    };
    let shown = path.display();
    let text = crate::read_input(path, MAX_CONFIG_FILE)?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("{shown} is not a TOML file"))?;
    let serve = cmd
        .find_subcommand("serve")
        .context("the serve command is missing")?;
    let keys = file_keys(serve);
    let mut extra = Vec::new();
    for (key, item) in doc.iter() {
        let Some((id, _)) = keys.iter().find(|(_, long)| long == key) else {
            bail!(
                "{shown}: unknown key `{key}` (the keys are the long flag names of \
                 `vpass serve --help`, such as listen or database-url)"
            );
        };
        let value = match item.as_value() {
            Some(toml_edit::Value::String(s)) => s.value().clone(),
            Some(toml_edit::Value::Integer(i)) => i.value().to_string(),
            Some(toml_edit::Value::Float(f)) => f.value().to_string(),
            Some(toml_edit::Value::Boolean(b)) => b.value().to_string(),
            _ => bail!("{shown}: key `{key}`: must be a string, a number or true/false"),
        };
        let flag = OsString::from(format!("--{key}={value}"));
        // Checked alone, so that the error names this key.
        if let Err(e) = serve
            .clone()
            .try_get_matches_from([OsString::from("serve"), flag.clone()])
        {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid value");
            bail!(
                "{shown}: key `{key}`: {}",
                first.trim_start_matches("error: ")
            );
        }
        match sub.value_source(id) {
            Some(ValueSource::CommandLine | ValueSource::EnvVariable) => {}
            _ => extra.push(flag),
        }
    }
    if extra.is_empty() {
        return Ok(matches);
    }
    let mut args = args;
    args.extend(extra);
    Ok(cmd.clone().try_get_matches_from(args)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use clap::{CommandFactory, FromArgMatches};

    use super::*;
    use crate::Cli;

    fn parse(args: &[&str]) -> anyhow::Result<vpass_issuer::Config> {
        let cmd = command_with_file_keys(Cli::command());
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let matches = cmd.clone().try_get_matches_from(args.clone())?;
        let matches = apply_config_file(&cmd, args, matches)?;
        match Cli::from_arg_matches(&matches)?.command {
            crate::Command::Serve(s) => Ok(s.config()),
            _ => unreachable!("not serve"),
        }
    }

    fn example() -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/serve.toml")
            .display()
            .to_string()
    }

    #[test]
    fn every_serve_flag_names_its_env_var_and_file_key() {
        let mut cmd = command_with_file_keys(Cli::command());
        let serve = cmd.find_subcommand_mut("serve").unwrap();
        // Whitespace collapsed: with clap's `wrap_help` (enabled by feature unification in
        // some builds) a help line may wrap anywhere a space is.
        let help = serve
            .render_long_help()
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let keys = file_keys(serve);
        assert!(keys.len() >= 8, "{keys:?}");
        for arg in serve.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let env = arg
                .get_env()
                .unwrap_or_else(|| panic!("--{long} has no env var"));
            assert!(help.contains(&format!("--{long}")), "{long}");
            assert!(
                help.contains(&format!("[env: {}", env.to_string_lossy())),
                "--{long}: env not in help"
            );
            if long != "config" {
                assert!(help.contains(&format!("[file: {long}]")), "--{long}");
            }
        }
    }

    #[test]
    fn example_config_file_loads() {
        let file = example();
        let config = parse(&["vpass", "serve", "--config", &file]).unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://vpass.example.kz")
        );
        assert_eq!(config.rate_limit_per_minute, 6000);
        assert_eq!(config.idempotency_retention_days, 14);
        assert_eq!(config.max_hours_per_credential, 500.0);
        assert_eq!(config.max_hours_per_day, 12.5);
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/vpass"));
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let file = example();
        let config = parse(&[
            "vpass",
            "serve",
            "--config",
            &file,
            "--listen",
            "127.0.0.1:9999",
        ])
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(config.rate_limit_per_minute, 6000);
        let config = parse(&["vpass", "serve"]).unwrap();
        assert_eq!(config.rate_limit_per_minute, 100_000);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("serve.toml");
        std::fs::write(&file, "auth-failures-per-minute = 7\n").unwrap();
        // No other test reads this variable.
        std::env::set_var("VPASS_AUTH_FAILURES_PER_MINUTE", "9");
        let result = parse(&["vpass", "serve", "--config", &file.display().to_string()]);
        std::env::remove_var("VPASS_AUTH_FAILURES_PER_MINUTE");
        assert_eq!(result.unwrap().auth_failures_per_minute, 9);
        let config = parse(&["vpass", "serve", "--config", &file.display().to_string()]).unwrap();
        assert_eq!(config.auth_failures_per_minute, 7);
    }

    #[test]
    fn reject_unknown_keys_and_bad_values_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("serve.toml");
        let path = file.display().to_string();
        for (text, needle) in [
            ("listn = \"0.0.0.0:80\"\n", "unknown key `listn`"),
            ("listen = \"not an address\"\n", "key `listen`"),
            (
                "rate-limit-per-minute = -5\n",
                "key `rate-limit-per-minute`",
            ),
            ("data-dir = [1, 2]\n", "key `data-dir`"),
            ("max-hours-per-day = 0\n", "key `max-hours-per-day`"),
            ("config = \"other.toml\"\n", "unknown key `config`"),
            ("listen = \n", "not a TOML file"),
        ] {
            std::fs::write(&file, text).unwrap();
            let err = parse(&["vpass", "serve", "--config", &path]).unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{text}: {err:#}");
        }
    }
}
