//! What the notifications tests share: the service spawned on port 0 over a fresh database (SQLite, or
//! PostgreSQL when `TEST_DATABASE_URL` is set) with a mail directory of its own; starting its background
//! work on a transport with quick test pacing; publishing events; reading the stored notifications and
//! the written `.eml` files (headers unfolded, encoded words and quoted-printable decoded); senders that
//! fail on purpose; and a fake SMTP server that records what it is told.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use shopgraph_events::{
    BackgroundTasks, ConsumerOptions, DomainEvent, EventEnvelope, Money, OrderLine,
    SharedTransport, Shutdown, ShutdownTrigger,
};
use shopgraph_kit::test_database::TestDatabase;
use shopgraph_kit::{Config, JwtKeys, Role, server};
use shopgraph_notifications::entity::notification;
use shopgraph_notifications::mail::{EmailMessage, FileSender, SendError, Sender};
use shopgraph_notifications::{BackgroundOptions, DispatchOptions, Mailbox, SharedSender};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use uuid::Uuid;

pub const JWT_SECRET: &str = "notifications-api-test-secret";
pub const FROM: &str = "shopgraph <no-reply@shopgraph.test>";

/// A running notifications service and a direct handle on its database.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub config: Config,
    keys: JwtKeys,
    /// The directory the file transport writes to in this test.
    pub mail_dir: PathBuf,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    let database = TestDatabase::from_env("notifications").await.unwrap();
    let mut config = Config::defaults(shopgraph_notifications::SERVICE, 0);
    config.database_url = database.url.clone();
    config.jwt.secret = JWT_SECRET.to_owned();
    let db = shopgraph_notifications::connect(&config).await.unwrap();
    let app = shopgraph_notifications::router(db.clone(), &config);
    let listener = server::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    let mail_dir =
        std::env::temp_dir().join(format!("shopgraph-notifications-mail-{}", Uuid::new_v4()));
    TestApp {
        base_url: format!("http://{addr}"),
        client: reqwest::Client::new(),
        keys: JwtKeys::new(&config.jwt),
        db,
        config,
        mail_dir,
        _database: database,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.mail_dir);
    }
}

/// Background tasks of a test, stopped when dropped.
pub struct Running {
    trigger: Option<ShutdownTrigger>,
    pub tasks: Option<BackgroundTasks>,
}

impl Running {
    /// Stops the tasks and waits for them.
    pub async fn stop(mut self) {
        if let Some(trigger) = self.trigger.take() {
            trigger.trigger();
        }
        if let Some(tasks) = self.tasks.take() {
            tokio::time::timeout(Duration::from_secs(10), tasks.join())
                .await
                .expect("the background tasks stop on shutdown");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(trigger) = self.trigger.take() {
            trigger.trigger();
        }
        if let Some(tasks) = self.tasks.take() {
            tasks.abort();
        }
    }
}

/// Consumer settings for tests: quick retries, `max_attempts` deliveries.
pub fn quick_consumer(max_attempts: u32) -> ConsumerOptions {
    ConsumerOptions {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        read_wait: Duration::from_millis(100),
        error_pause: Duration::from_millis(50),
        ..ConsumerOptions::default()
    }
}

/// Dispatcher settings for tests: quick polls and retries, `max_attempts` attempts.
pub fn quick_dispatch(max_attempts: u32) -> DispatchOptions {
    DispatchOptions {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        poll_interval: Duration::from_millis(20),
        ..DispatchOptions::default()
    }
}

impl TestApp {
    /// A customer token for `user`.
    pub fn token(&self, user: Uuid) -> String {
        self.keys.issue(user, Role::Customer).unwrap()
    }

    pub fn admin_token(&self, user: Uuid) -> String {
        self.keys.issue(user, Role::Admin).unwrap()
    }

    /// The file transport of this test's mail directory.
    pub fn file_sender(&self) -> FileSender {
        FileSender::new(self.mail_dir.clone())
    }

    /// Starts the consumer (when there is a transport) and the dispatcher with test pacing.
    pub fn start(
        &self,
        transport: Option<SharedTransport>,
        sender: SharedSender,
        consumer: ConsumerOptions,
        dispatch: DispatchOptions,
    ) -> Running {
        let (trigger, shutdown) = Shutdown::channel();
        let options = BackgroundOptions {
            sender,
            from: Mailbox::parse(FROM).unwrap(),
            consumer,
            dispatch,
        };
        let tasks = shopgraph_notifications::spawn_background_with(
            self.db.clone(),
            &self.config,
            transport,
            options,
            shutdown,
        );
        Running {
            trigger: Some(trigger),
            tasks: Some(tasks),
        }
    }

    /// Starts with the file transport, 3 consumer deliveries and 3 send attempts.
    pub fn start_with_files(&self, transport: SharedTransport) -> Running {
        self.start(
            Some(transport),
            Arc::new(self.file_sender()),
            quick_consumer(3),
            quick_dispatch(3),
        )
    }

    /// The full GraphQL response to `query`, sent with `token` as bearer token if any.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `user`'s notifications, oldest first.
    pub async fn notifications_of(&self, user: Uuid) -> Vec<notification::Model> {
        notification::Entity::find()
            .filter(notification::Column::UserId.eq(user))
            .order_by_asc(notification::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
    }

    /// Waits until `user` has `count` notifications, all in `status`, and returns them oldest first.
    pub async fn wait_for_notifications(
        &self,
        user: Uuid,
        count: usize,
        status: &str,
    ) -> Vec<notification::Model> {
        eventually(
            &format!("{count} {status} notifications for {user}"),
            || async {
                let rows = self.notifications_of(user).await;
                (rows.len() == count && rows.iter().all(|row| row.status == status)).then_some(rows)
            },
        )
        .await
    }

    /// The `.eml` files written so far, by file name.
    pub fn mail_files(&self) -> Vec<(String, String)> {
        mail_files(&self.mail_dir)
    }

    /// The email written for notification `id`.
    pub fn email_for(&self, id: Uuid) -> ParsedEmail {
        let path = self.mail_dir.join(format!("{id}.eml"));
        let raw = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("no email at {}: {err}", path.display()));
        ParsedEmail::parse(&raw)
    }
}

/// The `.eml` files in `dir`, sorted by name.
pub fn mail_files(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, String)> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Polls `check` until it gives a value (10 s at most).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Publishes `event` (from `producer`) and returns its envelope.
pub async fn publish(
    transport: &SharedTransport,
    producer: &str,
    event: impl Into<DomainEvent>,
) -> EventEnvelope {
    let envelope = EventEnvelope::new(producer, &event.into(), None).unwrap();
    transport.publish(&envelope).await.unwrap();
    envelope
}

pub fn line(name: &str, quantity: i32, amount: i64) -> OrderLine {
    OrderLine {
        product_id: Uuid::now_v7(),
        name: name.to_owned(),
        quantity,
        unit_price: Money::new(amount, "USD"),
    }
}

/// An email read back: headers unfolded (encoded words decoded), the plain-text and HTML parts decoded.
#[derive(Debug)]
pub struct ParsedEmail {
    pub raw: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: Option<String>,
}

impl ParsedEmail {
    pub fn parse(raw: &str) -> ParsedEmail {
        let (head, body) = raw.split_once("\r\n\r\n").expect("a header/body separator");
        let headers = parse_headers(head);
        let content_type = header_in(&headers, "Content-Type").unwrap_or_default();
        let (text, html) = match content_type.split_once("boundary=\"") {
            Some((_, rest)) => {
                let boundary = rest.trim_end_matches('"');
                let mut text = None;
                let mut html = None;
                // The CRLF before each delimiter belongs to the delimiter (RFC 2046).
                for piece in body.split(&format!("\r\n--{boundary}")).skip(1) {
                    if piece.starts_with("--") {
                        break;
                    }
                    let part = piece.strip_prefix("\r\n").expect("CRLF after a delimiter");
                    let (part_head, part_body) = part.split_once("\r\n\r\n").unwrap();
                    let part_headers = parse_headers(part_head);
                    let decoded = decode_quoted_printable(part_body);
                    match header_in(&part_headers, "Content-Type").unwrap() {
                        t if t.starts_with("text/plain") => text = Some(decoded),
                        t if t.starts_with("text/html") => html = Some(decoded),
                        other => panic!("unexpected part {other}"),
                    }
                }
                (text.expect("a text/plain part"), html)
            }
            None => (decode_quoted_printable(body), None),
        };
        ParsedEmail {
            raw: raw.to_owned(),
            headers,
            text,
            html,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        header_in(&self.headers, name).unwrap_or_else(|| panic!("no {name} header in {}", self.raw))
    }
}

fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn parse_headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        assert!(line.len() <= 998, "header line too long: {line}");
        if line.starts_with(' ') || line.starts_with('\t') {
            headers.last_mut().unwrap().1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("name: value");
            headers.push((name.to_owned(), value.trim_start().to_owned()));
        }
    }
    headers
        .into_iter()
        .map(|(name, value)| (name, decode_encoded_words(&value)))
        .collect()
}

/// Decodes `=?UTF-8?B?…?=` words; whitespace between two encoded words disappears.
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split(' ') {
        match word
            .strip_prefix("=?UTF-8?B?")
            .and_then(|w| w.split_once("?="))
        {
            Some((b64, rest)) => {
                out.push_str(&String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap());
                out.push_str(rest);
                previous_encoded = rest.is_empty();
            }
            None => {
                if !out.is_empty() || previous_encoded {
                    out.push(' ');
                }
                out.push_str(word);
                previous_encoded = false;
            }
        }
    }
    out
}

/// Decodes a quoted-printable body into text with `\n` line ends.
pub fn decode_quoted_printable(body: &str) -> String {
    let mut bytes = Vec::new();
    let mut lines = body.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        assert!(line.len() <= 76, "quoted-printable line too long: {line}");
        let (content, soft) = match line.strip_suffix('=') {
            Some(content) => (content, true),
            None => (line, false),
        };
        let raw = content.as_bytes();
        let mut index = 0;
        while index < raw.len() {
            if raw[index] == b'=' {
                let hex = std::str::from_utf8(&raw[index + 1..index + 3]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                index += 3;
            } else {
                bytes.push(raw[index]);
                index += 1;
            }
        }
        if !soft && lines.peek().is_some() {
            bytes.push(b'\n');
        }
    }
    String::from_utf8(bytes).unwrap()
}

/// A sender that fails its first `failures` sends (permanently or not), then writes files.
#[derive(Debug)]
pub struct FailingSender {
    failures: usize,
    permanent: bool,
    pub calls: AtomicUsize,
    files: FileSender,
}

impl FailingSender {
    pub fn new(failures: usize, permanent: bool, files: FileSender) -> Arc<FailingSender> {
        Arc::new(FailingSender {
            failures,
            permanent,
            calls: AtomicUsize::new(0),
            files,
        })
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Sender for FailingSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), SendError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if call <= self.failures {
            let text = format!("mail relay unavailable (call {call})");
            return Err(if self.permanent {
                SendError::Permanent(text)
            } else {
                SendError::Transient(text)
            });
        }
        self.files.send(message).await
    }

    fn describe(&self) -> String {
        "failing test sender".into()
    }
}

/// How the fake SMTP server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpBehaviour {
    /// Accepts every message.
    Accept,
    /// Answers `RCPT TO` with this code.
    RejectRecipient(u16),
    /// Knows no `EHLO` (502), only `HELO`.
    HeloOnly,
}

/// One SMTP session as the fake server saw it.
#[derive(Debug, Clone, Default)]
pub struct SmtpSession {
    /// Command lines, in order (without the message data).
    pub commands: Vec<String>,
    /// The message after removing the dot-stuffing, if one was sent.
    pub data: Option<String>,
}

/// A fake SMTP server on 127.0.0.1 recording every session.
pub struct FakeSmtp {
    pub port: u16,
    pub sessions: Arc<Mutex<Vec<SmtpSession>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeSmtp {
    pub async fn start(behaviour: SmtpBehaviour) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&sessions);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    let session = serve_session(stream, behaviour).await;
                    recorded.lock().unwrap().push(session);
                });
            }
        });
        FakeSmtp {
            port,
            sessions,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn sessions(&self) -> Vec<SmtpSession> {
        self.sessions.lock().unwrap().clone()
    }
}

async fn serve_session(stream: tokio::net::TcpStream, behaviour: SmtpBehaviour) -> SmtpSession {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut session = SmtpSession::default();
    send(&mut writer, "220 fake.smtp.test ESMTP ready\r\n").await;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return session;
        }
        let command = line.trim_end_matches(['\r', '\n']).to_owned();
        session.commands.push(command.clone());
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" if behaviour == SmtpBehaviour::HeloOnly => {
                "502 5.5.1 command not recognised\r\n"
            }
            "EHLO" => {
                "250-fake.smtp.test greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
            }
            "HELO" => "250 fake.smtp.test\r\n",
            "MAIL" => "250 2.1.0 sender ok\r\n",
            "RCPT" => match behaviour {
                SmtpBehaviour::RejectRecipient(550) => "550 5.1.1 no such mailbox\r\n",
                SmtpBehaviour::RejectRecipient(_) => "451 4.3.0 try again later\r\n",
                _ => "250 2.1.5 recipient ok\r\n",
            },
            "DATA" => {
                send(&mut writer, "354 end data with <CR><LF>.<CR><LF>\r\n").await;
                let mut data = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return session;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                session.data = Some(data);
                "250 2.0.0 queued as FAKE1\r\n"
            }
            "QUIT" => {
                send(&mut writer, "221 2.0.0 bye\r\n").await;
                return session;
            }
            _ => "500 5.5.2 what?\r\n",
        };
        send(&mut writer, reply).await;
    }
}

async fn send(writer: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) {
    let _ = writer.write_all(text.as_bytes()).await;
}
