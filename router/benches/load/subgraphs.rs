//! The four in-memory subgraphs of the load benchmark (accounts, products, reviews, inventory), written
//! with async-graphql like the subgraphs of the public federation benchmarks, so that the router under
//! test shares the machine with realistic subgraph work.

use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
};

const BODIES: [&str; 5] = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.",
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugit.",
    "Sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.",
    "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem vel eum iure reprehenderit.",
    "At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus.",
];

/// (review id, body, product upc)
fn reviews_data() -> Vec<(String, &'static str, String)> {
    let products = ["1", "1", "1", "1", "2", "2", "2", "2", "3", "4", "4"];
    products
        .iter()
        .enumerate()
        .map(|(i, upc)| {
            (
                (i + 1).to_string(),
                BODIES[i % BODIES.len()],
                (*upc).to_owned(),
            )
        })
        .collect()
}

// ----- accounts -----

#[derive(SimpleObject, Clone)]
#[graphql(name = "User")]
pub struct Account {
    id: ID,
    name: Option<String>,
    /// Reviews provides it too (`@provides`), so it is shareable.
    #[graphql(shareable)]
    username: Option<String>,
    birthday: Option<i32>,
}

fn accounts() -> Vec<Account> {
    [
        ("Ada Lovelace", "ada"),
        ("Alan Turing", "alan"),
        ("Grace Hopper", "grace"),
        ("Edsger Dijkstra", "edsger"),
        ("Barbara Liskov", "barbara"),
        ("Donald Knuth", "don"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, username))| Account {
        id: ID((i + 1).to_string()),
        name: Some((*name).to_owned()),
        username: Some((*username).to_owned()),
        birthday: Some(1_234_567_890),
    })
    .collect()
}

pub struct AccountsQuery {
    users: Vec<Account>,
}

#[Object(name = "Query")]
impl AccountsQuery {
    async fn me(&self) -> Option<Account> {
        self.users.first().cloned()
    }

    async fn user(&self, id: ID) -> Option<Account> {
        self.users.iter().find(|u| u.id == id).cloned()
    }

    async fn users(&self) -> Option<Vec<Option<Account>>> {
        Some(self.users.iter().cloned().map(Some).collect())
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Option<Account> {
        self.users.iter().find(|u| u.id == id).cloned()
    }
}

pub fn accounts_schema() -> Schema<AccountsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(
        AccountsQuery { users: accounts() },
        EmptyMutation,
        EmptySubscription,
    )
    .enable_federation()
    .finish()
}

// ----- products -----

#[derive(SimpleObject, Clone)]
#[graphql(name = "Product")]
pub struct CatalogProduct {
    upc: String,
    name: Option<String>,
    price: Option<i64>,
    weight: Option<i64>,
}

fn catalog() -> Vec<CatalogProduct> {
    [
        ("Table", 899, 100),
        ("Couch", 1299, 1000),
        ("Glass", 15, 20),
        ("Chair", 499, 100),
        ("TV", 1299, 1000),
        ("Lamp", 6999, 300),
        ("Grill", 3999, 2000),
        ("Fridge", 100_000, 6000),
        ("Sofa", 9999, 800),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, price, weight))| CatalogProduct {
        upc: (i + 1).to_string(),
        name: Some((*name).to_owned()),
        price: Some(*price),
        weight: Some(*weight),
    })
    .collect()
}

pub struct ProductsQuery {
    products: Vec<CatalogProduct>,
}

#[Object(name = "Query")]
impl ProductsQuery {
    async fn top_products(
        &self,
        #[graphql(default = 5)] first: i32,
    ) -> Option<Vec<Option<CatalogProduct>>> {
        let first = usize::try_from(first).unwrap_or(0);
        Some(
            self.products
                .iter()
                .take(first)
                .cloned()
                .map(Some)
                .collect(),
        )
    }

    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> Option<CatalogProduct> {
        self.products.iter().find(|p| p.upc == upc).cloned()
    }
}

pub fn products_schema() -> Schema<ProductsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(
        ProductsQuery {
            products: catalog(),
        },
        EmptyMutation,
        EmptySubscription,
    )
    .enable_federation()
    .finish()
}

// ----- reviews -----

#[derive(SimpleObject, Clone)]
#[graphql(name = "Review", complex)]
pub struct Review {
    id: ID,
    body: Option<String>,
    #[graphql(skip)]
    upc: String,
}

#[ComplexObject]
impl Review {
    async fn product(&self) -> Option<ReviewedProduct> {
        Some(ReviewedProduct {
            upc: self.upc.clone(),
        })
    }

    #[graphql(provides = "username")]
    async fn author(&self) -> Option<Reviewer> {
        Some(Reviewer {
            id: ID::from("1"),
            username: Some(String::from("ada")),
        })
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "User", complex)]
pub struct Reviewer {
    id: ID,
    #[graphql(external)]
    username: Option<String>,
}

#[ComplexObject]
impl Reviewer {
    async fn reviews(&self) -> Option<Vec<Option<Review>>> {
        Some(all_reviews().into_iter().take(2).map(Some).collect())
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "Product", complex)]
pub struct ReviewedProduct {
    upc: String,
}

#[ComplexObject]
impl ReviewedProduct {
    async fn reviews(&self) -> Option<Vec<Option<Review>>> {
        Some(
            all_reviews()
                .into_iter()
                .filter(|r| r.upc == self.upc)
                .map(Some)
                .collect(),
        )
    }
}

fn all_reviews() -> Vec<Review> {
    reviews_data()
        .into_iter()
        .map(|(id, body, upc)| Review {
            id: ID(id),
            body: Some(body.to_owned()),
            upc,
        })
        .collect()
}

pub struct ReviewsQuery;

#[Object(name = "Query")]
impl ReviewsQuery {
    #[graphql(entity)]
    async fn find_review_by_id(&self, id: ID) -> Option<Review> {
        all_reviews().into_iter().find(|r| r.id == id)
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Reviewer {
        Reviewer { id, username: None }
    }

    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> ReviewedProduct {
        ReviewedProduct { upc }
    }
}

pub fn reviews_schema() -> Schema<ReviewsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(ReviewsQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

// ----- inventory -----

#[derive(SimpleObject, Clone)]
#[graphql(name = "Product", complex)]
pub struct StockedProduct {
    upc: String,
    #[graphql(external)]
    price: Option<i64>,
    #[graphql(external)]
    weight: Option<i64>,
    in_stock: Option<bool>,
}

#[ComplexObject]
impl StockedProduct {
    #[graphql(requires = "price weight")]
    async fn shipping_estimate(&self) -> Option<i64> {
        let price = self.price?;
        let weight = self.weight?;
        Some(if price > 1000 { 0 } else { weight / 2 })
    }
}

pub struct InventoryQuery;

#[Object(name = "Query")]
impl InventoryQuery {
    #[graphql(entity)]
    async fn find_product_by_upc(
        &self,
        #[graphql(key)] upc: String,
        price: Option<i64>,
        weight: Option<i64>,
    ) -> StockedProduct {
        StockedProduct {
            upc,
            price,
            weight,
            in_stock: Some(true),
        }
    }
}

pub fn inventory_schema() -> Schema<InventoryQuery, EmptyMutation, EmptySubscription> {
    Schema::build(InventoryQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
