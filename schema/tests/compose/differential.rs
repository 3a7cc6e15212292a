//! Differential test against a reference composer, `@theguild/federation-composition` (run by
//! Node from `tests/differential/`). The corpus: every case under `tests/cases/` and the sets
//! of `tests/differential/corpus/*.graphql` (a file holds sets started by `# set: <name>`
//! lines, each holding subgraphs started by `# subgraph: <name>` lines). For each set, both
//! composers compose or both fail with the same error codes; when both compose, the API schemas
//! and the join metadata are equal in canonical form (`canonical`). Differences that are the
//! reference's bugs or deliberate decisions are listed, each with its reason, in
//! `tests/differential/known_differences.toml`; any other difference, and any listed one that
//! no longer happens, fails the test. Every set is also composed (by ours) in the full printed
//! SDL form (`full_sdl`), which must give exactly what the hand-written form gives. The corpus
//! must make ours report every error code.
//!
//! The test runs when `node` and the npm package are there (`npm ci` in `tests/differential/`;
//! `.ci/run` does it) and says why it skips otherwise; with `SHOPGRAPH_DIFFERENTIAL_REQUIRED=1`
//! (set by `.ci/run`) skipping is a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use shopgraph_schema::check::api_schema;
use shopgraph_schema::{ErrorCode, SubgraphInput, compose};

use super::canonical;
use super::full_sdl::full_sdl;
use super::{crate_dir, inputs};

fn differential_dir() -> PathBuf {
    crate_dir().join("tests/differential")
}

struct Set {
    name: String,
    subgraphs: Vec<SubgraphInput>,
}

/// Every case of `tests/cases` and every set of the corpus files.
fn corpus() -> Vec<Set> {
    let mut sets = Vec::new();
    let mut cases: Vec<PathBuf> = fs::read_dir(crate_dir().join("tests/cases"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        sets.push(Set {
            subgraphs: inputs(&name),
            name: format!("case/{name}"),
        });
    }
    let mut files: Vec<PathBuf> = fs::read_dir(differential_dir().join("corpus"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
        .collect();
    files.sort();
    for file in files {
        sets.extend(read_corpus_file(&file));
    }
    sets
}

fn read_corpus_file(path: &Path) -> Vec<Set> {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    let text = fs::read_to_string(path).unwrap();
    let mut sets: Vec<Set> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("# set: ") {
            sets.push(Set {
                name: format!("corpus/{stem}/{}", name.trim()),
                subgraphs: Vec::new(),
            });
        } else if let Some(name) = line.strip_prefix("# subgraph: ") {
            let set = sets.last_mut().unwrap_or_else(|| {
                panic!("{}:{}: subgraph before any set", path.display(), number + 1)
            });
            let name = name.trim();
            set.subgraphs.push(SubgraphInput::new(
                name,
                format!("http://{name}.example/graphql"),
                String::new(),
            ));
        } else if let Some(subgraph) = sets.last_mut().and_then(|s| s.subgraphs.last_mut()) {
            subgraph.sdl.push_str(line);
            subgraph.sdl.push('\n');
        }
    }
    let mut names = BTreeSet::new();
    for set in &sets {
        assert!(!set.subgraphs.is_empty(), "{}: empty set", set.name);
        assert!(names.insert(&set.name), "{}: set named twice", set.name);
    }
    sets
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Composed {
        api: String,
        join: String,
    },
    Failed {
        codes: BTreeSet<String>,
        messages: Vec<String>,
    },
}

fn ours(subgraphs: &[SubgraphInput]) -> Outcome {
    match compose(subgraphs) {
        Ok(supergraph) => {
            let api = api_schema(supergraph.sdl(), "supergraph.graphql")
                .map(|schema| schema.to_string())
                .and_then(|sdl| canonical::api(&sdl))
                .unwrap_or_else(|e| format!("<API schema not derivable: {e}>"));
            let join = canonical::join_metadata(supergraph.sdl())
                .unwrap_or_else(|e| format!("<supergraph does not parse: {e}>"));
            Outcome::Composed { api, join }
        }
        Err(errors) => Outcome::Failed {
            codes: errors.iter().map(|e| e.code.as_str().to_owned()).collect(),
            messages: errors.iter().map(|e| e.message.clone()).collect(),
        },
    }
}

fn reference_outcome(result: &Value) -> Outcome {
    if let Some(errors) = result["errors"].as_array() {
        return Outcome::Failed {
            codes: errors
                .iter()
                .map(|e| e["code"].as_str().unwrap_or("UNKNOWN").to_owned())
                .collect(),
            messages: errors
                .iter()
                .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                .collect(),
        };
    }
    let text = |key: &str| result[key].as_str().unwrap_or_default().to_owned();
    Outcome::Composed {
        api: canonical::api(&text("api")).unwrap_or_else(|e| format!("<does not parse: {e}>")),
        join: canonical::join_metadata(&text("supergraph"))
            .unwrap_or_else(|e| format!("<does not parse: {e}>")),
    }
}

/// Runs the reference composer on every set; `Err` says why it cannot run.
fn reference(sets: &[Set]) -> Result<Vec<Outcome>, String> {
    let package = differential_dir().join("node_modules/@theguild/federation-composition");
    if !package.exists() {
        return Err(format!(
            "{} is missing: run `npm ci` in schema/tests/differential",
            package.display()
        ));
    }
    let input = json!(
        sets.iter()
            .map(|set| json!({
                "name": set.name,
                "subgraphs": set.subgraphs.iter().map(|s| json!({
                    "name": s.name, "url": s.url, "sdl": s.sdl,
                })).collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>()
    );
    let mut child = Command::new("node")
        .arg("compose.mjs")
        .current_dir(differential_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `node`: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let text = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer
        .join()
        .map_err(|_| "writer panicked".to_owned())?
        .map_err(|e| e.to_string())?;
    assert!(
        output.status.success(),
        "the reference composer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), sets.len());
    Ok(results.iter().map(reference_outcome).collect())
}

/// What differs between our outcome and the reference's, if anything.
fn difference(ours: &Outcome, reference: &Outcome) -> Option<String> {
    match (ours, reference) {
        (Outcome::Composed { api, join }, Outcome::Composed { api: r_api, join: r_join }) => {
            if api != r_api {
                Some(format!("API schemas differ:\n{}", line_diff(api, r_api)))
            } else if join != r_join {
                Some(format!("join metadata differs:\n{}", line_diff(join, r_join)))
            } else {
                None
            }
        }
        (Outcome::Failed { codes, messages }, Outcome::Failed { codes: r_codes, messages: r_messages }) => {
            (codes != r_codes).then(|| {
                format!(
                    "error codes differ: ours {codes:?}, reference {r_codes:?}\n  ours: {}\n  reference: {}",
                    messages.join("\n        "),
                    r_messages.join("\n        ")
                )
            })
        }
        (Outcome::Composed { .. }, Outcome::Failed { codes, messages }) => Some(format!(
            "ours composes, the reference fails with {codes:?}:\n  {}",
            messages.join("\n  ")
        )),
        (Outcome::Failed { codes, messages }, Outcome::Composed { .. }) => Some(format!(
            "ours fails with {codes:?}, the reference composes:\n  {}",
            messages.join("\n  ")
        )),
    }
}

/// Lines only in `ours` (`-`) and only in `reference` (`+`).
fn line_diff(ours: &str, reference: &str) -> String {
    let ours_lines: BTreeSet<&str> = ours.lines().collect();
    let reference_lines: BTreeSet<&str> = reference.lines().collect();
    let mut out = Vec::new();
    out.extend(
        ours_lines
            .difference(&reference_lines)
            .map(|l| format!("  - {l}")),
    );
    out.extend(
        reference_lines
            .difference(&ours_lines)
            .map(|l| format!("  + {l}")),
    );
    out.join("\n")
}

/// The listed differences: set name to kind.
fn known_differences() -> BTreeMap<String, String> {
    let path = differential_dir().join("known_differences.toml");
    let text = fs::read_to_string(&path).unwrap();
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut known = BTreeMap::new();
    for entry in table
        .get("difference")
        .and_then(|v| v.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| panic!("{}: an entry lacks `{name}`", path.display()))
                .to_owned()
        };
        let reason = field("reason");
        assert!(
            !reason.trim().is_empty(),
            "{}: empty reason",
            path.display()
        );
        let kind = field("kind");
        assert!(
            ["reference-bug", "deliberate", "ours-missing"].contains(&kind.as_str()),
            "{}: unknown kind {kind:?}",
            path.display()
        );
        assert!(
            known.insert(field("set"), kind).is_none(),
            "{}: a set is listed twice",
            path.display()
        );
    }
    known
}

#[test]
fn differential_against_the_reference_composer() {
    let sets = corpus();
    let required = std::env::var("SHOPGRAPH_DIFFERENTIAL_REQUIRED").is_ok_and(|v| v == "1");

    // Ours, in the hand-written and in the full printed form.
    let our_outcomes: Vec<Outcome> = sets.iter().map(|set| ours(&set.subgraphs)).collect();
    let mut full_form_failures = Vec::new();
    for (set, hand_written) in sets.iter().zip(&our_outcomes) {
        let full: Vec<SubgraphInput> = set
            .subgraphs
            .iter()
            .map(|s| SubgraphInput::new(&s.name, &s.url, full_sdl(&s.sdl)))
            .collect();
        let full_outcome = ours(&full);
        let same = match (hand_written, &full_outcome) {
            (
                Outcome::Failed { codes, .. },
                Outcome::Failed {
                    codes: full_codes, ..
                },
            ) => codes == full_codes,
            (a, b) => a == b,
        };
        if !same {
            full_form_failures.push(format!(
                "{}: the full printed form composes differently: {}",
                set.name,
                difference(hand_written, &full_outcome).unwrap_or_default()
            ));
        }
    }

    let reference_outcomes = match reference(&sets) {
        Ok(outcomes) => outcomes,
        Err(reason) if !required => {
            eprintln!(
                "differential test: the reference composer does not run here ({reason}); only the full printed form was checked"
            );
            assert!(
                full_form_failures.is_empty(),
                "{}",
                full_form_failures.join("\n\n")
            );
            return;
        }
        Err(reason) => panic!("SHOPGRAPH_DIFFERENTIAL_REQUIRED=1 but {reason}"),
    };

    let codes_seen: BTreeSet<&str> = our_outcomes
        .iter()
        .flat_map(|outcome| match outcome {
            Outcome::Failed { codes, .. } => codes.iter().map(String::as_str).collect(),
            Outcome::Composed { .. } => Vec::new(),
        })
        .collect();
    eprintln!(
        "differential test: the corpus makes ours report {} error codes: {codes_seen:?}",
        codes_seen.len()
    );
    let never_reported: Vec<&str> = ErrorCode::ALL
        .iter()
        .map(|code| code.as_str())
        .filter(|code| !codes_seen.contains(code))
        .collect();
    assert!(
        never_reported.is_empty(),
        "no set of the corpus makes ours report {never_reported:?}: add one"
    );
    let known = known_differences();
    let mut agreements = 0;
    let mut listed: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut stale = Vec::new();
    for ((set, ours), reference) in sets.iter().zip(&our_outcomes).zip(&reference_outcomes) {
        match (difference(ours, reference), known.get(&set.name)) {
            (None, None) => agreements += 1,
            (None, Some(_)) => stale.push(set.name.clone()),
            (Some(_), Some(kind)) => *listed.entry(kind.as_str()).or_default() += 1,
            (Some(difference), None) => unexplained.push(format!("{}: {difference}", set.name)),
        }
    }
    let unknown_names: Vec<&String> = known
        .keys()
        .filter(|name| !sets.iter().any(|set| &set.name == *name))
        .collect();
    eprintln!(
        "differential test: {} sets; {agreements} agree; {} listed differences {listed:?}; {} unexplained; {} full-form mismatches",
        sets.len(),
        listed.values().sum::<usize>(),
        unexplained.len(),
        full_form_failures.len()
    );
    let mut problems = unexplained;
    problems.extend(full_form_failures);
    problems.extend(stale.iter().map(|name| {
        format!("{name}: listed in known_differences.toml but both composers now agree; remove it")
    }));
    problems.extend(
        unknown_names
            .iter()
            .map(|name| format!("{name}: listed in known_differences.toml but no such set")),
    );
    assert!(
        problems.is_empty(),
        "{}\n\n{} problems",
        problems.join("\n\n"),
        problems.len()
    );
}
