//! `docs/ci/github-actions.yml` is the pipeline users copy: it must parse,
//! and every `cargo run -- <command line>` it runs must be one the program
//! accepts (parsed by the program's own clap command, shell variables
//! replaced by sample values).

mod common;

use infrasynth::app::{App, StackDefinition};
use infrasynth::platform::Platform;
use serde_json::Value as Json;

fn runs(value: &Json, found: &mut Vec<String>) {
    match value {
        Json::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("run", Json::String(script)) => found.push(script.clone()),
                    _ => runs(item, found),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| runs(i, found)),
        _ => {}
    }
}

/// A shell word with its variables replaced by sample values.
fn sample(word: &str) -> String {
    let word = word.trim_matches('"');
    match word {
        "$CLOUD" => "aws".to_string(),
        "$env" => "production".to_string(),
        w if w.contains('$') => "sample".to_string(),
        w => w.to_string(),
    }
}

#[test]
fn every_command_the_pipeline_runs_exists_and_parses() {
    let text = std::fs::read_to_string(common::root().join("docs/ci/github-actions.yml")).unwrap();
    let workflow: Json = serde_saphyr::from_str(&text).expect("the workflow is YAML");
    assert!(workflow["jobs"]["apply"]["environment"]
        .as_str()
        .unwrap()
        .contains("production"));
    let mut scripts = Vec::new();
    runs(&workflow, &mut scripts);
    let app =
        App::new("infrasynth").stack(StackDefinition::new("mlops", |env| Platform::new("x", env)));
    let mut checked = Vec::new();
    for script in &scripts {
        for line in script.lines() {
            // GitHub expressions are replaced before the shell sees the line.
            let line = line.replace("${{ matrix.env }}", "production");
            let Some((_, rest)) = line.split_once("cargo run --release -- ") else {
                continue;
            };
            // Stop at a redirection or the end of a subshell.
            let words: Vec<String> = rest
                .split_whitespace()
                .take_while(|w| !w.starts_with('>') && !w.starts_with(')'))
                .map(|w| sample(w.trim_end_matches(')')))
                .collect();
            let mut argv = vec!["infrasynth".to_string()];
            argv.extend(words.iter().cloned());
            if let Err(error) = app.command().try_get_matches_from(&argv) {
                panic!(
                    "the pipeline runs `{}`, which the program refuses:\n{error}",
                    words.join(" ")
                );
            }
            checked.push(words[0].clone());
        }
    }
    checked.sort();
    checked.dedup();
    assert_eq!(checked, ["apply", "diff", "plan", "synth", "validate"]);
}
