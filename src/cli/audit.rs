//! `mock-auth-server audit`: the verifier audit (contract section 10).
//!
//! Gets the bad-token catalogue (from a running mock with `--server`, else
//! from one started in-process on a free loopback port with the settings the
//! server would have: environment, `.env`), sends the valid token and every
//! case to `--url` as `Authorization: Bearer`, and reports which the service
//! accepted. The HTTP client is a small HTTP/1.1 one: `http://` URLs only.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The endpoint of the service under test that requires a token (`http://` only).
    #[arg(long)]
    pub url: String,
    /// An extra header sent with every request, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,
    /// The HTTP method to send.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// Fail also when an online case (revoked, deleted_user) is accepted.
    #[arg(long)]
    pub online: bool,
    /// A running mock to take the tokens from (default: start one in-process).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One row of the report.
struct Row {
    name: String,
    checked_by: String,
    expected: &'static str,
    status: u16,
    verdict: &'static str,
}

/// Runs the audit; the exit code is the contract's (0 passed, 1 failed, 2 could not run).
pub fn run(args: AuditArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return cannot_run(&format!("no runtime: {error}")),
    };
    match runtime.block_on(audit(&args)) {
        Ok(rows) => report(&args, &rows),
        Err(error) => cannot_run(&error),
    }
}

fn cannot_run(error: &str) -> ExitCode {
    eprintln!("mock-auth-server audit: error: {error}");
    ExitCode::from(2)
}

async fn audit(args: &AuditArgs) -> Result<Vec<Row>, String> {
    let headers = args
        .headers
        .iter()
        .map(|header| {
            header
                .split_once(':')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("--header {header:?}: expected Name: value"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let method = args.method.trim().to_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!("--method {:?}: not an HTTP method", args.method));
    }
    parse_url(&args.url)?;
    let catalogue = match &args.server {
        Some(server) => {
            let key = std::env::var("DEV_API_KEY").ok();
            fetch_catalogue(server.trim_end_matches('/'), key).await?
        }
        None => in_process_catalogue().await?,
    };
    let mut cases = vec![(
        "valid".to_owned(),
        "offline".to_owned(),
        catalogue["valid"]["token"]
            .as_str()
            .ok_or("the catalogue has no valid token")?
            .to_owned(),
    )];
    for case in catalogue["cases"]
        .as_array()
        .ok_or("the catalogue has no cases")?
    {
        cases.push((
            case["name"].as_str().unwrap_or_default().to_owned(),
            case["checked_by"].as_str().unwrap_or("offline").to_owned(),
            case["token"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let mut rows = Vec::new();
    for (name, checked_by, token) in cases {
        let mut request_headers = headers.clone();
        request_headers.push(("Authorization".into(), format!("Bearer {token}")));
        let (status, _) = request(&method, &args.url, &request_headers)
            .await
            .map_err(|error| format!("{}: {error}", args.url))?;
        let accepted = (200..300).contains(&status);
        let (expected, verdict) = if name == "valid" {
            ("accepted", if accepted { "pass" } else { "FAIL" })
        } else if !accepted {
            ("rejected", "pass")
        } else if checked_by == "online" && !args.online {
            ("rejected", "warn")
        } else {
            ("rejected", "FAIL")
        };
        rows.push(Row {
            name,
            checked_by,
            expected,
            status,
            verdict,
        });
    }
    Ok(rows)
}

fn report(args: &AuditArgs, rows: &[Row]) -> ExitCode {
    let passed = rows.iter().all(|row| row.verdict != "FAIL");
    if args.json {
        let cases: Vec<Value> = rows
            .iter()
            .map(|row| {
                json!({"name": row.name, "checked_by": row.checked_by, "expected": row.expected,
                    "status": row.status, "verdict": row.verdict})
            })
            .collect();
        println!(
            "{}",
            json!({"url": args.url, "passed": passed, "cases": cases})
        );
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let paint = |verdict: &str| {
            let code = match verdict {
                "pass" => "32",
                "warn" => "33",
                _ => "31;1",
            };
            if colour {
                format!("\x1b[{code}m{verdict:<7}\x1b[0m")
            } else {
                format!("{verdict:<7}")
            }
        };
        println!("Verifier audit of {}", args.url);
        println!(
            "{:<16} {:<8} {:<9} {:<6} verdict",
            "case", "checked", "expected", "status"
        );
        for row in rows {
            println!(
                "{:<16} {:<8} {:<9} {:<6} {}",
                row.name,
                row.checked_by,
                row.expected,
                row.status,
                paint(row.verdict)
            );
        }
        let failed: Vec<&str> = rows
            .iter()
            .filter(|row| row.verdict == "FAIL")
            .map(|row| row.name.as_str())
            .collect();
        if failed.is_empty() {
            println!("passed: every bad token was refused and the valid one accepted");
        } else {
            println!("FAILED: {}", failed.join(", "));
        }
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn fetch_catalogue(server: &str, dev_key: Option<String>) -> Result<Value, String> {
    let url = format!("{server}/api/dev/tokens/bad");
    let headers: Vec<(String, String)> = dev_key
        .filter(|k| !k.is_empty())
        .map(|key| vec![("X-Dev-Api-Key".to_owned(), key)])
        .unwrap_or_default();
    let (status, body) = request("GET", &url, &headers)
        .await
        .map_err(|error| format!("the mock at {server}: {error}"))?;
    if status != 200 {
        return Err(format!(
            "the mock at {server} answered {status} for /api/dev/tokens/bad (dev endpoints off?)"
        ));
    }
    serde_json::from_slice(&body).map_err(|error| format!("the mock's catalogue: {error}"))
}

/// Starts a mock in-process with the server's settings (environment, `.env`)
/// on a free loopback port, and asks it for the catalogue.
async fn in_process_catalogue() -> Result<Value, String> {
    use clap::Parser as _;
    let mut config = crate::config::Config::try_parse_from(["mock-auth-server"])
        .map_err(|error| format!("the settings: {error}"))?
        .normalized();
    config.validate()?;
    config.host = std::net::IpAddr::from([127, 0, 0, 1]);
    config.port = 0;
    config.enable_dev_endpoints = true;
    let server = crate::server::Server::bind(config)
        .await
        .map_err(|error| format!("the in-process mock: {error}"))?;
    let base = format!("http://{}", server.local_addr());
    let key = server.state().config.dev.dev_api_key.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let catalogue = fetch_catalogue(&base, key).await;
    let _ = stop.send(());
    let _ = running.await;
    catalogue
}

/// `(host:port, path)` of an `http://` URL.
fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("{url:?}: no host"));
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

/// One HTTP/1.1 request (`Connection: close`); the status and the body.
async fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
) -> Result<(u16, Vec<u8>), String> {
    let (authority, path) = parse_url(url)?;
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: */*\r\nUser-Agent: mock-auth-server-audit\r\n"
        );
        if !matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS") {
            head.push_str("Content-Length: 0\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|error| format!("send failed: {error}"))?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|error| format!("read failed: {error}"))?;
        parse_response(&answer)
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| "no answer within 30 s".to_owned())?
}

fn parse_response(answer: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("not an HTTP response")?;
    let head = String::from_utf8_lossy(&answer[..split]);
    let body = &answer[split + 4..];
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("not an HTTP status line")?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_vec()
        },
    ))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&body[..end]);
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        body = &body[end + 2..];
        if size == 0 || size > body.len() {
            break;
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_responses() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/protected").unwrap(),
            ("127.0.0.1:8080".into(), "/protected".into())
        );
        assert_eq!(
            parse_url("http://example.com").unwrap(),
            ("example.com:80".into(), "/".into())
        );
        assert!(parse_url("https://example.com").is_err());
        let (status, body) =
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!((status, body.as_slice()), (200, b"abcde".as_slice()));
    }
}
