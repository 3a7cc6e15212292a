//! A minimal SMTP client (RFC 5321) over a plain TCP connection, enough to hand messages to a relay or a
//! development mail catcher: greeting, `EHLO` (falling back to `HELO`), `MAIL FROM`, `RCPT TO`, `DATA`
//! with dot-stuffing, `QUIT`. One connection per message; every step has a timeout. It does no TLS and
//! no authentication, so it is for a relay on a trusted network; 5xx replies are permanent failures,
//! everything else (4xx, timeouts, broken connections) may be retried.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::{EmailMessage, SendError, Sender};

/// Default SMTP port when `SMTP_URL` names none.
pub const DEFAULT_PORT: u16 = 25;
/// Default limit for each step of a conversation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest reply line we read (RFC 5321 allows 512; servers send longer `EHLO` lines sometimes).
const MAX_REPLY_LINE: u64 = 4096;
/// Most lines of one multi-line reply.
const MAX_REPLY_LINES: usize = 128;

/// Where an SMTP server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
}

impl SmtpServer {
    /// The server of `smtp://host[:port][/]`; `smtps://`, credentials and paths are refused because this
    /// client speaks neither TLS nor AUTH.
    pub fn from_url(url: &str) -> Result<SmtpServer, String> {
        let url = url.trim();
        let Some(rest) = url.strip_prefix("smtp://") else {
            return Err(if url.starts_with("smtps://") {
                "smtps:// (TLS) is not supported; use smtp:// to a relay on a trusted network"
                    .into()
            } else {
                "expected smtp://host[:port]".into()
            });
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('@') {
            return Err("SMTP authentication is not supported; remove the credentials".into());
        }
        if authority.contains(['/', '?', '#']) {
            return Err("expected smtp://host[:port] without a path or query".into());
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("unclosed `[` in the host")?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err("the host is missing".into());
        }
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| format!("`{port}` is not a port"))?,
            None => DEFAULT_PORT,
        };
        Ok(SmtpServer {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for SmtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Sends each message over a new SMTP connection.
#[derive(Debug, Clone)]
pub struct SmtpSender {
    server: SmtpServer,
    /// The name this client gives in `EHLO`.
    hello_name: String,
    timeout: Duration,
}

impl SmtpSender {
    /// A client of `server` introducing itself as `hello_name` (a domain of ours).
    pub fn new(server: SmtpServer, hello_name: impl Into<String>) -> SmtpSender {
        SmtpSender {
            server,
            hello_name: hello_name.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The limit for connecting and for each command's reply.
    pub fn with_timeout(mut self, timeout: Duration) -> SmtpSender {
        self.timeout = timeout;
        self
    }

    async fn connect(&self) -> Result<Session, SendError> {
        let connect_error = |message: String| SendError::Connect {
            server: self.server.to_string(),
            message,
        };
        let stream = tokio::time::timeout(
            self.timeout,
            TcpStream::connect((self.server.host.as_str(), self.server.port)),
        )
        .await
        .map_err(|_| connect_error(format!("no connection within {:?}", self.timeout)))?
        .map_err(|err| connect_error(err.to_string()))?;
        let (reader, writer) = stream.into_split();
        Ok(Session {
            reader: BufReader::new(reader),
            writer,
            timeout: self.timeout,
        })
    }
}

#[async_trait]
impl Sender for SmtpSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), SendError> {
        let mut session = self.connect().await?;
        session.expect("greeting", &[220]).await?;
        let ehlo = session
            .command("EHLO", &format!("EHLO {}", self.hello_name))
            .await?;
        if (500..600).contains(&ehlo.code) {
            // An old server that knows no ESMTP.
            session
                .command("HELO", &format!("HELO {}", self.hello_name))
                .await?
                .require("HELO", &[250])?;
        } else {
            ehlo.require("EHLO", &[250])?;
        }
        session
            .command(
                "MAIL FROM",
                &format!("MAIL FROM:<{}>", message.from.address),
            )
            .await?
            .require("MAIL FROM", &[250])?;
        session
            .command("RCPT TO", &format!("RCPT TO:<{}>", message.to.address))
            .await?
            .require("RCPT TO", &[250, 251])?;
        session
            .command("DATA", "DATA")
            .await?
            .require("DATA", &[354])?;
        session
            .write("message", dot_stuffed(&message.to_rfc5322()).as_bytes())
            .await?;
        session.expect("message", &[250]).await?;
        // The message is accepted; a failing QUIT changes nothing.
        if let Err(err) = session.command("QUIT", "QUIT").await {
            tracing::debug!(error = %err, "SMTP QUIT failed after the message was accepted");
        }
        tracing::info!(
            to = %message.to.address,
            subject = %message.subject,
            server = %self.server,
            "email sent over SMTP"
        );
        Ok(())
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.server)
    }
}

/// A reply: its code and the text of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    code: u16,
    text: String,
}

impl Reply {
    fn require(self, stage: &'static str, accepted: &[u16]) -> Result<Reply, SendError> {
        if accepted.contains(&self.code) {
            Ok(self)
        } else {
            Err(SendError::Rejected {
                stage,
                code: self.code,
                message: self.text,
            })
        }
    }
}

struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    timeout: Duration,
}

impl Session {
    async fn command(&mut self, stage: &'static str, line: &str) -> Result<Reply, SendError> {
        self.write(stage, format!("{line}\r\n").as_bytes()).await?;
        self.reply(stage).await
    }

    async fn expect(&mut self, stage: &'static str, accepted: &[u16]) -> Result<Reply, SendError> {
        self.reply(stage).await?.require(stage, accepted)
    }

    async fn write(&mut self, stage: &'static str, bytes: &[u8]) -> Result<(), SendError> {
        let io = |err: std::io::Error| SendError::Io {
            stage,
            message: err.to_string(),
        };
        let write = async {
            self.writer.write_all(bytes).await.map_err(io)?;
            self.writer.flush().await.map_err(io)
        };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| SendError::Timeout {
                stage,
                after: self.timeout,
            })?
    }

    /// Reads one (possibly multi-line) reply.
    async fn reply(&mut self, stage: &'static str) -> Result<Reply, SendError> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, self.read_reply(stage))
            .await
            .map_err(|_| SendError::Timeout {
                stage,
                after: timeout,
            })?
    }

    async fn read_reply(&mut self, stage: &'static str) -> Result<Reply, SendError> {
        let protocol = |message: String| SendError::Protocol { stage, message };
        let mut texts = Vec::new();
        for _ in 0..MAX_REPLY_LINES {
            let mut buffer = Vec::new();
            let read = (&mut self.reader)
                .take(MAX_REPLY_LINE)
                .read_until(b'\n', &mut buffer)
                .await
                .map_err(|err| SendError::Io {
                    stage,
                    message: err.to_string(),
                })?;
            if read == 0 {
                return Err(SendError::Io {
                    stage,
                    message: "the server closed the connection".into(),
                });
            }
            if buffer.last() != Some(&b'\n') {
                return Err(protocol(format!(
                    "a reply line longer than {MAX_REPLY_LINE} bytes"
                )));
            }
            let line = String::from_utf8_lossy(&buffer);
            let line = line.trim_end_matches(['\r', '\n']);
            let (code, more, text) = parse_reply_line(line)
                .ok_or_else(|| protocol(format!("`{}`", line.escape_debug())))?;
            texts.push(text.to_owned());
            if !more {
                return Ok(Reply {
                    code,
                    text: texts.join(" "),
                });
            }
        }
        Err(protocol(format!(
            "a reply of more than {MAX_REPLY_LINES} lines"
        )))
    }
}

/// `250-text` → (250, more follows, "text"); `250 text` or `250` → (250, last, …).
fn parse_reply_line(line: &str) -> Option<(u16, bool, &str)> {
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || !(b'2'..=b'5').contains(&code.as_bytes()[0]) {
        return None;
    }
    let code = code.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, &line[4..])),
        Some(b'-') => Some((code, true, &line[4..])),
        Some(_) => None,
    }
}

/// The message as `DATA` content: every line starting with `.` gets another `.`, and the terminating
/// `.` line follows. `message` has CRLF line ends and ends with one.
fn dot_stuffed(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 16);
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
    }
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_host_and_port() {
        let server = SmtpServer::from_url("smtp://mail.internal:2525").unwrap();
        assert_eq!((server.host.as_str(), server.port), ("mail.internal", 2525));
        assert_eq!(SmtpServer::from_url("smtp://relay/").unwrap().port, 25);
        let v6 = SmtpServer::from_url("smtp://[::1]:1025").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 1025));
        assert_eq!(v6.to_string(), "[::1]:1025");
        for bad in [
            "smtps://relay",
            "smtp://user:pw@relay",
            "http://relay",
            "smtp://",
            "smtp://relay:0",
            "smtp://relay:port",
            "smtp://relay/path",
        ] {
            assert!(SmtpServer::from_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn reply_lines_parse() {
        assert_eq!(
            parse_reply_line("250-PIPELINING"),
            Some((250, true, "PIPELINING"))
        );
        assert_eq!(parse_reply_line("250 OK"), Some((250, false, "OK")));
        assert_eq!(parse_reply_line("221"), Some((221, false, "")));
        assert_eq!(parse_reply_line("hello"), None);
        assert_eq!(parse_reply_line("250_x"), None);
        assert_eq!(parse_reply_line("650 x"), None);
    }

    #[test]
    fn data_is_dot_stuffed_and_terminated() {
        assert_eq!(
            dot_stuffed("a\r\n.b\r\n..c\r\n"),
            "a\r\n..b\r\n...c\r\n.\r\n"
        );
        assert_eq!(dot_stuffed("x"), "x\r\n.\r\n");
    }
}
