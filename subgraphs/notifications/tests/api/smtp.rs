//! The SMTP transport against a fake SMTP server: the conversation and the exact message, the `HELO`
//! fallback, refusals (5xx for good, 4xx retried), an unreachable server, and the whole path from an
//! event to a message on the server when `SMTP_URL` is configured.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use shopgraph_events::{InProcessBus, SharedTransport, UserRegistered};
use shopgraph_notifications::MailConfig;
use shopgraph_notifications::mail::{
    EmailMessage, Mailbox, SendError, Sender, SmtpSender, SmtpServer,
};
use uuid::Uuid;

use crate::support::*;

fn message() -> EmailMessage {
    EmailMessage {
        id: Uuid::now_v7(),
        from: Mailbox::parse(FROM).unwrap(),
        to: Mailbox::new(Some("Ada"), "ada@example.com").unwrap(),
        subject: "Dots and lines".into(),
        date: Utc::now(),
        text: "Hi Ada,\n.\n..two dots\n.one dot\nend".into(),
        html: Some("<p>.html</p>".into()),
    }
}

fn sender(fake: &FakeSmtp) -> SmtpSender {
    SmtpSender::new(SmtpServer::from_url(&fake.url()).unwrap(), "shopgraph.test")
        .with_timeout(Duration::from_secs(5))
}

async fn wait_for_sessions(fake: &FakeSmtp, count: usize) -> Vec<SmtpSession> {
    eventually(&format!("{count} SMTP sessions"), || async {
        let sessions = fake.sessions();
        (sessions.len() >= count).then_some(sessions)
    })
    .await
}

#[tokio::test]
async fn smtp_delivers_the_exact_message_with_dot_stuffing() {
    let fake = FakeSmtp::start(SmtpBehaviour::Accept).await;
    let message = message();
    sender(&fake).send(&message).await.unwrap();

    let sessions = wait_for_sessions(&fake, 1).await;
    let session = &sessions[0];
    assert_eq!(
        session.commands,
        [
            "EHLO shopgraph.test",
            "MAIL FROM:<no-reply@shopgraph.test>",
            "RCPT TO:<ada@example.com>",
            "DATA",
            "QUIT"
        ]
    );
    let data = session.data.as_deref().unwrap();
    assert_eq!(
        data,
        message.to_rfc5322(),
        "the server got the message unchanged"
    );
    let parsed = ParsedEmail::parse(data);
    assert_eq!(parsed.text, "Hi Ada,\n.\n..two dots\n.one dot\nend\n");
    assert_eq!(parsed.html.as_deref(), Some("<p>.html</p>\n"));
}

#[tokio::test]
async fn smtp_falls_back_to_helo_for_servers_without_esmtp() {
    let fake = FakeSmtp::start(SmtpBehaviour::HeloOnly).await;
    sender(&fake).send(&message()).await.unwrap();
    let sessions = wait_for_sessions(&fake, 1).await;
    assert_eq!(
        sessions[0].commands[..2],
        ["EHLO shopgraph.test", "HELO shopgraph.test"]
    );
    assert!(sessions[0].data.is_some());
}

#[tokio::test]
async fn smtp_refusals_and_unreachable_servers_are_errors_of_the_right_kind() {
    let fake = FakeSmtp::start(SmtpBehaviour::RejectRecipient(550)).await;
    let err = sender(&fake).send(&message()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            SendError::Rejected {
                stage: "RCPT TO",
                code: 550,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_permanent());
    assert_eq!(
        err.to_string(),
        "SMTP RCPT TO: the server answered 550 5.1.1 no such mailbox"
    );

    let fake = FakeSmtp::start(SmtpBehaviour::RejectRecipient(451)).await;
    let err = sender(&fake).send(&message()).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = SmtpSender::new(
        SmtpServer::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap(),
        "shopgraph.test",
    );
    let err = unreachable.send(&message()).await.unwrap_err();
    assert!(matches!(err, SendError::Connect { .. }), "{err:?}");
    assert!(!err.is_permanent());

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let _connection = silent.accept().await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let err = SmtpSender::new(
        SmtpServer::from_url(&format!("smtp://127.0.0.1:{silent_port}")).unwrap(),
        "shopgraph.test",
    )
    .with_timeout(Duration::from_millis(200))
    .send(&message())
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            SendError::Timeout {
                stage: "greeting",
                ..
            }
        ),
        "{err:?}"
    );
    hold.abort();
}

/// The background work with the transport `SMTP_URL` configures.
fn start_with_smtp(
    app: &TestApp,
    bus: &SharedTransport,
    fake: &FakeSmtp,
    attempts: u32,
) -> Running {
    let url = fake.url();
    let mail = MailConfig::from_vars(|name| match name {
        "SMTP_URL" => Some(url.clone()),
        "MAIL_FROM" => Some(FROM.to_owned()),
        _ => None,
    })
    .unwrap();
    app.start(
        Some(bus.clone()),
        mail.sender(),
        quick_consumer(3),
        quick_dispatch(attempts),
    )
}

#[tokio::test]
async fn with_smtp_configured_a_registration_reaches_the_smtp_server() {
    let app = spawn_app().await;
    let fake = FakeSmtp::start(SmtpBehaviour::Accept).await;
    let bus: SharedTransport = Arc::new(InProcessBus::new());
    let _running = start_with_smtp(&app, &bus, &fake, 3);
    let user = Uuid::now_v7();
    publish(
        &bus,
        "users",
        UserRegistered {
            user_id: user,
            email: "smtp.user@example.com".into(),
            name: "Zoë Ünal".into(),
        },
    )
    .await;

    let rows = app.wait_for_notifications(user, 1, "SENT").await;
    let sessions = wait_for_sessions(&fake, 1).await;
    assert_eq!(sessions[0].commands[2], "RCPT TO:<smtp.user@example.com>");
    let email = ParsedEmail::parse(sessions[0].data.as_deref().unwrap());
    assert_eq!(email.header("Subject"), "Welcome to shopgraph, Zoë Ünal!");
    assert_eq!(email.header("To"), "Zoë Ünal <smtp.user@example.com>");
    assert_eq!(
        email.header("Message-ID"),
        format!("<{}@shopgraph.test>", rows[0].id)
    );
    assert!(email.text.starts_with("Hi Zoë Ünal,"));
    assert!(
        app.mail_files().is_empty(),
        "no files when SMTP is configured"
    );
}

#[tokio::test]
async fn smtp_refusals_end_failed_at_once_for_5xx_and_after_the_attempts_for_4xx() {
    let app = spawn_app().await;
    let bus: SharedTransport = Arc::new(InProcessBus::new());

    let permanent = FakeSmtp::start(SmtpBehaviour::RejectRecipient(550)).await;
    let running = start_with_smtp(&app, &bus, &permanent, 3);
    let user = Uuid::now_v7();
    publish(
        &bus,
        "users",
        UserRegistered {
            user_id: user,
            email: "nobody@example.com".into(),
            name: "Nobody".into(),
        },
    )
    .await;
    let rows = app.wait_for_notifications(user, 1, "FAILED").await;
    assert_eq!(rows[0].attempts, 1);
    assert!(
        rows[0].error.as_deref().unwrap().contains("550"),
        "{:?}",
        rows[0]
    );
    running.stop().await;

    let transient = FakeSmtp::start(SmtpBehaviour::RejectRecipient(451)).await;
    let _running = start_with_smtp(&app, &bus, &transient, 3);
    let other = Uuid::now_v7();
    publish(
        &bus,
        "users",
        UserRegistered {
            user_id: other,
            email: "busy@example.com".into(),
            name: "Busy".into(),
        },
    )
    .await;
    let rows = app.wait_for_notifications(other, 1, "FAILED").await;
    assert_eq!(rows[0].attempts, 3);
    assert!(rows[0].error.as_deref().unwrap().contains("451"));
    assert_eq!(wait_for_sessions(&transient, 3).await.len(), 3);
}
