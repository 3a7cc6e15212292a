//! The product listing's GraphQL types: the `ProductFilter` and `ProductOrder` arguments and the Relay
//! cursor connection (`ProductConnection`, `ProductEdge`, `PageInfo`) a page is returned as.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use sea_orm::DatabaseConnection;
use shopgraph_kit::error::internal;

use super::product::Product;
use crate::catalogue::{self, Cursor, Page, SortOrder};

/// Which products a listing includes. Every condition given must hold.
#[derive(Debug, Clone, Default, InputObject)]
#[graphql(name = "ProductFilter")]
pub struct ProductFilterInput {
    /// Case-insensitive text that must occur in the name or the description; `%` and `_` match
    /// themselves.
    pub search: Option<String>,
    /// Exact category name, as listed by `categories`.
    pub category: Option<String>,
    /// Smallest price amount in minor units, inclusive.
    pub min_price: Option<i64>,
    /// Largest price amount in minor units, inclusive.
    pub max_price: Option<i64>,
    /// `true`: only products in stock; `false`: only sold-out products.
    pub in_stock: Option<bool>,
}

impl From<ProductFilterInput> for catalogue::ProductFilter {
    fn from(input: ProductFilterInput) -> catalogue::ProductFilter {
        catalogue::ProductFilter {
            search: input.search,
            category: input.category,
            min_price: input.min_price,
            max_price: input.max_price,
            in_stock: input.in_stock,
        }
    }
}

/// The order of a product listing; ties are broken by product id, so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum ProductOrder {
    /// By name, A to Z.
    #[default]
    NameAsc,
    /// By name, Z to A.
    NameDesc,
    /// Cheapest first (by amount, whatever the currency).
    PriceAsc,
    /// Most expensive first (by amount, whatever the currency).
    PriceDesc,
    /// Most recently created first.
    Newest,
}

impl From<ProductOrder> for SortOrder {
    fn from(order: ProductOrder) -> SortOrder {
        match order {
            ProductOrder::NameAsc => SortOrder::NameAsc,
            ProductOrder::NameDesc => SortOrder::NameDesc,
            ProductOrder::PriceAsc => SortOrder::PriceAsc,
            ProductOrder::PriceDesc => SortOrder::PriceDesc,
            ProductOrder::Newest => SortOrder::Newest,
        }
    }
}

/// A product and its position in the listing.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductEdge {
    /// Pass as `after` to continue the listing after this product.
    pub cursor: String,
    pub node: Product,
}

/// Where a page lies in its listing (Relay cursor connections).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(shareable)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// One page of products, built from a catalogue page.
pub struct ProductConnection {
    edges: Vec<ProductEdge>,
    page_info: PageInfo,
    /// The listing's filter, for `totalCount`, which is counted only when asked for.
    filter: catalogue::ProductFilter,
}

impl ProductConnection {
    pub fn new(page: Page, filter: catalogue::ProductFilter) -> ProductConnection {
        let edges: Vec<ProductEdge> = page
            .products
            .into_iter()
            .map(|row| ProductEdge {
                cursor: Cursor::of(page.order, &row).encode(),
                node: Product::from(row),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        ProductConnection {
            edges,
            page_info,
            filter,
        }
    }
}

/// One page of products (a Relay cursor connection).
#[Object]
impl ProductConnection {
    /// The products of the page, each with its cursor.
    async fn edges(&self) -> &[ProductEdge] {
        &self.edges
    }

    /// The products of `edges`, without their cursors.
    async fn nodes(&self) -> Vec<&Product> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// Whether more products follow or precede, and the cursors of the page's ends.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many products match the filter, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let db = ctx.data::<DatabaseConnection>()?;
        let count = catalogue::count(db, &self.filter)
            .await
            .map_err(|err| internal("counting products failed", err))?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}
