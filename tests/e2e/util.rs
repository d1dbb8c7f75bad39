//! Helpers shared by the end-to-end tests, among them the one rule for a test whose outside
//! tool is missing ([`missing`]): skip on a developer's machine, fail under CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `vpass` binary of this build (built once if `cargo test` did not build it).
pub fn vpass_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/e2e-<hash> → target/<profile>/vpass
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target profile dir");
        let bin = profile_dir.join(format!("vpass{}", std::env::consts::EXE_SUFFIX));
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(env!("CARGO"));
        build.args(["build", "--quiet", "-p", "vpass-cli", "--bin", "vpass"]);
        if release {
            build.arg("--release");
        }
        let status = build
            .current_dir(repo_root())
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build -p vpass-cli failed");
        bin
    })
}

/// Run `vpass` with `args` (and optional stdin) in `dir`.
pub fn vpass(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(vpass_bin())
        .args(args)
        .current_dir(dir)
        .env("VPASS_LANG", "en")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning vpass");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("writing stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("waiting for vpass")
}

/// stdout as a trimmed string.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// A fresh temporary directory (removed on drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Make one named after the test.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("vpass-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// In `dir`: an office key (`office.jwk`), a holder key (`holder.jwk`), and the standard hours
/// credential issued to the holder (`hours.sdjwt`) as of its `validFrom`. Returns the office's
/// did:key.
pub fn issue_bound_hours(dir: &Path) -> String {
    let office = vpass(dir, &["keys", "generate", "--out", "office.jwk"], None);
    assert!(
        office.status.success(),
        "{}",
        String::from_utf8_lossy(&office.stderr)
    );
    let holder = vpass(dir, &["keys", "generate", "--out", "holder.jwk"], None);
    assert!(
        holder.status.success(),
        "{}",
        String::from_utf8_lossy(&holder.stderr)
    );
    let claims = repo_root().join("examples/hours.json");
    let claims = claims.to_str().expect("utf-8 path");
    let issued = vpass(
        dir,
        &[
            "issue",
            "--key",
            "office.jwk",
            "--claims",
            claims,
            "--holder",
            "holder.jwk",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
        None,
    );
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    std::fs::write(dir.join("hours.sdjwt"), stdout(&issued)).expect("writing hours.sdjwt");
    stdout(&office)
}

/// Whether this run is a CI run: the `CI` environment variable is set (CI runners set
/// `CI=true`), to anything but the empty string, `0` or `false`.
pub fn under_ci() -> bool {
    ci_value_means_ci(std::env::var_os("CI").as_deref())
}

/// [`under_ci`] for a given value of `CI`.
fn ci_value_means_ci(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A test found `what` missing, which `install` provides: the one decision of every test that
/// needs an outside tool (PostgreSQL, an npm or pip package, Chromium, HAProxy). Under CI
/// ([`under_ci`]) the test fails with that message, so that CI never passes by skipping;
/// elsewhere it prints `SKIPPED: …` and the caller returns without testing.
pub fn missing(what: &str, install: &str) {
    missing_when(under_ci(), what, install);
}

/// [`missing`] with the CI decision given: panics when `ci`, else prints and returns the
/// message.
fn missing_when(ci: bool, what: &str, install: &str) -> String {
    let message = format!("{what} is missing; {install}");
    if ci {
        panic!("CI is set, so this test fails instead of skipping: {message}");
    }
    eprintln!("SKIPPED: {message}");
    message
}

#[test]
#[should_panic(
    expected = "CI is set, so this test fails instead of skipping: HAProxy is missing; \
                scripts/scaleout-setup.sh installs it"
)]
fn under_ci_a_missing_tool_fails_the_test_naming_it_and_its_installer() {
    missing_when(true, "HAProxy", "scripts/scaleout-setup.sh installs it");
}

#[test]
fn outside_ci_a_missing_tool_skips_the_test() {
    assert_eq!(
        missing_when(false, "HAProxy", "scripts/scaleout-setup.sh installs it"),
        "HAProxy is missing; scripts/scaleout-setup.sh installs it"
    );
}

#[test]
fn ci_is_any_value_of_the_variable_but_empty_0_or_false() {
    use std::ffi::OsStr;
    for (value, ci) in [
        (None, false),
        (Some(""), false),
        (Some("0"), false),
        (Some("false"), false),
        (Some("true"), true),
        (Some("1"), true),
    ] {
        assert_eq!(ci_value_means_ci(value.map(OsStr::new)), ci, "CI={value:?}");
    }
}
