//! The carts loaded for one request. Every resolution of the same cart in a request (a hundred copies of
//! one representation, say) shares a single DataLoader call, whatever the DataLoader's batching window, so
//! the number of queries per request does not depend on timing. Installed by the `PerRequestCarts`
//! extension, which gives each request an empty `LoadedCarts`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::dataloader::DataLoader;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Request, ServerResult};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::graphql::loader::{CartsById, CartsByUser};
use crate::store::{CartRecord, StoreError};

/// One shared result per key.
struct Memo<V> {
    cells: Mutex<HashMap<Uuid, Arc<OnceCell<V>>>>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Memo<V> {
    /// The value for `key`, computed by `load` by the first caller; concurrent callers wait for it. A
    /// failed load is not remembered.
    async fn get<E, F>(&self, key: Uuid, load: impl FnOnce() -> F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let cell = self
            .cells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        cell.get_or_try_init(load).await.cloned()
    }
}

/// The carts this request has loaded, by owner and by cart id.
#[derive(Default)]
pub struct LoadedCarts {
    by_user: Memo<Option<CartRecord>>,
    by_id: Memo<Option<CartRecord>>,
}

impl LoadedCarts {
    /// The cart of `user` (created when missing), through `loader`.
    pub async fn of_user(
        &self,
        loader: &DataLoader<CartsByUser>,
        user: Uuid,
    ) -> Result<Option<CartRecord>, Arc<StoreError>> {
        self.by_user.get(user, || loader.load_one(user)).await
    }

    /// The cart `id`, if it exists, through `loader`.
    pub async fn by_id(
        &self,
        loader: &DataLoader<CartsById>,
        id: Uuid,
    ) -> Result<Option<CartRecord>, Arc<StoreError>> {
        self.by_id.get(id, || loader.load_one(id)).await
    }
}

/// Gives every request its own empty `LoadedCarts`.
pub struct PerRequestCarts;

impl ExtensionFactory for PerRequestCarts {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequestCarts)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for PerRequestCarts {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(LoadedCarts::default())).await
    }
}
