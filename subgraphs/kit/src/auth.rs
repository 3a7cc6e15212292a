//! Who is calling: JWT issuing and verification (HS256, shared secret), the `Viewer` each request carries
//! in its GraphQL context, and the checks resolvers use (`require_user`, `require_admin`).

use async_graphql::Context;
use axum::http::{HeaderMap, header::AUTHORIZATION};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::JwtConfig;
use crate::error::ErrorCode;

const ISSUER: &str = "shopgraph";

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "CUSTOMER",
            Role::Admin => "ADMIN",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "CUSTOMER" => Some(Role::Customer),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The claims of a shopgraph token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    pub role: Role,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    pub iss: String,
}

impl Claims {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot sign token: {0}")]
    Sign(jsonwebtoken::errors::Error),
}

/// Signing and verification keys derived from the configured secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(config: &JwtConfig) -> JwtKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(config.secret.as_bytes()),
            decoding: DecodingKey::from_secret(config.secret.as_bytes()),
            validation,
            ttl_seconds: i64::try_from(config.ttl_seconds).unwrap_or(i64::MAX / 2),
        }
    }

    /// A signed token for `user` with `role`, valid for the configured lifetime.
    pub fn issue(&self, user: Uuid, role: Role) -> Result<String, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            role,
            iat: now,
            exp: now.saturating_add(self.ttl_seconds),
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AuthError::Sign)
    }

    /// The claims of a valid token, or why it is not valid.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token has expired".to_owned(),
                _ => format!("invalid token: {e}"),
            })
    }
}

/// The caller of one request, put into the GraphQL context by the HTTP layer.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// No `Authorization` header.
    Anonymous,
    /// A valid bearer token.
    User(Claims),
    /// A token was sent but is not valid; operations that need a user fail with this reason.
    Invalid(String),
}

impl Viewer {
    /// Reads `Authorization: Bearer <token>`.
    pub fn from_headers(headers: &HeaderMap, keys: &JwtKeys) -> Viewer {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Viewer::Anonymous;
        };
        let Ok(value) = value.to_str() else {
            return Viewer::Invalid("Authorization header is not valid text".to_owned());
        };
        let value = value.trim();
        if value.is_empty() {
            return Viewer::Anonymous;
        }
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Viewer::Invalid("Authorization header must be `Bearer <token>`".to_owned());
        };
        match keys.verify(token.trim()) {
            Ok(claims) => Viewer::User(claims),
            Err(reason) => Viewer::Invalid(reason),
        }
    }

    /// The signed-in user, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> async_graphql::Result<&Claims> {
        match self {
            Viewer::User(claims) => Ok(claims),
            Viewer::Anonymous => Err(ErrorCode::Unauthenticated.error("you must be signed in")),
            Viewer::Invalid(reason) => Err(ErrorCode::Unauthenticated.error(reason.clone())),
        }
    }

    /// A signed-in administrator: `UNAUTHENTICATED` without a user, `FORBIDDEN` for other roles.
    pub fn require_admin(&self) -> async_graphql::Result<&Claims> {
        let claims = self.require_user()?;
        if claims.is_admin() {
            Ok(claims)
        } else {
            Err(ErrorCode::Forbidden.error("only administrators may do this"))
        }
    }
}

/// The request's raw `Authorization` header value, put into the GraphQL request data next to the
/// `Viewer` when the header is present, for a subgraph that calls another service on the caller's behalf
/// (orders asks carts for the caller's cart with it). Absent when the request had no such header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerAuthorization(pub String);

/// The caller's W3C `traceparent` header, when it sent one: the trace context that events produced
/// while serving the request carry on.
#[derive(Debug, Clone)]
pub struct TraceParent(pub String);

static ANONYMOUS: Viewer = Viewer::Anonymous;

/// Access to the request's `Viewer` from a resolver.
pub trait ViewerExt {
    fn viewer(&self) -> &Viewer;
}

impl ViewerExt for Context<'_> {
    fn viewer(&self) -> &Viewer {
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn keys(secret: &str, ttl: u64) -> JwtKeys {
        JwtKeys::new(&JwtConfig {
            secret: secret.to_owned(),
            ttl_seconds: ttl,
        })
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn issued_token_round_trips() {
        let keys = keys("a", 60);
        let user = Uuid::new_v4();
        let token = keys.issue(user, Role::Admin).unwrap();
        let Viewer::User(claims) =
            Viewer::from_headers(&headers(&format!("Bearer {token}")), &keys)
        else {
            panic!("token not accepted")
        };
        assert_eq!(claims.sub, user);
        assert!(claims.is_admin());
    }

    #[test]
    fn foreign_expired_and_malformed_tokens_are_rejected() {
        let token = keys("other", 60)
            .issue(Uuid::new_v4(), Role::Customer)
            .unwrap();
        let ours = keys("a", 60);
        assert!(matches!(
            Viewer::from_headers(&headers(&format!("Bearer {token}")), &ours),
            Viewer::Invalid(_)
        ));
        let expired = keys("a", 0);
        let mut claims = ours
            .verify(&ours.issue(Uuid::new_v4(), Role::Customer).unwrap())
            .unwrap();
        claims.exp -= 3600;
        let old = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &expired.encoding)
            .unwrap();
        assert_eq!(ours.verify(&old).unwrap_err(), "token has expired");
        assert!(matches!(
            Viewer::from_headers(&headers("Basic abc"), &ours),
            Viewer::Invalid(_)
        ));
        assert!(matches!(
            Viewer::from_headers(&HeaderMap::new(), &ours),
            Viewer::Anonymous
        ));
        let err = Viewer::Anonymous.require_user().unwrap_err();
        assert_eq!(
            err.extensions.unwrap().get("code").unwrap().to_string(),
            "\"UNAUTHENTICATED\""
        );
    }
}
