//! The whole platform in one process, for development and end-to-end tests: every subgraph on its own
//! port over its own database, and the router in front of them, started in dependency order, checked
//! ready over HTTP, and stopped together. The subgraphs' background work (outbox relays, event consumers,
//! the reservation expiry sweep) runs beside them, all on one shared in-process event bus.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sea_orm::DatabaseConnection;
use shopgraph_events::transport::{self, SharedTransport, TransportError};
use shopgraph_events::{BackgroundTasks, InProcessBus, Shutdown};
use shopgraph_kit::{Config, StartError};
use shopgraph_router::RouterConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The supergraph the stack serves: the committed composition of the subgraphs.
pub const SUPERGRAPH: &str = include_str!("../schema/supergraph.graphql");

/// The subgraphs of the stack, in start order, with their default ports. (orders, 4004, and
/// notifications, 4005, join here once `build_subgraph` and `spawn_background` know them.)
pub const SUBGRAPHS: [(&str, u16); 3] = [
    (shopgraph_users::SERVICE, shopgraph_users::DEFAULT_PORT),
    (
        shopgraph_products::SERVICE,
        shopgraph_products::DEFAULT_PORT,
    ),
    (shopgraph_carts::SERVICE, shopgraph_carts::DEFAULT_PORT),
];

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
    #[error("{service}: cannot connect to the event transport: {source}")]
    Events {
        service: String,
        source: TransportError,
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
    /// Database URL per subgraph, by service name.
    pub database_urls: Vec<(String, String)>,
    pub jwt_secret: Option<String>,
    /// Load demo data into empty databases.
    pub demo_data: bool,
    /// Keep a copy of every GraphQL request the subgraphs receive (for tests).
    pub recorder: Option<RequestRecorder>,
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
    /// SQLite files `<dir>/<service>.db` for every subgraph.
    pub fn sqlite_in(dir: &std::path::Path) -> Vec<(String, String)> {
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
    fn default() -> Self {
        StackOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: ROUTER_PORT,
            database_urls: StackOptions::sqlite_in(std::path::Path::new("data")),
            jwt_secret: None,
            demo_data: true,
            recorder: None,
        }
    }
}

/// A running stack.
pub struct Stack {
    /// `http://host:port/graphql` of the router.
    pub router_url: String,
    /// `(service, http://host:port/graphql)` of every subgraph.
    pub subgraph_urls: Vec<(String, String)>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<(String, JoinHandle<Result<(), StartError>>)>,
    /// The event bus every subgraph publishes to and consumes from.
    events: InProcessBus,
    /// The subgraphs' background tasks (relays, consumers, sweeps).
    background: BackgroundTasks,
}

impl Stack {
    pub fn subgraph_url(&self, service: &str) -> Option<&str> {
        self.subgraph_urls
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

    /// The in-process event bus the subgraphs share (every event published by a relay lands here).
    pub fn event_bus(&self) -> &InProcessBus {
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

fn service_config(options: &StackOptions, service: &str, port: u16) -> Config {
    let mut config = Config::defaults(service, port);
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
    let events = InProcessBus::new();
    let mut stack = Stack {
        router_url: String::new(),
        subgraph_urls: Vec::new(),
        shutdown,
        tasks: Vec::new(),
        events: events.clone(),
        background: BackgroundTasks::new(),
    };
    let mut router_config = RouterConfig {
        listen: SocketAddr::new(options.host, port(&options, 0)),
        ..RouterConfig::default()
    };
    let mut warned = false;
    for (offset, (service, _)) in (1u16..).zip(SUBGRAPHS) {
        let config = service_config(&options, service, port(&options, offset));
        if !warned {
            config.warn_if_insecure();
            warned = true;
        }
        let start_error = |source| StackError::Start {
            service: service.to_owned(),
            source,
        };
        let (db, mut app) = build_subgraph(service, &config, options.demo_data).await?;
        let shared: SharedTransport = Arc::new(events.clone());
        let transport = transport::from_config(&config, Some(shared))
            .await
            .map_err(|source| StackError::Events {
                service: service.to_owned(),
                source,
            })?;
        let background = Shutdown::from_receiver(shutdown_rx.clone());
        stack.background.extend(spawn_background(
            service, db, &config, transport, background,
        )?);
        if let Some(recorder) = &options.recorder {
            app = recorder.layer(service, app);
        }
        let listener = shopgraph_kit::server::bind(config.listen)
            .await
            .map_err(start_error)?;
        let addr = listener
            .local_addr()
            .map_err(|e| start_error(StartError::Serve(e)))?;
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
    let task = tokio::spawn(shopgraph_kit::server::serve(
        listener,
        app,
        wait_for(shutdown_rx),
    ));
    stack.tasks.push((String::from("router"), task));
    wait_ready("router", addr).await?;
    Ok(stack)
}

async fn build_subgraph(
    service: &str,
    config: &Config,
    demo_data: bool,
) -> Result<(DatabaseConnection, Router), StackError> {
    let start_error = |source| StackError::Start {
        service: service.to_owned(),
        source,
    };
    let demo_error = |source| StackError::Demo {
        service: service.to_owned(),
        source,
    };
    Ok(match service {
        shopgraph_users::SERVICE => {
            let db = shopgraph_users::connect(config)
                .await
                .map_err(start_error)?;
            if demo_data {
                shopgraph_users::demo::seed(&db).await.map_err(demo_error)?;
            }
            let app = shopgraph_users::router(db.clone(), config);
            (db, app)
        }
        shopgraph_products::SERVICE => {
            let db = shopgraph_products::connect(config)
                .await
                .map_err(start_error)?;
            if demo_data {
                shopgraph_products::demo::seed(&db)
                    .await
                    .map_err(demo_error)?;
            }
            let app = shopgraph_products::router(db.clone(), config);
            (db, app)
        }
        shopgraph_carts::SERVICE => {
            let db = shopgraph_carts::connect(config)
                .await
                .map_err(start_error)?;
            let app = shopgraph_carts::router(db.clone(), config);
            (db, app)
        }
        // orders and notifications: connect, seed and route here, as above.
        other => return Err(StackError::UnknownService(other.to_owned())),
    })
}

/// Starts `service`'s background work over `db` (already migrated) on `transport` until `shutdown`.
fn spawn_background(
    service: &str,
    db: DatabaseConnection,
    config: &Config,
    transport: Option<SharedTransport>,
    shutdown: Shutdown,
) -> Result<BackgroundTasks, StackError> {
    Ok(match service {
        shopgraph_users::SERVICE => {
            shopgraph_users::spawn_background(db, config, transport, shutdown)
        }
        shopgraph_products::SERVICE => {
            shopgraph_products::spawn_background(db, config, transport, shutdown)
        }
        shopgraph_carts::SERVICE => {
            shopgraph_carts::spawn_background(db, config, transport, shutdown)
        }
        // orders and notifications: `shopgraph_orders::spawn_background(db, config, transport,
        // shutdown)` and the same for notifications, once they are in `SUBGRAPHS`.
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
