//! Checking a proposed API schema against the committed one (`schema check`): every change is
//! classified breaking, dangerous or safe (`diff`); with recorded client operations
//! (`operations`), a breaking change no recorded operation uses is only "safe for now", and the
//! operations a change breaks are named; breaking changes can be accepted by id. The report
//! renders as text for people or as JSON for tools.

mod api_schema;
mod diff;
mod operations;

use std::fmt::Write as _;
use std::path::PathBuf;

use apollo_compiler::Schema;
use apollo_compiler::validation::Valid;
use serde::Serialize;

pub use api_schema::{api_schema, derive_api_schema};
pub use diff::{Change, ChangeCode, Severity, diff};
pub use operations::{OperationFile, read_operations};

/// What the check concluded about one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Breaking, and not accepted: the check fails.
    Breaking,
    /// Breaking, but listed with `--accept`.
    Accepted,
    /// Breaking, but none of the recorded operations uses what changed.
    SafeForNow,
    Dangerous,
    Safe,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaking => "breaking",
            Self::Accepted => "accepted",
            Self::SafeForNow => "safe-for-now",
            Self::Dangerous => "dangerous",
            Self::Safe => "safe",
        }
    }
}

/// A recorded operation: its name and file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRef {
    pub name: String,
    pub file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckedChange {
    pub id: String,
    pub code: ChangeCode,
    pub coordinate: String,
    pub severity: Severity,
    pub status: Status,
    pub message: String,
    /// Recorded operations using what changed (for breaking changes).
    pub operations: Vec<OperationRef>,
}

/// A recorded operation that no longer validates against the proposed API schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenOperation {
    pub name: String,
    pub file: PathBuf,
    pub errors: Vec<String>,
    /// Ids of the changes it uses that explain it.
    pub changes: Vec<String>,
    /// Whether one of those changes is accepted.
    pub accepted: bool,
}

/// A file of recorded operations that does not validate against the committed schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidOperationFile {
    pub file: PathBuf,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationsReport {
    pub checked: usize,
    pub broken: Vec<BrokenOperation>,
    pub invalid_before: Vec<InvalidOperationFile>,
}

/// The outcome of comparing two API schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub changes: Vec<CheckedChange>,
    /// `None` when no recorded operations were given.
    pub operations: Option<OperationsReport>,
    /// `--accept` ids that match no change.
    pub unknown_accepted: Vec<String>,
}

impl CheckReport {
    /// Whether something breaks that was not accepted: a breaking change, or a recorded
    /// operation that no longer validates without an accepted change explaining it.
    pub fn fails(&self) -> bool {
        self.changes.iter().any(|c| c.status == Status::Breaking)
            || self
                .operations
                .as_ref()
                .is_some_and(|o| o.broken.iter().any(|b| !b.accepted))
    }

    /// 0 when nothing breaks, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.fails())
    }

    pub fn count(&self, status: Status) -> usize {
        self.changes.iter().filter(|c| c.status == status).count()
    }
}

/// Compares the committed API schema (`old`) with the proposed one (`new`). `operations` are
/// the recorded client operations, if any; `accepted` the ids of breaking changes to accept.
/// Fails only when an operation file does not parse.
pub fn check_schemas(
    old: &Valid<Schema>,
    new: &Valid<Schema>,
    operations: Option<&[OperationFile]>,
    accepted: &[String],
) -> Result<CheckReport, String> {
    let recorded = operations
        .map(|files| operations::analyse(files, old, new))
        .transpose()?;
    let mut changes = Vec::new();
    for change in diff(old, new) {
        let id = change.id();
        let using: Vec<OperationRef> = match (&recorded, change.severity) {
            (Some(recorded), Severity::Breaking) => recorded
                .operations
                .iter()
                .filter(|operation| operation.uses(&change))
                .map(|operation| OperationRef {
                    name: operation.name.clone(),
                    file: operation.file.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let status = match change.severity {
            Severity::Breaking if accepted.contains(&id) => Status::Accepted,
            Severity::Breaking if recorded.is_some() && using.is_empty() => Status::SafeForNow,
            Severity::Breaking => Status::Breaking,
            Severity::Dangerous => Status::Dangerous,
            Severity::Safe => Status::Safe,
        };
        changes.push(CheckedChange {
            id,
            code: change.code,
            coordinate: change.coordinate,
            severity: change.severity,
            status,
            message: change.message,
            operations: using,
        });
    }
    let operations = recorded.map(|recorded| {
        let broken = recorded
            .broken
            .into_iter()
            .map(|(name, file, errors)| {
                let explaining: Vec<&CheckedChange> = changes
                    .iter()
                    .filter(|c| {
                        c.operations
                            .iter()
                            .any(|o| o.name == name && o.file == file)
                    })
                    .collect();
                BrokenOperation {
                    accepted: explaining.iter().any(|c| c.status == Status::Accepted),
                    changes: explaining.iter().map(|c| c.id.clone()).collect(),
                    name,
                    file,
                    errors,
                }
            })
            .collect();
        OperationsReport {
            checked: recorded.operations.len(),
            broken,
            invalid_before: recorded
                .invalid_before
                .into_iter()
                .map(|(file, errors)| InvalidOperationFile { file, errors })
                .collect(),
        }
    });
    let unknown_accepted = accepted
        .iter()
        .filter(|id| !changes.iter().any(|c| &c.id == *id))
        .cloned()
        .collect();
    Ok(CheckReport {
        changes,
        operations,
        unknown_accepted,
    })
}

/// The report as text for people.
pub fn render_human(report: &CheckReport) -> String {
    let mut text = String::new();
    if report.changes.is_empty() {
        text.push_str("No changes to the API schema.\n");
    }
    let groups = [
        (Status::Breaking, "Breaking changes"),
        (
            Status::SafeForNow,
            "Breaking changes no recorded operation uses (safe for now)",
        ),
        (Status::Accepted, "Accepted breaking changes"),
        (Status::Dangerous, "Dangerous changes"),
        (Status::Safe, "Safe changes"),
    ];
    for (status, title) in groups {
        let changes: Vec<&CheckedChange> = report
            .changes
            .iter()
            .filter(|c| c.status == status)
            .collect();
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(text, "{title} ({}):", changes.len());
        for change in changes {
            let _ = writeln!(text, "  {}  {}", change.id, change.message);
            for operation in &change.operations {
                let verb = if status == Status::Breaking {
                    "breaks"
                } else {
                    "used by"
                };
                let _ = writeln!(
                    text,
                    "      {verb} operation {} ({})",
                    operation.name,
                    operation.file.display()
                );
            }
        }
        text.push('\n');
    }
    if let Some(operations) = &report.operations {
        for file in &operations.invalid_before {
            let _ = writeln!(
                text,
                "warning: {} does not validate against the committed API schema either:",
                file.file.display()
            );
            for error in &file.errors {
                let _ = writeln!(text, "  {error}");
            }
        }
        for broken in &operations.broken {
            let because = if broken.changes.is_empty() {
                String::new()
            } else {
                format!(" (because of {})", broken.changes.join(", "))
            };
            let _ = writeln!(
                text,
                "Operation {} ({}) no longer validates{because}{}:",
                broken.name,
                broken.file.display(),
                if broken.accepted { ", accepted" } else { "" }
            );
            for error in &broken.errors {
                let _ = writeln!(text, "  {error}");
            }
        }
        let _ = writeln!(
            text,
            "Recorded operations: {} checked, {} no longer valid.",
            operations.checked,
            operations.broken.len()
        );
    }
    for id in &report.unknown_accepted {
        let _ = writeln!(text, "warning: --accept {id} matches no change");
    }
    let _ = writeln!(
        text,
        "Result: {} ({} breaking, {} safe for now, {} accepted, {} dangerous, {} safe)",
        if report.fails() { "FAIL" } else { "PASS" },
        report.count(Status::Breaking),
        report.count(Status::SafeForNow),
        report.count(Status::Accepted),
        report.count(Status::Dangerous),
        report.count(Status::Safe),
    );
    text
}

/// The report as a JSON document: `result` (`pass` or `fail`), `changes`, `operations` (or
/// null), `unknownAccepted`.
pub fn render_json(report: &CheckReport) -> String {
    let value = serde_json::json!({
        "result": if report.fails() { "fail" } else { "pass" },
        "changes": report.changes,
        "operations": report.operations.as_ref().map(|o| serde_json::json!({
            "checked": o.checked,
            "broken": o.broken,
            "invalidBefore": o.invalid_before,
        })),
        "unknownAccepted": report.unknown_accepted,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}
