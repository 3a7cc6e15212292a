//! A readable rendering of a query plan, for `router plan`, the plan response header and snapshots.

use std::fmt;

use super::{PathStep, QueryPlan};

impl fmt::Display for QueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "QueryPlan {{")?;
        for fetch in &self.fetches {
            write!(f, "  Fetch({}) {}", fetch.id, fetch.service)?;
            if !fetch.depends_on.is_empty() {
                let deps: Vec<String> = fetch.depends_on.iter().map(|d| d.to_string()).collect();
                write!(f, " after [{}]", deps.join(", "))?;
            }
            if let Some(entity) = &fetch.entity {
                let paths: Vec<String> = entity.paths.iter().map(|p| path_text(p)).collect();
                write!(f, " at {}", paths.join(" + "))?;
                for (type_name, input) in &entity.inputs {
                    let mut text = String::new();
                    input.write(&mut text);
                    write!(f, " {{ {type_name}: {text} }}")?;
                }
            }
            writeln!(f)?;
            for line in pretty_operation(&fetch.operation).lines() {
                writeln!(f, "    {line}")?;
            }
        }
        write!(f, "}}")
    }
}

/// A response path as `products.@.reviews` (`@`: every element of a list), `(root)` when empty.
pub(crate) fn path_text(path: &[PathStep]) -> String {
    if path.is_empty() {
        return String::from("(root)");
    }
    path.iter()
        .map(|step| match step {
            PathStep::Key(key) => key.to_string(),
            PathStep::List => String::from("@"),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Re-indents a one-line GraphQL document: a newline after `{`, before `}`, and between fields.
fn pretty_operation(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut parens = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '(' => {
                parens += 1;
                out.push(c);
            }
            ')' => {
                parens = parens.saturating_sub(1);
                out.push(c);
            }
            '{' if parens == 0 => {
                depth += 1;
                out.push('{');
                newline(&mut out, depth);
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            '}' if parens == 0 => {
                depth = depth.saturating_sub(1);
                while out.ends_with(' ') {
                    out.pop();
                }
                newline(&mut out, depth);
                out.push('}');
            }
            ' ' if parens == 0 && depth > 0 => {
                // A space between two selections starts a new line; keep `a: b`, `... on T`, `f {`.
                let previous = out.trim_end_matches(' ').chars().last();
                let next = chars.peek().copied();
                let joins = matches!(previous, Some(':') | Some('.'))
                    || matches!(next, Some('{') | Some(':') | Some('}'))
                    || out.ends_with("... on")
                    || out.ends_with("...");
                if joins {
                    out.push(' ');
                } else {
                    newline(&mut out, depth);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}
