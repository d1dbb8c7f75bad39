//! `vpass issue`: sign a credential locally (development) or through an office's service;
//! `vpass issue-batch`: issue every row of a CSV file through the service, in parts;
//! `vpass revoke`: revoke one through the service.
//!
//! Through the service (`--server URL --token T`, also from `VPASS_SERVER` and `VPASS_TOKEN`),
//! every write carries an `Idempotency-Key`: a fresh random one, or `--idempotency-key K` to
//! retry an operation whose answer was lost (the service then replays the first answer and
//! never issues twice). The transport (https://, `--ca-cert`, and the rule that a token goes
//! over plain http:// to this machine only) is `crate::client`'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use vpass_credential::issue::{Format, Issuance};
use vpass_credential::keys::Signer;
use vpass_credential::model::Credential;
use vpass_verifier::TrustStore;

use crate::client::{Reply, TlsArgs, TokenClient};

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The office's private key (JWK) for local signing.
    #[arg(long, conflicts_with = "server")]
    key: Option<PathBuf>,
    /// An office's issuer service: https://HOST:PORT (plain http:// only to this machine).
    #[arg(long, env = "VPASS_SERVER")]
    server: Option<String>,
    #[command(flatten)]
    token: ApiToken,
    #[command(flatten)]
    tls: TlsArgs,
    /// The credential as W3C VCDM 2.0 JSON; its `type` picks the credential type.
    #[arg(long)]
    claims: PathBuf,
    /// The holder: a did:key or a public JWK file (binds the credential to that key).
    #[arg(long)]
    holder: Option<String>,
    /// sd-jwt (SD-JWT VC, the default) or jwt (VC-JWT).
    #[arg(long, value_enum, default_value_t = IssueFormat::SdJwt)]
    format: IssueFormat,
    /// Issuance time (RFC 3339) instead of now (local signing only).
    #[arg(long, conflicts_with = "server")]
    at: Option<String>,
    /// Idempotency key for --server (default: a fresh random one, printed on stderr).
    #[arg(long, requires = "server")]
    idempotency_key: Option<String>,
    /// With --server: print {"id", "credential"} instead of the token.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The file is sent in parts of --part-rows rows, each with its own idempotency \
key derived from the file's content, the type, the part size and the part number (or from \
--idempotency-key): re-running the same command after a crash or a lost connection resumes \
where it stopped and never issues a row twice. To issue the same rows again on purpose, give \
a new --idempotency-key. Prints the ids issued on stdout, one a line; exits 0 when every row \
was issued, 1 when any row was refused (see the report), 2 on any other error."
)]
pub struct IssueBatchArgs {
    /// The rows: a CSV file with a header (see docs/api.md for the columns).
    #[arg(long)]
    csv: PathBuf,
    /// The credential type of every row.
    #[arg(long, default_value = "VolunteerHoursCredential")]
    r#type: String,
    /// Where to write the per-row report, a CSV file with the columns row, status (issued or
    /// refused), id, code, field, reason [default: the CSV file's name + .report.csv].
    #[arg(long)]
    report: Option<PathBuf>,
    /// Rows per request.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    part_rows: u16,
    /// The office's issuer service: https://HOST:PORT (plain http:// only to this machine).
    #[arg(long, env = "VPASS_SERVER")]
    server: String,
    #[command(flatten)]
    token: ApiToken,
    #[command(flatten)]
    tls: TlsArgs,
    /// Prefix of the parts' idempotency keys (default: derived from the file's content).
    #[arg(long)]
    idempotency_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The credential's id (as `vpass issue --server --json` printed it).
    id: String,
    /// Why (kept with the credential; not published).
    #[arg(long)]
    reason: String,
    /// The office's issuer service: https://HOST:PORT (plain http:// only to this machine).
    #[arg(long, env = "VPASS_SERVER")]
    server: String,
    #[command(flatten)]
    token: ApiToken,
    #[command(flatten)]
    tls: TlsArgs,
    /// Idempotency key (default: a fresh random one, printed on stderr).
    #[arg(long)]
    idempotency_key: Option<String>,
}

/// Where the operator's API token comes from. A command line is visible to every user of the
/// machine (`ps`, shell history), so the environment or a file is the better place for it;
/// `--token` stays for scripts that already use it.
#[derive(Debug, Args)]
pub struct ApiToken {
    /// The operator's API token (prefer VPASS_TOKEN or --token-file: a command line is
    /// visible to other users of the machine).
    #[arg(long, env = "VPASS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Read the operator's API token from this file (`-`: standard input).
    #[arg(long, env = "VPASS_TOKEN_FILE", conflicts_with = "token")]
    token_file: Option<PathBuf>,
}

/// Longest API token file read.
const MAX_TOKEN_FILE: usize = 4096;

impl ApiToken {
    /// The token, from `--token`/`VPASS_TOKEN` or the first line of `--token-file`.
    pub fn resolve(&self) -> anyhow::Result<String> {
        let token = match (&self.token, &self.token_file) {
            (Some(t), _) => t.trim().to_owned(),
            (None, Some(path)) => crate::read_input(path, MAX_TOKEN_FILE)?
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            (None, None) => {
                bail!("the service needs an API token: VPASS_TOKEN, --token-file FILE or --token T")
            }
        };
        if token.is_empty() {
            bail!("the API token is empty");
        }
        Ok(token)
    }
}

#[cfg(test)]
impl ApiToken {
    /// A token given as `--token`, or none.
    pub fn for_tests(token: Option<&str>) -> ApiToken {
        ApiToken {
            token: token.map(str::to_owned),
            token_file: None,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IssueFormat {
    SdJwt,
    Jwt,
}

impl IssueFormat {
    /// The credential format it names.
    fn format(self) -> Format {
        match self {
            IssueFormat::SdJwt => Format::SdJwt,
            IssueFormat::Jwt => Format::VcJwt,
        }
    }
}

pub fn run(args: IssueArgs) -> anyhow::Result<ExitCode> {
    match (&args.key, &args.server) {
        (Some(key), _) => issue_locally(key, &args),
        (None, Some(server)) => issue_remotely(server, &args),
        (None, None) => bail!("give --key FILE (local signing) or --server URL --token T"),
    }
}

fn issue_locally(key_path: &Path, args: &IssueArgs) -> anyhow::Result<ExitCode> {
    let key = crate::read_signing_key(key_path)?;
    let json = crate::read_json(&args.claims)?;
    let credential = Credential::from_json(&json)
        .with_context(|| format!("{} is not a valid vpass credential", args.claims.display()))?;
    let holder = match &args.holder {
        None => None,
        Some(h) => Some(
            TrustStore::parse_key_arg(h)
                .with_context(|| format!("--holder {h}: not a holder key"))?,
        ),
    };
    let iat = crate::now_or(args.at.as_deref())?;
    let token = Issuance::new(&credential)
        .format(args.format.format())
        .issued_at(iat)
        .holder(holder.as_ref())
        .sign(&key)?;
    eprintln!(
        "issued a {} signed by {} ({} characters)",
        credential.kind().type_name(),
        key.public().did_key(),
        token.len()
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// Turn a problem+json answer into an error message.
fn refused(reply: &Reply) -> anyhow::Error {
    let problem: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
    let code = problem["code"].as_str().unwrap_or("?");
    let detail = problem["detail"].as_str().unwrap_or(reply.body.as_str());
    match problem["field"].as_str() {
        Some(field) => anyhow::anyhow!(
            "the service refused ({} {code} at {field}): {detail}",
            reply.status
        ),
        None => anyhow::anyhow!("the service refused ({} {code}): {detail}", reply.status),
    }
}

fn idempotency_key(given: Option<&String>) -> String {
    match given {
        Some(k) => k.clone(),
        None => {
            let key = vpass_issuer::crypto::random_uuid();
            eprintln!("idempotency key {key} (repeat it with --idempotency-key to retry safely)");
            key
        }
    }
}

fn issue_remotely(server: &str, args: &IssueArgs) -> anyhow::Result<ExitCode> {
    let client = TokenClient::new(server, &args.tls, &args.token)?;
    let mut json = crate::read_json(&args.claims)?;
    let Some(map) = json.as_object_mut() else {
        bail!("{} is not a JSON object", args.claims.display());
    };
    // The service sets both from the operator's office and its status list.
    for member in ["issuer", "credentialStatus"] {
        if map.remove(member).is_some() {
            eprintln!("note: `{member}` in the claims file is ignored: the service sets it");
        }
    }
    if let Some(h) = &args.holder {
        let key = TrustStore::parse_key_arg(h)
            .with_context(|| format!("--holder {h}: not a holder key"))?;
        map.insert("holder".into(), key.did_key().into());
    }
    map.insert("format".into(), args.format.format().as_str().into());
    let key = idempotency_key(args.idempotency_key.as_ref());
    let reply = client.post(
        "/api/v1/credentials",
        &key,
        "application/json",
        &json.to_string(),
    )?;
    if !(200..300).contains(&reply.status) {
        return Err(refused(&reply));
    }
    let answer: serde_json::Value =
        serde_json::from_str(&reply.body).context("the service's answer is not JSON")?;
    let (Some(id), Some(credential)) = (answer["id"].as_str(), answer["credential"].as_str())
    else {
        bail!("the service's answer has no id or credential");
    };
    eprintln!("issued {id} (status-list index {})", answer["status_index"]);
    if args.json {
        println!(
            "{}",
            serde_json::json!({"id": id, "credential": credential})
        );
    } else {
        println!("{credential}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Largest CSV file `vpass issue-batch` reads (it is sent in parts).
const MAX_BATCH_FILE: usize = 256 * 1024 * 1024;
/// Attempts per part when the connection fails (the same idempotency key every time).
const PART_ATTEMPTS: u32 = 3;
/// Refused rows shown on stderr (all of them are in the report).
const SHOWN_REFUSALS: usize = 20;

/// One part of a CSV batch: the header line plus a run of data rows, as they are in the file.
struct Part {
    /// Number of rows before this part (row numbers in the report start at 1 after the header).
    offset: usize,
    rows: usize,
    body: String,
}

/// Split CSV `text` into parts of at most `part_rows` data rows, each repeating the header. The
/// rows are cut where a CSV reader finds them (a quoted cell may span lines), and sent as
/// written, so the service numbers and judges them as it would the whole file.
fn split_csv(text: &str, part_rows: usize) -> anyhow::Result<Vec<Part>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .byte_headers()
        .context("the CSV header cannot be read")?;
    // The reader may place a position before the line break that ends the previous record
    // (the `\n` of `\r\n`) or before skipped empty lines: a row starts after those.
    let row_start = |pos: u64| -> anyhow::Result<usize> {
        let pos = usize::try_from(pos).context("CSV offset")?;
        let skipped = text.get(pos..).map_or(0, |rest| {
            rest.len() - rest.trim_start_matches(['\r', '\n']).len()
        });
        Ok(pos + skipped)
    };
    let header_end = row_start(reader.position().byte())?;
    let header = text
        .get(..header_end)
        .context("the CSV header ends inside a character")?;
    let mut starts = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .context("reading the CSV rows")?
    {
        starts.push(row_start(record.position().map_or(0, |p| p.byte()))?);
    }
    let mut parts = Vec::new();
    for (n, chunk) in starts.chunks(part_rows).enumerate() {
        let from = chunk.first().copied().unwrap_or(header_end);
        let to = starts
            .get((n + 1) * part_rows)
            .copied()
            .unwrap_or(text.len());
        let rows = text
            .get(from..to)
            .context("a CSV row boundary falls inside a character")?;
        let mut body = String::with_capacity(header.len() + 1 + rows.len());
        body.push_str(header);
        if !header.ends_with('\n') {
            body.push('\n');
        }
        body.push_str(rows);
        parts.push(Part {
            offset: n * part_rows,
            rows: chunk.len(),
            body,
        });
    }
    Ok(parts)
}

/// One line of the per-row report.
struct ReportRow {
    row: u64,
    id: Option<String>,
    code: String,
    field: String,
    reason: String,
}

/// The report as CSV: `row,status,id,code,field,reason`, rows in file order.
fn report_csv(rows: &mut [ReportRow]) -> anyhow::Result<Vec<u8>> {
    rows.sort_by_key(|r| r.row);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["row", "status", "id", "code", "field", "reason"])?;
    for r in rows.iter() {
        let status = if r.id.is_some() { "issued" } else { "refused" };
        w.write_record([
            r.row.to_string().as_str(),
            status,
            r.id.as_deref().unwrap_or(""),
            &r.code,
            &r.field,
            &r.reason,
        ])?;
    }
    w.into_inner().context("writing the report")
}

/// The report's reason for a refused row: the row error's `reason` member (what is wrong,
/// without the code and field the report has in their own columns), or its whole `detail`
/// when it has none.
fn reason_of(error: &serde_json::Value) -> String {
    error["reason"]
        .as_str()
        .or_else(|| error["detail"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The idempotency key of part `n` (from 1).
fn part_key(prefix: &str, n: usize) -> String {
    format!("{prefix}-part-{n}")
}

/// The key prefix when `--idempotency-key` is not given: from the SHA-256 of what is sent (type,
/// part size, file content), so that the same command always uses the same keys.
fn derived_key_prefix(type_name: &str, part_rows: u16, csv: &str) -> String {
    let mut input = format!("vpass issue-batch\n{type_name}\n{part_rows}\n").into_bytes();
    input.extend_from_slice(csv.as_bytes());
    let hash = vpass_issuer::crypto::sha256(&input);
    let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("csv-{hex}")
}

/// Send one part, retrying a failed connection with the same key.
fn send_part(client: &TokenClient, path: &str, key: &str, part: &Part) -> anyhow::Result<Reply> {
    let mut attempt = 1;
    loop {
        match client.post(path, key, "text/csv", &part.body) {
            Ok(reply) => return Ok(reply),
            Err(e) if attempt < PART_ATTEMPTS => {
                eprintln!("{e:#}; trying again with the same idempotency key");
                std::thread::sleep(std::time::Duration::from_secs(u64::from(attempt)));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// `vpass issue-batch`: sends the CSV file in parts, prints the ids issued (one a line), writes
/// the per-row report; exit 1 if any row was refused.
pub fn issue_batch(args: IssueBatchArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let client = TokenClient::new(&args.server, &args.tls, &args.token)?;

    let csv = crate::read_input(&args.csv, MAX_BATCH_FILE)?;
    let parts = split_csv(&csv, usize::from(args.part_rows))
        .with_context(|| format!("{} is not a readable CSV file", args.csv.display()))?;
    if parts.is_empty() {
        bail!("{} has no rows after its header", args.csv.display());
    }
    let report_path = args.report.clone().unwrap_or_else(|| {
        let mut name = args.csv.clone().into_os_string();
        name.push(".report.csv");
        PathBuf::from(name)
    });
    let prefix = match &args.idempotency_key {
        Some(k) => k.clone(),
        None => derived_key_prefix(&args.r#type, args.part_rows, &csv),
    };
    let path = format!(
        "/api/v1/credentials/batch?type={}",
        percent_encode(&args.r#type)
    );
    let total: usize = parts.iter().map(|p| p.rows).sum();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({eta} left) {msg}")
        {
            bar.set_style(style);
        }
        bar
    });
    // Messages while the bar is drawn go above it.
    let say = |line: String| match &bar {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    };
    say(format!(
        "sending {} rows of {} to {} in {} part(s) (idempotency keys {prefix}-part-N)",
        total,
        args.csv.display(),
        client.server(),
        parts.len()
    ));
    let mut report = Vec::with_capacity(total);
    let (mut n_issued, mut n_refused) = (0usize, 0usize);
    for (n, part) in parts.iter().enumerate() {
        let key = part_key(&prefix, n + 1);
        let answer = send_part(&client, &path, &key, part).and_then(|reply| {
            if !(200..300).contains(&reply.status) {
                return Err(refused(&reply));
            }
            serde_json::from_str::<serde_json::Value>(&reply.body)
                .context("the service's answer is not JSON")
        });
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                if let Some(bar) = &bar {
                    bar.abandon();
                }
                if !report.is_empty() {
                    crate::write_file(&report_path, &report_csv(&mut report)?, true)?;
                }
                return Err(e.context(format!(
                    "part {} of {} (rows {}–{}) failed; {n_issued} rows issued before it (report \
                     at {}); run the same command again to resume: parts already issued are \
                     not issued twice",
                    n + 1,
                    parts.len(),
                    part.offset + 1,
                    part.offset + part.rows,
                    report_path.display()
                )));
            }
        };
        let offset = part.offset as u64;
        let empty = Vec::new();
        for item in answer["issued"].as_array().unwrap_or(&empty) {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            println!("{id}");
            n_issued += 1;
            report.push(ReportRow {
                row: offset + item["row"].as_u64().unwrap_or(0),
                id: Some(id),
                code: String::new(),
                field: String::new(),
                reason: String::new(),
            });
        }
        for e in answer["errors"].as_array().unwrap_or(&empty) {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            let row = ReportRow {
                row: offset + e["row"].as_u64().unwrap_or(0),
                id: None,
                code: text("code"),
                field: text("field"),
                reason: reason_of(e),
            };
            if n_refused < SHOWN_REFUSALS {
                say(format!(
                    "row {}: {} {} {}",
                    row.row, row.code, row.field, row.reason
                ));
            } else if n_refused == SHOWN_REFUSALS {
                say("more refused rows: see the report".into());
            }
            n_refused += 1;
            report.push(row);
        }
        match &bar {
            Some(bar) => bar.inc(part.rows as u64),
            None => eprintln!(
                "part {}/{} (rows {}–{}): {n_issued} issued, {n_refused} refused so far",
                n + 1,
                parts.len(),
                part.offset + 1,
                part.offset + part.rows
            ),
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    crate::write_file(&report_path, &report_csv(&mut report)?, true)?;
    eprintln!(
        "issued {n_issued}, refused {n_refused}; report at {}",
        report_path.display()
    );
    Ok(if n_refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn revoke(args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let client = TokenClient::new(&args.server, &args.tls, &args.token)?;
    let key = idempotency_key(args.idempotency_key.as_ref());
    let body = serde_json::json!({"reason": args.reason}).to_string();
    let path = format!("/api/v1/credentials/{}/revoke", percent_encode(&args.id));
    let reply = client.post(&path, &key, "application/json", &body)?;
    if !(200..300).contains(&reply.status) {
        return Err(refused(&reply));
    }
    eprintln!("revoked; the office's status list is re-signed");
    println!("{}", args.id);
    Ok(ExitCode::SUCCESS)
}

/// Percent-encode a path segment (ids are UUIDs; anything else is escaped).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_csv_repeats_the_header_and_keeps_quoted_line_breaks_in_their_row() {
        let text = "name,hours\r\na,1\r\n\"b\nc\",2\r\nd,3\r\ne,4";
        let parts = split_csv(text, 2).unwrap();
        let bodies: Vec<_> = parts.iter().map(|p| p.body.as_str()).collect();
        assert_eq!(
            bodies,
            [
                "name,hours\r\na,1\r\n\"b\nc\",2\r\n",
                "name,hours\r\nd,3\r\ne,4"
            ]
        );
        assert_eq!(
            parts.iter().map(|p| (p.offset, p.rows)).collect::<Vec<_>>(),
            [(0, 2), (2, 2)]
        );
        assert!(split_csv("name,hours\n", 2).unwrap().is_empty());
        assert!(split_csv("name,hours", 2).unwrap().is_empty());
    }

    #[test]
    fn report_reason_is_the_row_errors_reason_member() {
        // The reason member is taken as it is, whatever the detail says.
        let e = serde_json::json!({
            "row": 2, "code": "INVALID_FIELD", "field": "credentialSubject.hours",
            "detail": "INVALID_FIELD (credentialSubject.hours: must be a positive number)",
            "reason": "must be a positive number",
        });
        assert_eq!(reason_of(&e), "must be a positive number");
        let e = serde_json::json!({"detail": "a detail", "reason": "its own reason"});
        assert_eq!(reason_of(&e), "its own reason");
        // A row error without a reason: its whole detail.
        let e = serde_json::json!({"code": "CSV_INVALID", "detail": "unreadable row: 3 fields"});
        assert_eq!(reason_of(&e), "unreadable row: 3 fields");
    }

    #[test]
    fn part_keys_follow_the_file_type_and_part_size() {
        let a = derived_key_prefix("VolunteerHoursCredential", 500, "name\nx\n");
        assert_eq!(
            a,
            derived_key_prefix("VolunteerHoursCredential", 500, "name\nx\n")
        );
        assert_ne!(
            a,
            derived_key_prefix("VolunteerHoursCredential", 400, "name\nx\n")
        );
        assert_ne!(
            a,
            derived_key_prefix("VolunteerSkillCredential", 500, "name\nx\n")
        );
        assert_ne!(
            a,
            derived_key_prefix("VolunteerHoursCredential", 500, "name\ny\n")
        );
        assert_eq!(part_key(&a, 3), format!("{a}-part-3"));
    }
}
