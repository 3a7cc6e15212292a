//! The message templates, one per notification kind, and rendering them with an event's data. Each kind
//! has a plain-text template (`<kind>.txt`: a `Subject:` line, a blank line, the body) and an HTML
//! alternative (`<kind>.html`), compiled in with `include_str!`. Placeholders are `{{name}}`; values are
//! HTML-escaped in the HTML templates, except the pre-rendered markup blocks (`lines_html`). A template
//! naming a value that is not supplied is an error, so a typo cannot reach a customer silently.

pub mod money;

use shopgraph_events::{
    DomainEvent, Money, OrderCancelled, OrderConfirmed, OrderFailed, OrderLine,
};

use crate::notification::NotificationKind;

use money::format_money;

/// How a user without a known name is greeted.
const ANONYMOUS_GREETING: &str = "there";

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    pub kind: NotificationKind,
    /// One line, without control characters.
    pub subject: String,
    /// Plain-text body, `\n` line ends.
    pub text: String,
    /// HTML alternative of the body.
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template {template} uses `{{{{{name}}}}}`, which is not supplied")]
    UnknownPlaceholder {
        template: &'static str,
        name: String,
    },
    #[error("template {template} has an unclosed `{{{{`")]
    Unclosed { template: &'static str },
    #[error("template {template} does not start with a `Subject:` line and a blank line")]
    MissingSubject { template: &'static str },
}

/// The two templates of a kind.
struct Template {
    name: &'static str,
    text: &'static str,
    html: &'static str,
}

impl NotificationKind {
    fn template(self) -> Template {
        match self {
            NotificationKind::Welcome => Template {
                name: "welcome",
                text: include_str!("welcome.txt"),
                html: include_str!("welcome.html"),
            },
            NotificationKind::OrderConfirmed => Template {
                name: "order_confirmed",
                text: include_str!("order_confirmed.txt"),
                html: include_str!("order_confirmed.html"),
            },
            NotificationKind::OrderFailed => Template {
                name: "order_failed",
                text: include_str!("order_failed.txt"),
                html: include_str!("order_failed.html"),
            },
            NotificationKind::OrderCancelled => Template {
                name: "order_cancelled",
                text: include_str!("order_cancelled.txt"),
                html: include_str!("order_cancelled.html"),
            },
        }
    }
}

/// A value for a placeholder.
enum Value {
    /// Text: escaped in HTML.
    Text(String),
    /// Ready HTML: inserted as it is (only in HTML templates).
    Markup(String),
}

type Vars = Vec<(&'static str, Value)>;

/// The message for `event` to the user called `name` (`None` when the directory does not know them), or
/// `None` when the event causes no notification.
pub fn render(
    event: &DomainEvent,
    name: Option<&str>,
) -> Result<Option<RenderedMessage>, TemplateError> {
    let greeting = name
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .unwrap_or(ANONYMOUS_GREETING)
        .to_owned();
    let (kind, mut vars) = match event {
        DomainEvent::UserRegistered(_) => (NotificationKind::Welcome, Vars::new()),
        DomainEvent::OrderConfirmed(event) => (NotificationKind::OrderConfirmed, confirmed(event)),
        DomainEvent::OrderFailed(event) => (NotificationKind::OrderFailed, failed(event)),
        DomainEvent::OrderCancelled(event) => (NotificationKind::OrderCancelled, cancelled(event)),
        _ => return Ok(None),
    };
    vars.push(("greeting_name", Value::Text(greeting)));
    render_kind(kind, &vars).map(Some)
}

fn render_kind(kind: NotificationKind, vars: &Vars) -> Result<RenderedMessage, TemplateError> {
    let template = kind.template();
    let (subject, body) = template
        .text
        .strip_prefix("Subject:")
        .and_then(|rest| rest.split_once("\n\n"))
        .ok_or(TemplateError::MissingSubject {
            template: template.name,
        })?;
    let subject = fill(template.name, subject.trim(), vars, false)?;
    Ok(RenderedMessage {
        kind,
        subject: one_line(&subject),
        text: fill(template.name, body, vars, false)?,
        html: fill(template.name, template.html, vars, true)?,
    })
}

fn confirmed(event: &OrderConfirmed) -> Vars {
    vec![
        ("order_id", Value::Text(event.order_id.to_string())),
        ("lines", Value::Text(lines_text(&event.lines))),
        ("lines_html", Value::Markup(lines_html(&event.lines))),
        ("total", Value::Text(format_money(&event.total))),
        (
            "payment_reference",
            Value::Text(event.payment_reference.clone()),
        ),
    ]
}

fn failed(event: &OrderFailed) -> Vars {
    vec![
        ("order_id", Value::Text(event.order_id.to_string())),
        ("reason", Value::Text(event.reason.clone())),
    ]
}

fn cancelled(event: &OrderCancelled) -> Vars {
    let total = lines_total(&event.lines);
    let refund_note = match (event.refunded, total) {
        (true, Some(total)) => format!(
            "Your payment of {} has been refunded; depending on your bank it can take a few days to show on your statement.",
            format_money(&total)
        ),
        (true, None) => "Your payment has been refunded; depending on your bank it can take a few days to show on your statement.".to_owned(),
        (false, _) => "No payment had been taken for this order, so there is nothing to refund.".to_owned(),
    };
    vec![
        ("order_id", Value::Text(event.order_id.to_string())),
        ("reason", Value::Text(event.reason.clone())),
        ("lines", Value::Text(lines_text(&event.lines))),
        ("lines_html", Value::Markup(lines_html(&event.lines))),
        ("refund_note", Value::Text(refund_note)),
    ]
}

/// The amount of a line, or `?` when it does not fit in an `i64`.
fn line_amount(line: &OrderLine) -> String {
    money::times(&line.unit_price, line.quantity)
        .map_or_else(|| "?".to_owned(), |m| format_money(&m))
}

/// The sum of the lines' amounts, when they share one currency.
fn lines_total(lines: &[OrderLine]) -> Option<Money> {
    let amounts: Option<Vec<Money>> = lines
        .iter()
        .map(|line| money::times(&line.unit_price, line.quantity))
        .collect();
    money::sum(amounts?.iter())
}

/// `  2 × Mug at $12.50 = $25.00`, one line per order line.
fn lines_text(lines: &[OrderLine]) -> String {
    lines
        .iter()
        .map(|line| {
            format!(
                "  {} × {} at {} = {}",
                line.quantity,
                one_line(&line.name),
                format_money(&line.unit_price),
                line_amount(line)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One table row per order line.
fn lines_html(lines: &[OrderLine]) -> String {
    lines
        .iter()
        .map(|line| {
            format!(
                "<tr><td>{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
                escape_html(&line.name),
                line.quantity,
                escape_html(&format_money(&line.unit_price)),
                escape_html(&line_amount(line))
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with every `{{name}}` replaced by its value.
fn fill(
    template: &'static str,
    text: &str,
    vars: &Vars,
    html: bool,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or(TemplateError::Unclosed { template })?;
        let name = after[..end].trim();
        let value = vars
            .iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value)
            .ok_or_else(|| TemplateError::UnknownPlaceholder {
                template,
                name: name.to_owned(),
            })?;
        match value {
            Value::Text(text) if html => out.push_str(&escape_html(text)),
            Value::Text(text) | Value::Markup(text) => out.push_str(text),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` with `& < > " '` escaped for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` on one line: control characters (line breaks included) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopgraph_events::UserRegistered;
    use uuid::Uuid;

    fn line(name: &str, quantity: i32, amount: i64) -> OrderLine {
        OrderLine {
            product_id: Uuid::now_v7(),
            name: name.to_owned(),
            quantity,
            unit_price: Money::new(amount, "USD"),
        }
    }

    #[test]
    fn every_template_renders_without_leftover_placeholders() {
        let order_id = Uuid::now_v7();
        let lines = vec![line("Mug <large>", 2, 1250), line("Tea", 1, 499)];
        let events = [
            DomainEvent::from(UserRegistered {
                user_id: Uuid::now_v7(),
                email: "ada@example.com".into(),
                name: "Ada".into(),
            }),
            DomainEvent::from(OrderConfirmed {
                order_id,
                user_id: Uuid::now_v7(),
                lines: lines.clone(),
                total: Money::new(2999, "USD"),
                payment_reference: "pay_123".into(),
            }),
            DomainEvent::from(OrderFailed {
                order_id,
                user_id: Uuid::now_v7(),
                reason: "payment declined".into(),
            }),
            DomainEvent::from(OrderCancelled {
                order_id,
                user_id: Uuid::now_v7(),
                reason: "changed my mind".into(),
                lines,
                refunded: true,
            }),
        ];
        let mut kinds = Vec::new();
        for event in &events {
            let message = render(event, Some("Ada")).unwrap().unwrap();
            for part in [&message.subject, &message.text, &message.html] {
                assert!(!part.contains("{{") && !part.contains("}}"), "{part}");
            }
            assert!(message.text.starts_with("Hi Ada,"), "{}", message.text);
            assert!(message.html.contains("<p>Hi Ada,</p>"), "{}", message.html);
            kinds.push(message.kind);
        }
        assert_eq!(kinds, NotificationKind::ALL);
    }

    #[test]
    fn order_data_is_formatted_and_escaped_in_html() {
        let event = DomainEvent::from(OrderCancelled {
            order_id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            reason: "<script>".into(),
            lines: vec![line("Mug <large>", 2, 1250), line("Tea", 1, 499)],
            refunded: true,
        });
        let message = render(&event, None).unwrap().unwrap();
        assert!(message.text.starts_with("Hi there,"));
        assert!(
            message
                .text
                .contains("  2 × Mug <large> at $12.50 = $25.00\n  1 × Tea at $4.99 = $4.99")
        );
        assert!(
            message
                .text
                .contains("Your payment of $29.99 has been refunded")
        );
        assert!(message.html.contains("<td>Mug &lt;large&gt;</td>"));
        assert!(message.html.contains("Reason: &lt;script&gt;"));
        assert!(!message.html.contains("<script>"));
    }

    #[test]
    fn names_cannot_break_the_subject_line() {
        let event = DomainEvent::from(UserRegistered {
            user_id: Uuid::now_v7(),
            email: "x@example.com".into(),
            name: "Eve\r\nBcc: victim@example.com".into(),
        });
        let message = render(&event, Some("Eve\r\nBcc: victim@example.com"))
            .unwrap()
            .unwrap();
        assert_eq!(
            message.subject,
            "Welcome to shopgraph, Eve  Bcc: victim@example.com!"
        );
    }

    #[test]
    fn unknown_placeholders_are_errors() {
        let vars: Vars = vec![("a", Value::Text("1".into()))];
        assert_eq!(fill("t", "{{a}}-{{ a }}", &vars, false).unwrap(), "1-1");
        assert_eq!(
            fill("t", "{{b}}", &vars, false).unwrap_err(),
            TemplateError::UnknownPlaceholder {
                template: "t",
                name: "b".into()
            }
        );
        assert_eq!(
            fill("t", "{{a", &vars, false).unwrap_err(),
            TemplateError::Unclosed { template: "t" }
        );
    }
}
