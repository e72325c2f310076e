//! `mock-auth-server healthcheck`: exit 0 when the server's `/health`
//! answers 200 within a timeout, 1 with one line on stderr otherwise.
//!
//! Made for a container's `HEALTHCHECK`, where the runtime image has no curl:
//! one HTTP/1.1 GET over a std `TcpStream` with deadlines, so it needs
//! neither the async runtime nor a new dependency. Exit status 1, never 2,
//! for an unhealthy server: Docker reserves 2.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Arguments of `healthcheck`. Without `--url`, the server is found as it
/// binds: `HOST` and `PORT` (or `--host`, `--port`), with an unspecified
/// address (`0.0.0.0`, `::`) checked on the loopback address.
#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The server's base URL, e.g. http://auth:8000; when given, HOST and PORT are not read.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The address the server listens on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The port the server listens on.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
    /// Seconds the whole check may take: connect, send, first line of the answer.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// Runs the check: 0 when `/health` answers 200, 1 otherwise.
pub fn run(args: HealthcheckArgs) -> ExitCode {
    let target = match args.url.as_deref() {
        Some(url) => Target::parse(url),
        None => Ok(Target::from_bind(args.host, args.port)),
    };
    let outcome = target.and_then(|target| {
        let status = target.get_status(Instant::now() + args.timeout)?;
        Ok((target, status))
    });
    match outcome {
        Ok((target, 200)) => {
            println!("healthy: {} answered 200", target.url());
            ExitCode::SUCCESS
        }
        Ok((target, status)) => unhealthy(&format!("{} answered {status}", target.url())),
        Err(message) => unhealthy(&message),
    }
}

fn unhealthy(message: &str) -> ExitCode {
    eprintln!("mock-auth-server healthcheck: {message}");
    ExitCode::from(1)
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(timeout) if !timeout.is_zero() => Ok(timeout),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
}

/// Where `/health` is: host (a name or an address, IPv6 in brackets), port
/// and the base URL's path.
#[derive(Debug, PartialEq)]
struct Target {
    host: String,
    port: u16,
    base_path: String,
}

impl Target {
    /// The server as it binds; an unspecified address is reached on loopback,
    /// as the server's own `PUBLIC_URL` default does.
    fn from_bind(host: IpAddr, port: u16) -> Self {
        let host = match host {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            other => other,
        };
        let host = match host {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        Self {
            host,
            port,
            base_path: String::new(),
        }
    }

    /// `http://host[:port][/base]`; the server speaks plain HTTP only.
    fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("--url {url}: only http:// URLs (the server speaks plain HTTP)")
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => {
                let port = port
                    .parse()
                    .map_err(|_| format!("--url {url}: '{port}' is not a port"))?;
                (host, port)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("--url {url}: no host"));
        }
        let base_path = path.trim_end_matches('/').to_owned();
        Ok(Self {
            host: host.to_owned(),
            port,
            base_path,
        })
    }

    fn url(&self) -> String {
        format!(
            "http://{}:{}{}/health",
            self.host, self.port, self.base_path
        )
    }

    /// Sends `GET /health` and returns the status of the answer's first line.
    fn get_status(&self, deadline: Instant) -> Result<u16, String> {
        let fail = |what: &str, error: std::io::Error| format!("{}: {what}: {error}", self.url());
        let mut stream = self.connect(deadline)?;
        let request = format!(
            "GET {}/health HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: mock-auth-server-healthcheck\r\nConnection: close\r\n\r\n",
            self.base_path, self.host, self.port
        );
        stream
            .set_write_timeout(Some(remaining(deadline)?))
            .and_then(|()| stream.write_all(request.as_bytes()))
            .map_err(|e| fail("sending the request", e))?;
        let mut head = Vec::with_capacity(64);
        let mut chunk = [0u8; 256];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 1024 {
            stream
                .set_read_timeout(Some(remaining(deadline).map_err(|_| self.timed_out())?))
                .map_err(|e| fail("reading the answer", e))?;
            match stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(format!(
                        "{}: the connection closed before an answer",
                        self.url()
                    ));
                }
                Ok(n) => head.extend_from_slice(&chunk[..n]),
                Err(e) if is_timeout(&e) => return Err(self.timed_out()),
                Err(e) => return Err(fail("reading the answer", e)),
            }
        }
        status_of(&head).ok_or_else(|| format!("{}: the answer is not HTTP", self.url()))
    }

    /// Connects to the first address of the host that accepts, by the deadline.
    fn connect(&self, deadline: Instant) -> Result<TcpStream, String> {
        let name = self.host.trim_start_matches('[').trim_end_matches(']');
        let addrs = (name, self.port)
            .to_socket_addrs()
            .map_err(|e| format!("{}: cannot resolve {name}: {e}", self.url()))?;
        let mut last = None;
        for addr in addrs {
            let left = remaining(deadline).map_err(|_| self.timed_out())?;
            match TcpStream::connect_timeout(&addr, left) {
                Ok(stream) => return Ok(stream),
                Err(e) if is_timeout(&e) => return Err(self.timed_out()),
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => format!("{}: cannot connect: {e}", self.url()),
            None => format!("{}: {name} has no address", self.url()),
        })
    }

    fn timed_out(&self) -> String {
        format!("{}: no answer within the timeout", self.url())
    }
}

fn remaining(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err("timed out".to_owned())
    } else {
        Ok(left)
    }
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// `HTTP/1.1 200 OK\r\n...` -> 200.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_host_port_and_base_path() {
        let target = Target::parse("http://auth:8000/mock/").unwrap();
        assert_eq!(target.url(), "http://auth:8000/mock/health");
        let target = Target::parse("http://[::1]:9000").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("[::1]", 9000));
        assert_eq!(Target::parse("http://localhost").unwrap().port, 80);
    }

    #[test]
    fn urls_the_check_cannot_use_are_refused_with_the_reason() {
        assert!(
            Target::parse("https://auth:8000")
                .unwrap_err()
                .contains("only http://")
        );
        assert!(
            Target::parse("http://auth:x")
                .unwrap_err()
                .contains("not a port")
        );
        assert!(
            Target::parse("http://:8000")
                .unwrap_err()
                .contains("no host")
        );
    }

    #[test]
    fn an_unspecified_bind_address_is_checked_on_loopback() {
        let v4 = Target::from_bind("0.0.0.0".parse().unwrap(), 8000);
        assert_eq!(v4.url(), "http://127.0.0.1:8000/health");
        let v6 = Target::from_bind("::".parse().unwrap(), 8000);
        assert_eq!(v6.url(), "http://[::1]:8000/health");
    }

    #[test]
    fn the_status_is_read_from_the_first_line() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            status_of(b"HTTP/1.1 503 Service Unavailable\r\ncontent"),
            Some(503)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
    }

    #[test]
    fn the_timeout_is_a_positive_number_of_seconds() {
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
