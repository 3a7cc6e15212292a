//! The whole platform in one process, for development and end-to-end tests: every subgraph on its own
//! port over its own database, and the router in front of them, started in dependency order (orders is
//! pointed at the carts and products it actually found), checked ready over HTTP, and stopped together.
//! The subgraphs' background work (outbox relays, event consumers, the reservation expiry sweep, the
//! payment worker, the mail dispatcher) runs beside them, all on one shared event transport: an
//! in-process bus, or Redis Streams when [`StackOptions::redis`] says so. Notifications' mail lands as
//! `.eml` files under the stack's data directory. The subgraphs answer only requests carrying a secret
//! made afresh at each start, which the router (and orders) sends.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use shopgraph_events::transport::{SharedTransport, TransportError};
use shopgraph_events::{
    BackgroundTasks, InProcessBus, RedisStreams, RedisStreamsOptions, Shutdown,
};
use shopgraph_kit::{Config, CredentialLimits, Environment, StartError};
use shopgraph_notifications::MailConfig;
use shopgraph_orders::OrdersConfig;
use shopgraph_products::reservations::ReservationSettings;
use shopgraph_router::RouterConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The supergraph the stack serves: the committed composition of the subgraphs.
pub const SUPERGRAPH: &str = include_str!("../schema/supergraph.graphql");

/// The subgraphs of the stack, in start order (a service starts after those it calls: orders asks carts
/// and products at checkout), with their default ports.
pub const SUBGRAPHS: [(&str, u16); 5] = [
    (shopgraph_users::SERVICE, shopgraph_users::DEFAULT_PORT),
    (
        shopgraph_products::SERVICE,
        shopgraph_products::DEFAULT_PORT,
    ),
    (shopgraph_carts::SERVICE, shopgraph_carts::DEFAULT_PORT),
    (shopgraph_orders::SERVICE, shopgraph_orders::DEFAULT_PORT),
    (
        shopgraph_notifications::SERVICE,
        shopgraph_notifications::DEFAULT_PORT,
    ),
];

/// Where, under the stack's data directory, notifications writes its `.eml` files.
pub const MAIL_SUBDIR: &str = "outbox-mail";

/// Default port of the router.
pub const ROUTER_PORT: u16 = 4000;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{service}: {source}")]
    Start { service: String, source: StartError },
    #[error("{service}: cannot load demo data: {source}")]
    Demo {
        service: String,
        source: sea_orm::DbErr,
    },
    #[error("cannot connect to the event transport: {0}")]
    Events(#[from] TransportError),
    #[error("{service} must start after {needs}")]
    StartOrder {
        service: &'static str,
        needs: &'static str,
    },
    #[error("{0} is not a subgraph of the stack")]
    UnknownService(String),
    #[error("router: {0}")]
    Router(#[from] shopgraph_router::RouterError),
    #[error("{service} did not become ready at {url}")]
    NotReady { service: String, url: String },
}

/// How to run the stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub host: IpAddr,
    /// Router port; the subgraphs take the following ones. 0 lets the system pick every port.
    pub base_port: u16,
    /// The stack's own files: the SQLite databases of [`StackOptions::in_dir`] and notifications'
    /// `.eml` files (in [`MAIL_SUBDIR`]).
    pub data_dir: PathBuf,
    /// Database URL per subgraph, by service name.
    pub database_urls: Vec<(String, String)>,
    pub jwt_secret: Option<String>,
    /// Rates of `login` and `register` attempts; `None`: the users subgraph's defaults. The subgraphs
    /// listen on the stack's host and trust `X-Forwarded-For`; a request naming no client address is
    /// held to the per-email buckets only.
    pub credential_limits: Option<CredentialLimits>,
    /// Load demo data into empty databases.
    pub demo_data: bool,
    /// Keep a copy of every GraphQL request the subgraphs receive (for tests).
    pub recorder: Option<RequestRecorder>,
    /// Carry the domain events over Redis Streams instead of the in-process bus.
    pub redis: Option<RedisEvents>,
    /// orders' payment deadline (a `tok_timeout` charge fails once it passes); `None`: orders' default.
    pub payment_timeout: Option<Duration>,
    /// How long products holds a reservation for an unconfirmed order; `None`: products' default.
    pub reservation_ttl: Option<Duration>,
}

/// The Redis Streams the stack's events go through.
#[derive(Debug, Clone)]
pub struct RedisEvents {
    /// `redis://host:port/db`.
    pub url: String,
    /// Stream name (tests use a unique one each), claim idle time, ….
    pub options: RedisStreamsOptions,
}

/// A GraphQL request body one subgraph received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub service: String,
    pub body: Vec<u8>,
}

/// The requests the subgraphs received, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct RequestRecorder(std::sync::Arc<std::sync::Mutex<Vec<RecordedRequest>>>);

impl RequestRecorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn take(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *self.lock())
    }

    fn layer(&self, service: &str, app: Router) -> Router {
        let recorder = self.clone();
        let service = service.to_owned();
        app.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let recorder = recorder.clone();
                let service = service.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let bytes = axum::body::to_bytes(body, usize::MAX)
                        .await
                        .unwrap_or_default();
                    if parts.method == axum::http::Method::POST {
                        recorder.lock().push(RecordedRequest {
                            service,
                            body: bytes.to_vec(),
                        });
                    }
                    next.run(axum::extract::Request::from_parts(parts, bytes.into()))
                        .await
                }
            },
        ))
    }
}

impl StackOptions {
    /// The defaults with everything under `dir`: the SQLite files `<dir>/<service>.db` and the mail
    /// directory.
    pub fn in_dir(dir: &Path) -> StackOptions {
        StackOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: ROUTER_PORT,
            data_dir: dir.to_owned(),
            database_urls: StackOptions::sqlite_in(dir),
            jwt_secret: None,
            credential_limits: None,
            demo_data: true,
            recorder: None,
            redis: None,
            payment_timeout: None,
            reservation_ttl: None,
        }
    }

    /// Where notifications writes its `.eml` files: `<data_dir>/outbox-mail`.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join(MAIL_SUBDIR)
    }

    /// SQLite files `<dir>/<service>.db` for every subgraph.
    pub fn sqlite_in(dir: &Path) -> Vec<(String, String)> {
        SUBGRAPHS
            .iter()
            .map(|(service, _)| {
                (
                    (*service).to_owned(),
                    format!("sqlite://{}/{service}.db", dir.display()),
                )
            })
            .collect()
    }
}

impl Default for StackOptions {
    /// Everything under `data/`, on the default ports, with demo data and the in-process bus.
    fn default() -> Self {
        StackOptions::in_dir(Path::new("data"))
    }
}

/// A running stack.
pub struct Stack {
    /// `http://host:port/graphql` of the router.
    pub router_url: String,
    /// `(service, http://host:port/graphql)` of every subgraph.
    pub subgraph_urls: Vec<(String, String)>,
    /// `(service, database URL)` of every subgraph.
    pub database_urls: Vec<(String, String)>,
    /// Where notifications writes its `.eml` files.
    pub mail_dir: PathBuf,
    shutdown: watch::Sender<bool>,
    tasks: Vec<(String, JoinHandle<Result<(), StartError>>)>,
    /// The event transport every subgraph publishes to and consumes from.
    events: SharedTransport,
    /// The subgraphs' background tasks (relays, consumers, sweeps, workers).
    background: BackgroundTasks,
}

impl Stack {
    pub fn subgraph_url(&self, service: &str) -> Option<&str> {
        self.subgraph_urls
            .iter()
            .find(|(s, _)| s == service)
            .map(|(_, url)| url.as_str())
    }

    pub fn database_url(&self, service: &str) -> Option<&str> {
        self.database_urls
            .iter()
            .find(|(s, _)| s == service)
            .map(|(_, url)| url.as_str())
    }

    /// Completes when any server stops on its own (which means it failed).
    pub async fn stopped(&mut self) -> String {
        let mut pending: Vec<_> = self
            .tasks
            .iter_mut()
            .map(|(name, task)| {
                Box::pin(async move {
                    let outcome = task.await;
                    match outcome {
                        Ok(Ok(())) => format!("{name} stopped"),
                        Ok(Err(e)) => format!("{name} failed: {e}"),
                        Err(e) => format!("{name} crashed: {e}"),
                    }
                })
            })
            .collect();
        if pending.is_empty() {
            return String::from("nothing running");
        }
        let (message, _, _) = futures_select_all(&mut pending).await;
        message
    }

    /// The event transport the subgraphs share (every event published by a relay lands here): the
    /// in-process bus, or the Redis stream.
    pub fn events(&self) -> &SharedTransport {
        &self.events
    }

    /// The names of the subgraphs' background tasks, in start order.
    pub fn background_tasks(&self) -> Vec<&str> {
        self.background.names()
    }

    /// Stops every server and background task, and waits for in-flight requests and the tasks' current
    /// steps to finish.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for (_, task) in self.tasks {
            let _ = task.await;
        }
        self.background.join().await;
    }
}

async fn futures_select_all<F: std::future::Future<Output = String> + Unpin>(
    futures: &mut [F],
) -> (String, usize, ()) {
    std::future::poll_fn(|cx| {
        for (i, future) in futures.iter_mut().enumerate() {
            if let std::task::Poll::Ready(value) = std::pin::Pin::new(future).poll(cx) {
                return std::task::Poll::Ready((value, i, ()));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

fn port(options: &StackOptions, offset: u16) -> u16 {
    if options.base_port == 0 {
        0
    } else {
        options.base_port.saturating_add(offset)
    }
}

/// The configuration of `service` in the stack: development mode (the public JWT secret is accepted
/// when none is given), trusting the client address the router forwards, on `port`.
fn service_config(options: &StackOptions, service: &str, port: u16) -> Config {
    let mut config = Config::defaults(service, port);
    config.environment = Environment::Development;
    config.trust_forwarded_for = true;
    if let Some(limits) = options.credential_limits {
        config.credential_limits = limits;
    }
    config.listen = SocketAddr::new(options.host, port);
    if let Some((_, url)) = options.database_urls.iter().find(|(s, _)| s == service) {
        config.database_url = url.clone();
    }
    if let Some(secret) = &options.jwt_secret {
        config.jwt.secret = secret.clone();
    }
    config
}

/// Starts the subgraphs and the router, and returns once all of them answer `/ready`.
pub async fn start(options: StackOptions) -> Result<Stack, StackError> {
    let (shutdown, shutdown_rx) = watch::channel(false);
    let events: SharedTransport = match &options.redis {
        Some(redis) => Arc::new(RedisStreams::connect(&redis.url, redis.options.clone()).await?),
        None => Arc::new(InProcessBus::new()),
    };
    let mut stack = Stack {
        router_url: String::new(),
        subgraph_urls: Vec::new(),
        database_urls: options.database_urls.clone(),
        mail_dir: options.mail_dir(),
        shutdown,
        tasks: Vec::new(),
        events: Arc::clone(&events),
        background: BackgroundTasks::new(),
    };
    // The subgraphs answer only requests carrying this secret, which the router (and orders) sends.
    let router_secret =
        rand::distr::SampleString::sample_string(&rand::distr::Alphanumeric, &mut rand::rng(), 48);
    let mut router_config = RouterConfig {
        listen: SocketAddr::new(options.host, port(&options, 0)),
        subgraph_secret: Some(router_secret.clone()),
        ..RouterConfig::default()
    };
    for (offset, (service, _)) in (1u16..).zip(SUBGRAPHS) {
        let mut config = service_config(&options, service, port(&options, offset));
        config.router_secret = Some(router_secret.clone());
        if offset == 1 {
            config.warn_if_insecure();
        }
        let start_error = |source| StackError::Start {
            service: service.to_owned(),
            source,
        };
        let listener = shopgraph_kit::server::bind(config.listen)
            .await
            .map_err(start_error)?;
        let addr = listener
            .local_addr()
            .map_err(|e| start_error(StartError::Serve(e)))?;
        let started = start_subgraph(
            service,
            &config,
            &options,
            &stack.subgraph_urls,
            Arc::clone(&events),
            Shutdown::from_receiver(shutdown_rx.clone()),
        )
        .await?;
        stack.background.extend(started.background);
        let mut app = started.app;
        if let Some(recorder) = &options.recorder {
            app = recorder.layer(service, app);
        }
        let url = format!("http://{addr}/graphql");
        router_config
            .subgraphs
            .entry(service.to_owned())
            .or_default()
            .url = Some(url.clone());
        stack.subgraph_urls.push((service.to_owned(), url));
        let rx = shutdown_rx.clone();
        let task = tokio::spawn(shopgraph_kit::server::serve(listener, app, wait_for(rx)));
        stack.tasks.push((service.to_owned(), task));
        wait_ready(service, addr).await?;
    }
    let supergraph =
        shopgraph_router::supergraph::Supergraph::parse(SUPERGRAPH, "schema/supergraph.graphql")
            .map_err(|source| shopgraph_router::RouterError::Supergraph {
                path: "schema/supergraph.graphql".into(),
                source,
            })?;
    let app = shopgraph_router::app_from_supergraph(supergraph, &router_config)?;
    let listener = shopgraph_kit::server::bind(router_config.listen)
        .await
        .map_err(|source| StackError::Start {
            service: String::from("router"),
            source,
        })?;
    let addr = listener.local_addr().map_err(|e| StackError::Start {
        service: String::from("router"),
        source: StartError::Serve(e),
    })?;
    stack.router_url = format!("http://{addr}/graphql");
    // Served like the router binary serves it: client addresses for the rate limits, header-read
    // and idle timeouts, the connection cap and the drain deadline.
    let traffic = router_config.traffic.clone();
    let task = tokio::spawn(async move {
        shopgraph_router::server::serve(listener, app, &traffic, wait_for(shutdown_rx))
            .await
            .map_err(StartError::Serve)
    });
    stack.tasks.push((String::from("router"), task));
    wait_ready("router", addr).await?;
    Ok(stack)
}

/// A subgraph's routes and its running background work.
struct StartedSubgraph {
    app: Router,
    background: BackgroundTasks,
}

/// Connects `service` to its database (migrating it, and loading demo data when asked), starts its
/// background work on `events` until `shutdown`, and returns its routes. `started` holds the
/// `(service, URL)` of the subgraphs already serving.
async fn start_subgraph(
    service: &str,
    config: &Config,
    options: &StackOptions,
    started: &[(String, String)],
    events: SharedTransport,
    shutdown: Shutdown,
) -> Result<StartedSubgraph, StackError> {
    let start_error = |source| StackError::Start {
        service: service.to_owned(),
        source,
    };
    let demo_error = |source| StackError::Demo {
        service: service.to_owned(),
        source,
    };
    let events = Some(events);
    Ok(match service {
        shopgraph_users::SERVICE => {
            let db = shopgraph_users::connect(config)
                .await
                .map_err(start_error)?;
            if options.demo_data {
                shopgraph_users::demo::seed(&db).await.map_err(demo_error)?;
            }
            StartedSubgraph {
                app: shopgraph_users::router(db.clone(), config),
                background: shopgraph_users::spawn_background(db, config, events, shutdown),
            }
        }
        shopgraph_products::SERVICE => {
            let db = shopgraph_products::connect(config)
                .await
                .map_err(start_error)?;
            if options.demo_data {
                shopgraph_products::demo::seed(&db)
                    .await
                    .map_err(demo_error)?;
            }
            let mut settings = ReservationSettings::default();
            if let Some(ttl) = options.reservation_ttl {
                settings.ttl = ttl;
            }
            StartedSubgraph {
                app: shopgraph_products::router(db.clone(), config),
                background: shopgraph_products::spawn_background_with(
                    db, config, &settings, events, shutdown,
                ),
            }
        }
        shopgraph_carts::SERVICE => {
            let db = shopgraph_carts::connect(config)
                .await
                .map_err(start_error)?;
            StartedSubgraph {
                app: shopgraph_carts::router(db.clone(), config),
                background: shopgraph_carts::spawn_background(db, config, events, shutdown),
            }
        }
        shopgraph_orders::SERVICE => {
            let url_of = |needs: &'static str| {
                started
                    .iter()
                    .find(|(name, _)| name == needs)
                    .map(|(_, url)| url.clone())
                    .ok_or(StackError::StartOrder {
                        service: shopgraph_orders::SERVICE,
                        needs,
                    })
            };
            let mut orders = OrdersConfig::defaults(config.clone());
            orders.carts_url = url_of(shopgraph_carts::SERVICE)?;
            orders.products_url = url_of(shopgraph_products::SERVICE)?;
            if let Some(timeout) = options.payment_timeout {
                orders.payment.timeout = timeout;
            }
            let db = shopgraph_orders::connect(config)
                .await
                .map_err(start_error)?;
            let payments = shopgraph_orders::payment_provider(db.clone(), &orders);
            StartedSubgraph {
                app: shopgraph_orders::router_with_payments(db.clone(), &orders, payments.clone()),
                background: shopgraph_orders::spawn_background_with_payments(
                    db, &orders, payments, events, shutdown,
                ),
            }
        }
        shopgraph_notifications::SERVICE => {
            let db = shopgraph_notifications::connect(config)
                .await
                .map_err(start_error)?;
            let mail = MailConfig {
                dir: options.mail_dir(),
                ..MailConfig::default()
            };
            StartedSubgraph {
                app: shopgraph_notifications::router(db.clone(), config),
                background: shopgraph_notifications::spawn_background_with(
                    db,
                    config,
                    events,
                    shopgraph_notifications::BackgroundOptions::from_mail_config(&mail),
                    shutdown,
                ),
            }
        }
        other => return Err(StackError::UnknownService(other.to_owned())),
    })
}

async fn wait_for(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Polls `GET /ready` until it answers 200 (at most ten seconds).
async fn wait_ready(service: &str, addr: SocketAddr) -> Result<(), StackError> {
    for _ in 0..100 {
        if ready_status(addr).await == Some(200) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StackError::NotReady {
        service: service.to_owned(),
        url: format!("http://{addr}/ready"),
    })
}

async fn ready_status(addr: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Whether something already listens on `port` of `host` (to explain a failed start).
pub async fn port_in_use(host: IpAddr, port: u16) -> bool {
    TcpListener::bind(SocketAddr::new(host, port))
        .await
        .is_err()
}
