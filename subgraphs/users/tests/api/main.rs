//! End-to-end tests of the users subgraph: each test spawns the real service on port 0 over a fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set) and talks GraphQL over HTTP to it.

mod limits;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, Set};
use serde_json::{Value, json};
use shopgraph_events::{
    DomainEvent, EventEnvelope, InProcessBus, Shutdown, Transport, UserEmailChanged,
    UserRegistered, outbox,
};
use shopgraph_kit::test_database::TestDatabase;
use shopgraph_kit::{Config, JwtConfig, JwtKeys, Role, server};
use shopgraph_users::entity::user;
use shopgraph_users::{demo, router};
use uuid::Uuid;

const JWT_SECRET: &str = "users-api-test-secret";

/// A running users service and a direct handle on its database.
struct TestApp {
    base_url: String,
    client: reqwest::Client,
    db: DatabaseConnection,
    /// SQL statements executed on `db` (and so by the service) since the start or the last reset.
    statements: Arc<AtomicUsize>,
    _database: TestDatabase,
}

async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A running users service with the test configuration changed by `configure`.
async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let database = TestDatabase::from_env("users").await.unwrap();
    let mut config = Config::defaults(shopgraph_users::SERVICE, 0);
    config.database_url = database.url.clone();
    config.jwt.secret = JWT_SECRET.to_owned();
    configure(&mut config);
    let mut db = shopgraph_users::connect(&config).await.unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let app = router(db.clone(), &config);
    let listener = server::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    TestApp {
        base_url: format!("http://{addr}"),
        client: reqwest::Client::new(),
        db,
        statements,
        _database: database,
    }
}

impl TestApp {
    /// The HTTP status and JSON body of `POST /graphql` with `body` and `headers`.
    async fn post(&self, body: &Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// The HTTP status and body text of `GET path`.
    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// The full GraphQL response to `query` with `variables`, sent with `token` as bearer token if any.
    async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.graphql_with_authorization(query, variables, token.map(|t| format!("Bearer {t}")))
            .await
    }

    async fn graphql_with_authorization(
        &self,
        query: &str,
        variables: Value,
        authorization: Option<String>,
    ) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn register(&self, email: &str, password: &str, name: &str) -> Value {
        self.graphql(
            "mutation($input: RegisterInput!) {
                register(input: $input) { token user { id email name role createdAt } }
            }",
            json!({ "input": { "email": email, "password": password, "name": name } }),
            None,
        )
        .await
    }

    /// Registers and returns (token, user id); panics if registration fails.
    async fn register_ok(&self, email: &str, password: &str, name: &str) -> (String, String) {
        let response = self.register(email, password, name).await;
        assert_no_errors(&response);
        let payload = &response["data"]["register"];
        (
            payload["token"].as_str().unwrap().to_owned(),
            payload["user"]["id"].as_str().unwrap().to_owned(),
        )
    }

    async fn login(&self, email: &str, password: &str) -> Value {
        self.graphql(
            "mutation($email: String!, $password: String!) {
                login(email: $email, password: $password) { token user { id email role } }
            }",
            json!({ "email": email, "password": password }),
            None,
        )
        .await
    }

    async fn me(&self, token: Option<&str>) -> Value {
        self.graphql("{ me { id email name role } }", json!({}), token)
            .await
    }

    async fn update_profile(&self, token: &str, input: Value) -> Value {
        self.graphql(
            "mutation($input: UpdateProfileInput!) {
                updateProfile(input: $input) { id email name }
            }",
            json!({ "input": input }),
            Some(token),
        )
        .await
    }

    /// The events in the outbox, in order.
    async fn outbox_events(&self) -> Vec<EventEnvelope> {
        outbox::entity::Entity::find()
            .order_by_asc(outbox::entity::Column::Position)
            .all(&self.db)
            .await
            .unwrap()
            .iter()
            .map(|row| row.envelope().unwrap())
            .collect()
    }

    async fn user_count(&self) -> u64 {
        user::Entity::find().count(&self.db).await.unwrap()
    }

    /// Signs in the demo administrator (seeding the demo accounts) and returns the token.
    async fn admin_token(&self) -> String {
        demo::seed(&self.db).await.unwrap();
        let response = self.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await;
        assert_no_errors(&response);
        response["data"]["login"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn assert_no_errors(response: &Value) {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
}

/// The `extensions.code` of the response's only error.
fn error_code(response: &Value) -> &str {
    let errors = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {response:#}"));
    assert_eq!(errors.len(), 1, "expected exactly one error: {response:#}");
    errors[0]["extensions"]["code"].as_str().unwrap()
}

fn error_message(response: &Value) -> &str {
    response["errors"][0]["message"].as_str().unwrap()
}

#[tokio::test]
async fn register_normalises_the_email_and_its_token_signs_in() {
    let app = spawn_app().await;
    let response = app
        .register(
            "  Jane.Doe@Example.COM ",
            "long enough password",
            "  Jane Doe ",
        )
        .await;
    assert_no_errors(&response);
    let payload = &response["data"]["register"];
    let user = &payload["user"];
    assert_eq!(user["email"], "jane.doe@example.com");
    assert_eq!(user["name"], "Jane Doe");
    assert_eq!(user["role"], "CUSTOMER");
    let id = Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
    let created_at: chrono::DateTime<chrono::Utc> =
        user["createdAt"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - created_at).num_seconds().abs() < 60);

    let token = payload["token"].as_str().unwrap();
    let claims = JwtKeys::new(&JwtConfig {
        secret: JWT_SECRET.to_owned(),
        ttl_seconds: 60,
    })
    .verify(token)
    .unwrap();
    assert_eq!(claims.sub, id);
    assert_eq!(claims.role, Role::Customer);
    assert!(claims.exp > chrono::Utc::now().timestamp());

    let me = app.me(Some(token)).await;
    assert_no_errors(&me);
    assert_eq!(me["data"]["me"]["id"], user["id"]);
    assert_eq!(me["data"]["me"]["email"], "jane.doe@example.com");

    let stored = user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.password_hash.starts_with("$argon2id$"),
        "{}",
        stored.password_hash
    );
    assert!(!stored.password_hash.contains("long enough password"));
}

#[tokio::test]
async fn a_taken_email_is_email_taken_whatever_its_case_and_spaces() {
    let app = spawn_app().await;
    app.register_ok("taken@example.com", "password-one", "First")
        .await;
    for email in ["taken@example.com", "  TAKEN@Example.com  "] {
        let response = app.register(email, "password-two", "Second").await;
        assert_eq!(
            error_code(&response),
            "EMAIL_TAKEN",
            "{email:?}: {response:#}"
        );
        assert!(response["data"].is_null(), "{response:#}");
    }
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn of_concurrent_registrations_with_one_email_exactly_one_succeeds() {
    let app = spawn_app().await;
    let emails = [
        "race@example.com",
        "RACE@example.com",
        " race@EXAMPLE.com",
        "Race@Example.Com ",
        "race@example.COM",
    ];
    let responses = futures::future::join_all(
        emails
            .iter()
            .map(|email| app.register(email, "racing password", "Racer")),
    )
    .await;
    let succeeded = responses
        .iter()
        .filter(|r| r.get("errors").is_none())
        .count();
    assert_eq!(succeeded, 1, "{responses:#?}");
    for response in responses.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(error_code(response), "EMAIL_TAKEN", "{response:#}");
    }
    assert_eq!(app.user_count().await, 1);
    assert_eq!(
        app.outbox_events().await.len(),
        1,
        "only the winner's event"
    );
}

#[tokio::test]
async fn registration_input_is_checked() {
    let app = spawn_app().await;
    let cases = [
        ("short@example.com", "1234567", "Short Password"),
        ("not-an-email", "good password", "Bad Email"),
        ("two@@example.com", "good password", "Bad Email"),
        ("name@example.com", "good password", "   "),
        ("long@example.com", "good password", &"n".repeat(101)),
    ];
    for (email, password, name) in cases {
        let response = app.register(email, password, name).await;
        assert_eq!(
            error_code(&response),
            "BAD_USER_INPUT",
            "{email}: {response:#}"
        );
    }
    assert!(error_message(&app.register("a@example.com", "1234567", "A").await).contains("8"));
    assert_eq!(app.user_count().await, 0);
    // Exactly 8 characters and a 100-character name are fine.
    app.register_ok("edge@example.com", "12345678", &"n".repeat(100))
        .await;
}

#[tokio::test]
async fn login_succeeds_and_fails_the_same_way_for_unknown_email_and_wrong_password() {
    let app = spawn_app().await;
    let (_, id) = app
        .register_ok("login@example.com", "right password", "Login")
        .await;

    let response = app.login("  LOGIN@example.com", "right password").await;
    assert_no_errors(&response);
    let payload = &response["data"]["login"];
    assert_eq!(payload["user"]["id"], id.as_str());
    assert_eq!(payload["user"]["email"], "login@example.com");
    assert_eq!(payload["user"]["role"], "CUSTOMER");
    let me = app.me(payload["token"].as_str()).await;
    assert_eq!(me["data"]["me"]["id"], id.as_str());

    let wrong_password = app.login("login@example.com", "wrong password").await;
    let unknown_email = app.login("nobody@example.com", "right password").await;
    let malformed_email = app.login("nobody", "right password").await;
    for response in [&wrong_password, &unknown_email, &malformed_email] {
        assert_eq!(error_code(response), "INVALID_CREDENTIALS", "{response:#}");
        assert!(response["data"].is_null(), "{response:#}");
    }
    assert_eq!(wrong_password["errors"], unknown_email["errors"]);
    assert_eq!(wrong_password["errors"], malformed_email["errors"]);
}

#[tokio::test]
async fn me_is_null_without_token_and_unauthenticated_with_a_bad_one() {
    let app = spawn_app().await;
    let anonymous = app.me(None).await;
    assert_no_errors(&anonymous);
    assert!(anonymous["data"]["me"].is_null());

    let garbage = app.me(Some("not-a-token")).await;
    assert_eq!(error_code(&garbage), "UNAUTHENTICATED", "{garbage:#}");

    let foreign = JwtKeys::new(&JwtConfig {
        secret: "some other secret".to_owned(),
        ttl_seconds: 60,
    })
    .issue(Uuid::now_v7(), Role::Admin)
    .unwrap();
    let response = app.me(Some(&foreign)).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response:#}");

    let not_bearer = app
        .graphql_with_authorization("{ me { id } }", json!({}), Some("Basic abc".to_owned()))
        .await;
    assert_eq!(error_code(&not_bearer), "UNAUTHENTICATED", "{not_bearer:#}");

    // A valid token whose account does not exist (any more).
    let orphan = JwtKeys::new(&JwtConfig {
        secret: JWT_SECRET.to_owned(),
        ttl_seconds: 60,
    })
    .issue(Uuid::now_v7(), Role::Customer)
    .unwrap();
    let response = app.me(Some(&orphan)).await;
    assert_no_errors(&response);
    assert!(response["data"]["me"].is_null());
}

#[tokio::test]
async fn update_profile_changes_name_email_and_password() {
    let app = spawn_app().await;
    let (token, id) = app
        .register_ok("profile@example.com", "first password", "Before")
        .await;
    app.register_ok("other@example.com", "other password", "Other")
        .await;

    let anonymous = app
        .graphql(
            "mutation { updateProfile(input: { name: \"X\" }) { id } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let renamed = app
        .update_profile(&token, json!({ "name": "  After  " }))
        .await;
    assert_no_errors(&renamed);
    assert_eq!(renamed["data"]["updateProfile"]["name"], "After");
    assert_eq!(
        renamed["data"]["updateProfile"]["email"],
        "profile@example.com"
    );

    for input in [
        json!({ "name": "" }),
        json!({ "email": "nope" }),
        json!({ "newPassword": "short", "currentPassword": "first password" }),
        json!({ "newPassword": "a new password" }),
    ] {
        let response = app.update_profile(&token, input.clone()).await;
        assert_eq!(
            error_code(&response),
            "BAD_USER_INPUT",
            "{input}: {response:#}"
        );
    }
    let taken = app
        .update_profile(&token, json!({ "email": " OTHER@example.com" }))
        .await;
    assert_eq!(error_code(&taken), "EMAIL_TAKEN", "{taken:#}");

    let moved = app
        .update_profile(&token, json!({ "email": " New.Address@Example.com " }))
        .await;
    assert_no_errors(&moved);
    assert_eq!(
        moved["data"]["updateProfile"]["email"],
        "new.address@example.com"
    );
    assert_eq!(moved["data"]["updateProfile"]["name"], "After");
    assert_eq!(
        error_code(&app.login("profile@example.com", "first password").await),
        "INVALID_CREDENTIALS"
    );

    let wrong_current = app
        .update_profile(
            &token,
            json!({ "newPassword": "second password", "currentPassword": "not my password" }),
        )
        .await;
    assert_eq!(
        error_code(&wrong_current),
        "INVALID_CREDENTIALS",
        "{wrong_current:#}"
    );
    assert_no_errors(&app.login("new.address@example.com", "first password").await);

    let changed = app
        .update_profile(
            &token,
            json!({ "newPassword": "second password", "currentPassword": "first password" }),
        )
        .await;
    assert_no_errors(&changed);
    assert_eq!(changed["data"]["updateProfile"]["id"], id.as_str());
    assert_eq!(
        error_code(&app.login("new.address@example.com", "first password").await),
        "INVALID_CREDENTIALS"
    );
    let login = app
        .login("new.address@example.com", "second password")
        .await;
    assert_no_errors(&login);
    assert_eq!(login["data"]["login"]["user"]["id"], id.as_str());
}

const ENTITIES: &str = "query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on User { id name email } }
}";

const ENTITIES_WITHOUT_EMAIL: &str = "query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on User { id name role } }
}";

fn representation(id: &str) -> Value {
    json!({ "__typename": "User", "id": id })
}

#[tokio::test]
async fn email_is_forbidden_to_everyone_but_the_user_and_admins() {
    let app = spawn_app().await;
    let (owner_token, owner_id) = app
        .register_ok("owner@example.com", "owner password", "Owner")
        .await;
    let (stranger_token, _) = app
        .register_ok("stranger@example.com", "stranger password", "Stranger")
        .await;
    let admin_token = app.admin_token().await;
    let variables = json!({ "representations": [representation(&owner_id)] });

    for token in [Some(stranger_token.as_str()), None] {
        let response = app.graphql(ENTITIES, variables.clone(), token).await;
        assert_eq!(error_code(&response), "FORBIDDEN", "{response:#}");
        // async-graphql leaves the list index out of error paths under `_entities`, and leaves the
        // failed field out of the entity instead of nulling it.
        assert_eq!(response["errors"][0]["path"], json!(["_entities", "email"]));
        let entity = &response["data"]["_entities"][0];
        assert!(
            entity.get("email").is_none_or(Value::is_null),
            "email leaked: {response:#}"
        );
        assert!(
            !response.to_string().contains("owner@example.com"),
            "{response:#}"
        );
        let public = app
            .graphql(ENTITIES_WITHOUT_EMAIL, variables.clone(), token)
            .await;
        assert_no_errors(&public);
        assert_eq!(public["data"]["_entities"][0]["name"], "Owner");
        assert_eq!(public["data"]["_entities"][0]["role"], "CUSTOMER");
    }
    for token in [&owner_token, &admin_token] {
        let response = app.graphql(ENTITIES, variables.clone(), Some(token)).await;
        assert_no_errors(&response);
        assert_eq!(
            response["data"]["_entities"][0]["email"],
            "owner@example.com"
        );
    }
}

#[tokio::test]
async fn user_by_id_is_for_admins_only() {
    let app = spawn_app().await;
    let (customer_token, customer_id) = app
        .register_ok("customer@example.com", "customer password", "Customer")
        .await;
    let query = "query($id: ID!) { user(id: $id) { id email name role } }";
    let variables = json!({ "id": customer_id });

    let as_customer = app
        .graphql(query, variables.clone(), Some(&customer_token))
        .await;
    assert_eq!(error_code(&as_customer), "FORBIDDEN", "{as_customer:#}");
    assert!(as_customer["data"]["user"].is_null());
    let anonymous = app.graphql(query, variables.clone(), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous:#}");

    let admin_token = app.admin_token().await;
    let as_admin = app.graphql(query, variables, Some(&admin_token)).await;
    assert_no_errors(&as_admin);
    assert_eq!(as_admin["data"]["user"]["email"], "customer@example.com");
    assert_eq!(as_admin["data"]["user"]["name"], "Customer");

    let unknown = app
        .graphql(query, json!({ "id": Uuid::now_v7() }), Some(&admin_token))
        .await;
    assert_no_errors(&unknown);
    assert!(unknown["data"]["user"].is_null());
    let malformed = app
        .graphql(query, json!({ "id": "42" }), Some(&admin_token))
        .await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT", "{malformed:#}");
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_its_accounts_sign_in() {
    let app = spawn_app().await;
    demo::seed(&app.db).await.unwrap();
    demo::seed(&app.db).await.unwrap();
    assert_eq!(app.user_count().await, 2);

    let admin = app.login(demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD).await;
    assert_no_errors(&admin);
    assert_eq!(admin["data"]["login"]["user"]["role"], "ADMIN");
    let me = app.me(admin["data"]["login"]["token"].as_str()).await;
    assert_eq!(me["data"]["me"]["name"], demo::ADMIN_NAME);
    assert_eq!(me["data"]["me"]["role"], "ADMIN");

    let customer = app
        .login(demo::CUSTOMER_EMAIL, demo::CUSTOMER_PASSWORD)
        .await;
    assert_no_errors(&customer);
    assert_eq!(customer["data"]["login"]["user"]["role"], "CUSTOMER");
    let me = app.me(customer["data"]["login"]["token"].as_str()).await;
    assert_eq!(me["data"]["me"]["name"], demo::CUSTOMER_NAME);

    // Seeding again leaves changed accounts alone.
    let token = customer["data"]["login"]["token"].as_str().unwrap();
    assert_no_errors(
        &app.update_profile(token, json!({ "name": "Renamed" }))
            .await,
    );
    demo::seed(&app.db).await.unwrap();
    assert_eq!(app.user_count().await, 2);
    assert_eq!(app.me(Some(token)).await["data"]["me"]["name"], "Renamed");
}

#[tokio::test]
async fn one_hundred_entity_representations_take_one_query() {
    let app = spawn_app().await;
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for n in 0..60 {
        let id = Uuid::now_v7();
        user::ActiveModel {
            id: Set(id),
            email: Set(format!("user{n}@example.com")),
            name: Set(format!("User {n}")),
            password_hash: Set("not used by this test".to_owned()),
            role: Set(Role::Customer.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&app.db)
        .await
        .unwrap();
        ids.push(id.to_string());
    }
    // 100 representations: 60 users (one of them asked for twice), 38 unknown ids, one id that is no UUID.
    let mut requested: Vec<Option<usize>> = (0..60).map(Some).collect();
    requested.push(Some(7));
    requested.extend((0..38).map(|_| None));
    requested.push(None);
    let mut representations: Vec<Value> = requested
        .iter()
        .map(|index| match index {
            Some(index) => representation(&ids[*index]),
            None => representation(&Uuid::now_v7().to_string()),
        })
        .collect();
    representations[99] = representation("not-a-uuid");
    assert_eq!(representations.len(), 100);

    app.statements.store(0, Ordering::SeqCst);
    let response = app
        .graphql(
            ENTITIES_WITHOUT_EMAIL,
            json!({ "representations": representations }),
            None,
        )
        .await;
    assert_eq!(
        app.statements.load(Ordering::SeqCst),
        1,
        "one SQL query for all representations"
    );
    assert_no_errors(&response);
    let entities = response["data"]["_entities"].as_array().unwrap();
    assert_eq!(entities.len(), 100);
    for (entity, index) in entities.iter().zip(&requested) {
        match index {
            Some(index) => {
                assert_eq!(entity["id"], ids[*index].as_str());
                assert_eq!(entity["name"], format!("User {index}"));
            }
            None => assert!(entity.is_null(), "{entity}"),
        }
    }
}

#[tokio::test]
async fn health_and_ready_answer() {
    let app = spawn_app().await;
    for (path, body) in [("/health", "ok"), ("/ready", "ready")] {
        assert_eq!(app.get(path).await, (200, body.to_owned()), "{path}");
    }
}

#[tokio::test]
async fn sdl_matches_the_golden_file() {
    let app = spawn_app().await;
    let response = app.graphql("{ _service { sdl } }", json!({}), None).await;
    assert_no_errors(&response);
    let sdl = response["data"]["_service"]["sdl"].as_str().unwrap();
    assert!(sdl.contains("type User @key(fields: \"id\")"), "{sdl}");
    assert!(
        !sdl.contains("findUserById") && !sdl.contains("Loader"),
        "{sdl}"
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/subgraphs/users.graphql");
    if std::env::var("UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, sdl).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        golden == sdl,
        "the users SDL differs from {}: refresh with `UPDATE_SCHEMA=1 cargo test -p shopgraph-users -- sdl` \
         and then recompose with `cargo run -p shopgraph-schema -- compose`\n--- live SDL ---\n{sdl}",
        path.display()
    );
}

#[tokio::test]
async fn registration_writes_exactly_one_user_registered_event_and_a_failed_one_none() {
    let app = spawn_app().await;
    let (_, id) = app
        .register_ok(" Ada@Example.com ", "analytical engine", " Ada Lovelace ")
        .await;
    let events = app.outbox_events().await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event.producer, "users");
    assert_eq!(
        event.decode().unwrap(),
        DomainEvent::UserRegistered(UserRegistered {
            user_id: Uuid::parse_str(&id).unwrap(),
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
        })
    );

    let taken = app
        .register("ADA@example.com", "another password", "Ada")
        .await;
    assert_eq!(error_code(&taken), "EMAIL_TAKEN");
    let invalid = app.register("not-an-email", "good password", "X").await;
    assert_eq!(error_code(&invalid), "BAD_USER_INPUT");
    assert_eq!(
        app.outbox_events().await.len(),
        1,
        "failed registrations write no event"
    );
}

#[tokio::test]
async fn an_email_change_writes_user_email_changed_and_other_changes_none() {
    let app = spawn_app().await;
    let (token, id) = app
        .register_ok("grace@example.com", "compiler pioneer", "Grace")
        .await;
    app.register_ok("taken@example.com", "compiler pioneer", "Other")
        .await;
    let before = app.outbox_events().await.len();

    let renamed = app
        .update_profile(&token, json!({ "name": "Grace Hopper" }))
        .await;
    assert_no_errors(&renamed);
    let same_email = app
        .update_profile(&token, json!({ "email": " GRACE@example.com " }))
        .await;
    assert_no_errors(&same_email);
    assert_eq!(
        app.outbox_events().await.len(),
        before,
        "no email change, no event"
    );

    let conflict = app
        .update_profile(&token, json!({ "email": "taken@example.com" }))
        .await;
    assert_eq!(error_code(&conflict), "EMAIL_TAKEN");
    assert_eq!(
        app.outbox_events().await.len(),
        before,
        "a rejected change writes no event"
    );

    let changed = app
        .update_profile(&token, json!({ "email": "Admiral@Navy.mil" }))
        .await;
    assert_no_errors(&changed);
    let events = app.outbox_events().await;
    assert_eq!(events.len(), before + 1);
    assert_eq!(
        events.last().unwrap().decode().unwrap(),
        DomainEvent::UserEmailChanged(UserEmailChanged {
            user_id: Uuid::parse_str(&id).unwrap(),
            email: "admiral@navy.mil".into(),
            name: "Grace Hopper".into(),
        })
    );
}

#[tokio::test]
async fn the_background_relay_publishes_registrations_to_the_transport() {
    let app = spawn_app().await;
    let mut config = Config::defaults(shopgraph_users::SERVICE, 0);
    config.database_url = app._database.url.clone();
    let (_, shutdown) = Shutdown::channel();
    let idle = shopgraph_users::spawn_background(app.db.clone(), &config, None, shutdown);
    assert!(idle.is_empty(), "without a transport nothing runs");

    let bus = InProcessBus::new();
    let mut subscription = bus.subscribe("test", "c1").await.unwrap();
    let (trigger, shutdown) = Shutdown::channel();
    let tasks = shopgraph_users::spawn_background(
        app.db.clone(),
        &config,
        Some(std::sync::Arc::new(bus.clone())),
        shutdown,
    );
    assert_eq!(tasks.names(), vec!["users relay"]);
    let (_, id) = app
        .register_ok("linus@example.com", "penguins rule", "Linus")
        .await;
    let delivery = subscription
        .next(std::time::Duration::from_secs(10))
        .await
        .unwrap()
        .expect("the registration was published");
    let envelope = delivery.envelope().unwrap();
    assert_eq!(
        envelope.decode_as::<UserRegistered>().unwrap().user_id,
        Uuid::parse_str(&id).unwrap()
    );
    trigger.trigger();
    tokio::time::timeout(std::time::Duration::from_secs(5), tasks.join())
        .await
        .expect("the relay stops on shutdown");
    let rows = outbox::entity::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].published_at.is_some());
}

#[tokio::test]
async fn the_registration_event_carries_the_requests_trace_context() {
    let app = spawn_app().await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response: Value = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("traceparent", traceparent)
        .json(&json!({
            "query": "mutation($input: RegisterInput!) { register(input: $input) { user { id } } }",
            "variables": { "input": { "email": "grace@example.com", "password": "cobol-compiler", "name": "Grace" } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_no_errors(&response);
    let events = app.outbox_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].traceparent.as_deref(), Some(traceparent));

    // Without one, the event has none.
    app.register_ok("alan@example.com", "turing-machine", "Alan")
        .await;
    assert_eq!(app.outbox_events().await[1].traceparent, None);
}
