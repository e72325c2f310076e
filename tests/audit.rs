//! `mock-auth-server audit` against the example services: it passes the
//! verifier done right and names the mistake of each flag of the bad one.
//! The examples are built by `cargo test --all-targets` (or `--examples`).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mock-auth-server");

fn example(name: &str) -> PathBuf {
    let path = PathBuf::from(BIN)
        .parent()
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built: run cargo test --all-targets (or --examples)",
        path.display()
    );
    path
}

/// A running example service; killed on drop.
struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(name: &str, flags: &[&str]) -> Service {
    let mut child = Command::new(example(name))
        .args(flags)
        .env("PORT", "0")
        .env_remove("JWT_AUDIENCE")
        .stdout(Stdio::piped())
        .spawn()
        .expect("example starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("banner");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("banner: {line}"))
        .to_owned();
    Service {
        child,
        url: format!("{base}/protected"),
    }
}

fn audit(url: &str, extra: &[&str]) -> (i32, Value) {
    let output = Command::new(BIN)
        .args(["audit", "--json", "--url", url])
        .args(extra)
        .env("PORT", "0")
        .env("RUST_LOG", "off")
        .env_remove("JWT_AUDIENCE")
        .env_remove("JWT_ALGORITHM")
        .output()
        .expect("audit runs");
    let code = output.status.code().expect("exit code");
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (code, report)
}

fn accepted(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|case| case["name"] != "valid" && case["verdict"] == "FAIL")
        .map(|case| case["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn passes_the_good_verifier() {
    let service = start("verifier_good", &[]);
    let (code, report) = audit(&service.url, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["passed"], true);
    assert_eq!(report["url"], service.url.as_str());
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases[0]["name"], "valid");
    assert_eq!(cases[0]["verdict"], "pass");
    assert_eq!(cases[0]["status"], 200);
    assert!(
        cases
            .iter()
            .any(|c| c["name"] == "expired" && c["status"] == 401)
    );
    // The online cases are accepted by an offline verifier: a warning, or a
    // failure with --online.
    let revoked = cases.iter().find(|c| c["name"] == "revoked").unwrap();
    assert_eq!(revoked["checked_by"], "online");
    assert_eq!(revoked["verdict"], "warn");
    let (code, report) = audit(&service.url, &["--online"]);
    assert_eq!(code, 1, "{report}");
    let failed = accepted(&report);
    assert_eq!(failed, ["revoked", "deleted_user"], "{report}");
}

#[test]
fn names_the_mistake_of_each_bad_verifier() {
    for (flag, lets_through) in [
        // Not checking the signature lets every forged signature through.
        (
            "--no-signature",
            &["bad_signature", "alg_none", "wrong_algorithm"][..],
        ),
        ("--alg-from-header", &["alg_none", "wrong_algorithm"][..]),
        ("--no-exp", &["expired", "missing_exp"][..]),
        ("--no-type", &["wrong_type"][..]),
        ("--no-iss", &["wrong_issuer"][..]),
    ] {
        let service = start("verifier_bad", &[flag]);
        let (code, report) = audit(&service.url, &[]);
        assert_eq!(code, 1, "{flag}: {report}");
        assert_eq!(report["passed"], false);
        assert_eq!(accepted(&report), lets_through, "{flag}: {report}");
    }
}

#[test]
fn cannot_run_is_exit_2() {
    // Nothing listens on port 9 of loopback (discard), normally.
    let (code, _) = audit("http://127.0.0.1:9/protected", &[]);
    assert_eq!(code, 2);
    let (code, _) = audit("https://example.com/", &[]);
    assert_eq!(code, 2);
    let (code, _) = audit("http://127.0.0.1:9/", &["--server", "http://127.0.0.1:9"]);
    assert_eq!(code, 2);
}
