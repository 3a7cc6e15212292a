//! Password hashing with argon2id (the crate's default parameters), run on the blocking thread pool so
//! the async workers stay free, plus the decoy verification used when a login names an unknown email.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Hash of a random password nobody knows, made with the default argon2id parameters. Verifying against it
/// costs the same as verifying against a real user's hash, so a login with an unknown email takes as long
/// as one with a wrong password.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$vRMmz0d8Dij0pJfka0zfaQ$/0cYY8g0HfuHj8nWiMZWDdEc8SsSTRJ6K4dqrzwa26A";

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(argon2::password_hash::phc::Error),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The PHC string of an argon2id hash of `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(PasswordError::Hash)
    })
    .await?
}

/// Whether `password` matches the PHC string `stored`.
pub async fn verify(password: String, stored: String) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &stored)).await?
}

/// Does the work of `verify` against a hash no password matches, and returns nothing: for logins with an
/// unknown email.
pub async fn verify_decoy(password: String) -> Result<(), PasswordError> {
    verify(password, DECOY_HASH.to_owned()).await.map(|_| ())
}

fn verify_blocking(password: &str, stored: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(stored).map_err(PasswordError::MalformedHash)?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(PasswordError::Hash(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify() {
        let first = hash("correct horse".to_owned()).await.unwrap();
        let second = hash("correct horse".to_owned()).await.unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(
            verify("correct horse".to_owned(), first.clone())
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".to_owned(), first).await.unwrap());
        assert!(matches!(
            verify("x".to_owned(), "not a hash".to_owned()).await,
            Err(PasswordError::MalformedHash(_))
        ));
    }

    #[test]
    fn decoy_costs_what_a_real_hash_costs() {
        let decoy = PasswordHash::new(DECOY_HASH).unwrap();
        let params = argon2::Params::try_from(&decoy).unwrap();
        let defaults = argon2::Params::default();
        assert_eq!(decoy.algorithm.as_str(), "argon2id");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (defaults.m_cost(), defaults.t_cost(), defaults.p_cost())
        );
    }

    #[tokio::test]
    async fn decoy_verification_does_the_work_and_fails() {
        verify_decoy("anything".to_owned()).await.unwrap();
        assert!(
            !verify("anything".to_owned(), DECOY_HASH.to_owned())
                .await
                .unwrap()
        );
    }
}
