//! The test harness: a running products service with its own database, tokens for an administrator and a
//! customer, a count of the SQL statements the service runs, and helpers to read GraphQL responses.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use shopgraph_kit::test_database::TestDatabase;
use shopgraph_kit::{Config, JwtKeys, Role, server};
use shopgraph_products::entity::product;
use uuid::Uuid;

const JWT_SECRET: &str = "products-api-test-secret";

/// A running products service and a direct handle on its database.
pub struct TestApp {
    pub base_url: String,
    /// The URL of the service's database (for more connections, as other instances would open).
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// SQL statements executed on `db` (and so by the service) since the start or the last reset.
    statements: Arc<AtomicUsize>,
    pub admin_token: String,
    pub customer_token: String,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    let database = TestDatabase::from_env("products").await.unwrap();
    let mut config = Config::defaults(shopgraph_products::SERVICE, 0);
    config.database_url = database.url.clone();
    config.jwt.secret = JWT_SECRET.to_owned();
    let mut db = shopgraph_products::connect(&config).await.unwrap();
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let app = shopgraph_products::router(db.clone(), &config);
    let listener = server::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    let keys = JwtKeys::new(&config.jwt);
    TestApp {
        base_url: format!("http://{addr}"),
        database_url: database.url.clone(),
        client: reqwest::Client::new(),
        db,
        statements,
        admin_token: keys.issue(Uuid::new_v4(), Role::Admin).unwrap(),
        customer_token: keys.issue(Uuid::new_v4(), Role::Customer).unwrap(),
        _database: database,
    }
}

impl TestApp {
    /// The full GraphQL response to `query` with `variables`, sent with `token` as bearer token if any.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `data` of a query that must succeed.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        data(self.graphql(query, variables, None).await)
    }

    /// `data` of a mutation run by an administrator that must succeed.
    pub async fn admin(&self, query: &str, variables: Value) -> Value {
        data(
            self.graphql(query, variables, Some(&self.admin_token))
                .await,
        )
    }

    /// Creates a product through the API as an administrator and returns it (id, sku, name, price,
    /// stock, createdAt, updatedAt).
    pub async fn create_product(&self, input: Value) -> Value {
        self.admin(
            "mutation($input: CreateProductInput!) {
                createProduct(input: $input) {
                    id sku name description price { amount currency } category stock inStock
                    createdAt updatedAt
                }
            }",
            json!({ "input": input }),
        )
        .await["createProduct"]
            .clone()
    }

    pub fn reset_statement_count(&self) {
        self.statements.store(0, Ordering::SeqCst);
    }

    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Inserts rows directly (fixtures whose timestamps the API would not let us choose).
    pub async fn insert(&self, rows: &[Fixture]) -> Vec<product::Model> {
        let models: Vec<product::Model> = rows.iter().map(Fixture::model).collect();
        let active = models.iter().cloned().map(|m| product::ActiveModel {
            id: Set(m.id),
            sku: Set(m.sku),
            name: Set(m.name),
            description: Set(m.description),
            price_amount: Set(m.price_amount),
            price_currency: Set(m.price_currency),
            category: Set(m.category),
            stock: Set(m.stock),
            created_at: Set(m.created_at),
            updated_at: Set(m.updated_at),
            archived_at: Set(m.archived_at),
        });
        product::Entity::insert_many(active)
            .exec(&self.db)
            .await
            .unwrap();
        models
    }
}

/// A product to insert directly.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub category: String,
    pub stock: i32,
    pub created_at: DateTime<Utc>,
}

impl Fixture {
    pub fn new(sku: &str, name: &str, price: i64, category: &str, stock: i32) -> Fixture {
        Fixture {
            sku: sku.to_owned(),
            name: name.to_owned(),
            description: format!("A fine {name}."),
            price,
            category: category.to_owned(),
            stock,
            created_at: DateTime::from_timestamp_micros(1_750_000_000_000_000).unwrap(),
        }
    }

    pub fn described(mut self, description: &str) -> Fixture {
        self.description = description.to_owned();
        self
    }

    fn model(&self) -> product::Model {
        product::Model {
            id: Uuid::new_v4(),
            sku: self.sku.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            price_amount: self.price,
            price_currency: "USD".to_owned(),
            category: self.category.clone(),
            stock: self.stock,
            created_at: self.created_at,
            updated_at: self.created_at,
            archived_at: None,
        }
    }
}

/// `data` of a response that must have no errors.
pub fn data(response: Value) -> Value {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
    response["data"].clone()
}

/// `extensions.code` of the first error of a response that must have failed.
pub fn error_code(response: &Value) -> String {
    let code = response["errors"][0]["extensions"]["code"].as_str();
    code.unwrap_or_else(|| panic!("expected an error with a code: {response:#}"))
        .to_owned()
}

/// A valid product input with `sku`.
pub fn product_input(sku: &str) -> Value {
    json!({
        "sku": sku,
        "name": format!("Product {sku}"),
        "description": "Made for tests.",
        "price": { "amount": 1999, "currency": "USD" },
        "category": "Testing",
        "stock": 5,
    })
}
