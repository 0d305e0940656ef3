//! `synth --all`: every stack x cloud x environment, in parallel on the
//! available cores, one summary table (or one JSON array).

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::app::{
    synth_to_dir_with, App, StackDefinition, SynthFailure, SynthOptions, SynthReport,
};
use crate::core::environment::{Cloud, Environment};

type Outcome = Result<SynthReport, SynthFailure>;

impl App {
    pub(super) fn synth_all(
        &self,
        out: &Path,
        options: SynthOptions,
        json: bool,
    ) -> io::Result<ExitCode> {
        let mut jobs: Vec<(&StackDefinition, Cloud, Environment)> = Vec::new();
        for stack in self.stacks() {
            for &cloud in &Cloud::ALL {
                for &env in self.declared_environments() {
                    jobs.push((stack, cloud, env));
                }
            }
        }
        let started = Instant::now();
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(jobs.len().max(1));
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Outcome>>> =
            Mutex::new((0..jobs.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(stack, cloud, env)) = jobs.get(i) else {
                        break;
                    };
                    let outcome = synth_to_dir_with(stack, cloud, env, out, &options);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(outcome);
                    }
                });
            }
        });
        let elapsed = started.elapsed();
        let results: Vec<Outcome> = results
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .into_iter()
            .zip(&jobs)
            .map(|(slot, (stack, cloud, env))| {
                slot.unwrap_or_else(|| {
                    Err(SynthFailure::Io {
                        dir: crate::app::output_dir(out, stack.name(), *cloud, *env),
                        error: io::Error::other("the worker stopped before writing"),
                    })
                })
            })
            .collect();
        let failed = results.iter().filter(|r| r.is_err()).count();
        let mut stdout = io::stdout().lock();
        if json {
            let items: Vec<serde_json::Value> = results
                .iter()
                .zip(&jobs)
                .map(|(result, (stack, cloud, env))| match result {
                    Ok(report) => {
                        let mut item = super::json::report(report);
                        item["ok"] = true.into();
                        item
                    }
                    Err(failure) => serde_json::json!({
                        "label": format!("{}/{cloud}/{env}", stack.name()),
                        "ok": false,
                        "error": failure.to_string(),
                    }),
                })
                .collect();
            let summary = serde_json::json!({
                "synths": items,
                "failed": failed,
                "workers": workers,
                "elapsed_ms": (elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
            });
            writeln!(stdout, "{summary:#}")?;
        } else {
            for (result, (stack, cloud, env)) in results.iter().zip(&jobs) {
                if let Err(failure) = result {
                    eprintln!("{failure}\n(in {}/{cloud}/{env})", stack.name());
                } else if let Ok(report) = result {
                    for warning in report.warnings.iter() {
                        eprintln!("{warning}");
                    }
                }
            }
            writeln!(
                stdout,
                "{:<36} {:>9} {:>6} {:>6} {:>10} {:>9}  status",
                "stack/cloud/env", "resources", "data", "files", "bytes", "ms"
            )?;
            for (result, (stack, cloud, env)) in results.iter().zip(&jobs) {
                match result {
                    Ok(r) => writeln!(
                        stdout,
                        "{:<36} {:>9} {:>6} {:>6} {:>10} {:>9.1}  ok{}",
                        r.label,
                        r.counts.resources,
                        r.counts.data_sources,
                        r.files,
                        r.bytes,
                        r.elapsed.as_secs_f64() * 1000.0,
                        match r.warnings.iter().count() {
                            0 => String::new(),
                            n => format!(" ({n} warning(s))"),
                        }
                    )?,
                    Err(_) => writeln!(
                        stdout,
                        "{:<36} {:>9} {:>6} {:>6} {:>10} {:>9}  FAILED (see above)",
                        format!("{}/{cloud}/{env}", stack.name()),
                        "-",
                        "-",
                        "-",
                        "-",
                        "-"
                    )?,
                }
            }
            writeln!(
                stdout,
                "{} synths ({} failed) on {workers} threads in {:.1} ms",
                jobs.len(),
                failed,
                elapsed.as_secs_f64() * 1000.0
            )?;
        }
        stdout.flush()?;
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
