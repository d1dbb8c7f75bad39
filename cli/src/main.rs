//! `vpass`: the command-line face of the volunteer passport.
//!
//! A thin clap layer: each subcommand parses its arguments and hands over to the libraries
//! (`vpass-credential`, `vpass-verifier`). Tokens, QR text and ids go to stdout, one per
//! line; progress and messages go to stderr; `--json` gives structured output.

// Doc comments here are `--help` text for people, where bare URLs read best.
#![allow(rustdoc::bare_urls)]

mod admin;
mod bench;
mod client;
mod demo;
mod issue;
mod keys;
mod log;
mod present;
mod qr;
mod serve;
mod trust;
mod verify;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// vpass — the digital volunteer passport.
#[derive(Debug, Parser)]
#[command(name = "vpass", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole story once — issue, present, QR, verify, forgeries refused — printing
    /// each step.
    Demo(demo::DemoArgs),
    /// Make and inspect keys.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Sign a credential locally (development) or through an office's service.
    Issue(issue::IssueArgs),
    /// Turn an issued credential into a presentation: chosen claims, key binding, QR.
    Present(present::PresentArgs),
    /// Check a credential offline and print the verdict (exit 0 only when valid).
    Verify(verify::VerifyArgs),
    /// Write QR images, and read the codes in a photo or scan.
    #[command(subcommand)]
    Qr(qr::QrCmd),
    /// Measure signing and verification speed on this machine (like `openssl speed`).
    Bench(bench::BenchArgs),
    /// Run the front-office issuer service (HTTP API, status lists, trust list).
    Serve(serve::ServeArgs),
    /// Issue every row of a CSV file through an office's service (per-row report to a file).
    IssueBatch(issue::IssueBatchArgs),
    /// Revoke a credential through an office's service.
    Revoke(issue::RevokeArgs),
    /// Administer the issuer service's data (root key, ...).
    #[command(subcommand)]
    Admin(admin::AdminCmd),
    /// Keep a verifier's trust store current: the signed trust list and status lists.
    #[command(subcommand)]
    Trust(trust::TrustCmd),
}

/// Parse the command line; `vpass serve` also reads its `--config` file.
fn parse() -> anyhow::Result<Cli> {
    let cmd = serve::command_with_file_keys(Cli::command());
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = cmd.clone().get_matches_from(args.clone());
    let matches = serve::apply_config_file(&cmd, args, matches).map_err(|e| {
        match e.downcast::<clap::Error>() {
            Ok(clap_error) => clap_error.exit(),
            Err(e) => e,
        }
    })?;
    Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("vpass: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vpass: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Issue(args) => issue::run(args),
        Command::Present(args) => present::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Qr(cmd) => qr::run(cmd),
        Command::Bench(args) => bench::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Admin(cmd) => admin::run(cmd),
        Command::Trust(cmd) => trust::run(cmd),
        Command::IssueBatch(args) => issue::issue_batch(args),
        Command::Revoke(args) => issue::revoke(args),
    }
}

/// Read a file, or standard input when the path is `-`, with a size cap.
pub(crate) fn read_input(path: &Path, cap: usize) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(cap as u64 + 1)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("opening {}", path.display()))?
            .take(cap as u64 + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    if buf.len() > cap {
        bail!("{} is larger than {cap} bytes", path.display());
    }
    String::from_utf8(buf).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Read untrusted text from standard input for a verdict: at most `cap + 1` bytes (so that an
/// oversized input still reaches the verifier and gets its `PAYLOAD_TOO_LARGE` verdict), and
/// invalid UTF-8 replaced rather than refused (it then fails as a malformed credential).
pub(crate) fn read_untrusted_stdin(cap: usize) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .context("reading standard input")?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Read a JSON file strictly (duplicate members refused).
pub(crate) fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = read_input(path, 1024 * 1024)?;
    vpass_credential::json::parse(text.as_bytes(), "file")
        .with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Read a private key file (a private JWK as written by `vpass keys generate`).
pub(crate) fn read_signing_key(path: &Path) -> anyhow::Result<vpass_credential::keys::SigningKey> {
    let jwk = read_json(path)?;
    vpass_credential::keys::SigningKey::from_jwk(&jwk)
        .with_context(|| format!("{} is not a private JWK (Ed25519 or P-256)", path.display()))
}

/// Parse an RFC 3339 time argument.
pub(crate) fn parse_time(s: &str) -> anyhow::Result<vpass_credential::time::UnixTime> {
    vpass_credential::time::UnixTime::parse_rfc3339(s)
        .with_context(|| format!("{s:?} is not an RFC 3339 time such as 2026-11-22T10:00:00Z"))
}

/// The current time, or `--at`.
pub(crate) fn now_or(at: Option<&str>) -> anyhow::Result<vpass_credential::time::UnixTime> {
    use vpass_credential::time::Clock;
    match at {
        Some(s) => parse_time(s),
        None => Ok(vpass_credential::time::SystemClock.now()),
    }
}

/// Write a file atomically enough for keys and images: create, write, sync.
pub(crate) fn write_file(path: &PathBuf, bytes: &[u8], private: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = private;
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    f.sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
