//! The Query root: only the federation entity resolver for `User`; the subgraph has no query fields of
//! its own. Clients read notifications through `User.notifications` (for example `me { notifications }`
//! via the router).

use async_graphql::{ID, Object};
use uuid::Uuid;

use super::user::User;

pub struct Query;

#[Object]
impl Query {
    /// `{"__typename": "User", "id": …}`: any well-formed id resolves (without a database read);
    /// `notifications` checks who may see them.
    #[graphql(entity)]
    async fn find_user_by_id(&self, #[graphql(key)] id: ID) -> Option<User> {
        Uuid::parse_str(id.as_str()).ok().map(|id| User { id })
    }
}
