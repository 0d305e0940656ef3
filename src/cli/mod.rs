//! The command line of a user's infrastructure program: `synth`, `diff`,
//! `validate`, `values`, `bootstrap`, `graph`, `plan`/`apply`/`destroy`,
//! `lookup`, `drift`, `list`, `completions`. Behind the `cli` feature (on by default).
//!
//! [`App::run`] parses the process arguments; the program's own name,
//! version and description appear in `--help` and `--version`. Environments
//! are the ones the program declares, stacks the ones it adds.

mod all;
mod diff;
mod drift;
mod json;
mod lookup;
mod terraform;
mod validate;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::app::{
    bootstrap_dir, bootstrap_to_dir, output_dir, render_values, synth_to_dir_with, App,
    DocumentFormat, SynthOptions,
};
use crate::core::context::Context;
use crate::core::environment::Cloud;

#[derive(Debug, Parser)]
#[command(name = "infrasynth", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `synth --format`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum DocFormat {
    /// main.tf.json (Terraform's JSON syntax).
    Json,
    /// main.tf (HCL native syntax).
    Hcl,
}

impl From<DocFormat> for DocumentFormat {
    fn from(format: DocFormat) -> Self {
        match format {
            DocFormat::Json => DocumentFormat::Json,
            DocFormat::Hcl => DocumentFormat::Hcl,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes OUT/<stack>/<cloud>/<env>/main.tf.json (and Helm values).
    ///
    /// Output is written atomically: on any error nothing is written and the
    /// previous output stays as it was. A directory holding another stack's
    /// output is refused.
    Synth {
        /// aws, gcp or azure.
        #[arg(required_unless_present = "all")]
        cloud: Option<Cloud>,
        /// One of the program's environments (see `list`).
        #[arg(required_unless_present = "all")]
        env: Option<String>,
        /// The output root.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
        /// Every stack x cloud x environment, in parallel on the available
        /// cores, with one summary table; exit 1 if any failed.
        #[arg(long, conflicts_with_all = ["cloud", "env", "stack"])]
        all: bool,
        /// The report as JSON (with --all: every synth, then the totals).
        #[arg(long)]
        json: bool,
        /// Also write backend_override.tf.json, which replaces the stack's
        /// remote backend with local state, so `terraform init`, `validate`
        /// and `plan` run without cloud credentials (CI checks). main.tf.json
        /// is unchanged. Never apply from such a directory.
        #[arg(long)]
        local_backend: bool,
        /// The Terraform document's syntax: json writes main.tf.json, hcl
        /// writes main.tf (HCL native syntax, for reviewers or to leave
        /// infrasynth) instead, never both.
        #[arg(long, value_enum, default_value = "json")]
        format: DocFormat,
    },
    /// Writes OUT/<stack>/bootstrap/<cloud>/<env>/main.tf.json: the storage
    /// the stack's state backend in that environment needs (bucket or
    /// storage account, versioned, encrypted, private, TLS only), to apply
    /// once before the stack's own `terraform init`.
    ///
    /// Its own state is local in that directory; after the first apply,
    /// `--remote-state` writes it with the same backend (key
    /// <stack>/bootstrap/<cloud>/<env>) for `terraform init -migrate-state`.
    Bootstrap {
        /// aws, gcp or azure: the cloud whose stack's state this is.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// The output root.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
        /// Keep the bootstrap's own state in the storage it creates.
        #[arg(long)]
        remote_state: bool,
    },
    /// Renders the Helm values templates `synth` wrote, with the outputs of
    /// `terraform apply`, into OUT/<stack>/<cloud>/<env>/helm/<chart>.values.yaml.
    ///
    /// Nothing is written unless every template renders; sensitive outputs
    /// are never written (the charts read secrets from Kubernetes Secrets).
    Values {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// The output of `terraform output -json`; `-` reads standard input.
        #[arg(long)]
        outputs: PathBuf,
        /// The output root `synth` wrote to.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
    },
    /// Prints the stack's dependency graph as Graphviz DOT (`a -> b`: `a`
    /// reads `b`), blocks clustered by component: network, data, cluster,
    /// storage, identity.
    Graph {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
        /// Writes an SVG to this file through Graphviz `dot` instead of
        /// printing DOT.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Synthesizes, then runs `terraform init` and `terraform plan` in the
    /// output directory; Terraform's exit code is passed through.
    Plan(TerraformArgs),
    /// Synthesizes, then runs `terraform init` and `terraform apply`. A
    /// production-tier environment asks for its name on a terminal and needs
    /// `--yes` anywhere else.
    Apply(TerraformArgs),
    /// Synthesizes, then runs `terraform init` and `terraform destroy`; asks
    /// for the environment's name on a terminal, needs `--yes` elsewhere.
    Destroy(TerraformArgs),
    /// Compares the stack synthesized in memory (nothing is written) with
    /// OUT/<stack>/<cloud>/<env>: resources added, removed, changed (each
    /// attribute, policy documents as JSON) and moved, and a security
    /// section of every change that broadens access. Exit 0 no change, 1
    /// changes, 2 error.
    Diff {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// The output root `synth` wrote to.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
        /// text (colored on a terminal unless NO_COLOR is set), markdown (a
        /// pull request comment) or json.
        #[arg(long, value_enum, default_value = "text")]
        format: diff::Format,
    },
    /// What changed outside Terraform: `terraform plan -refresh-only` in
    /// OUT/<stack>/<cloud>/<env> (synthesized, initialized and applied)
    /// summarized per resource and attribute, and on AWS (with the `aws`
    /// feature) the security groups, rules, subnets, node groups and add-ons
    /// in the stack's VPCs and clusters that Terraform does not manage.
    /// Writes nothing, takes no state lock. Exit 0 no drift, 1 drift, 2
    /// error.
    Drift {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// The output root `synth` wrote to.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
        /// text or json.
        #[arg(long, value_enum, default_value = "text")]
        format: drift::Format,
    },
    /// Checks the stack without writing: the stack itself, the built-in
    /// policies, the provider schema, and `terraform init -backend=false` +
    /// `terraform validate` in a scratch copy where Terraform and the
    /// provider are installed. One line per check; exit 0 valid, 1 a check
    /// failed, 2 error.
    Validate {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// Which stack (default: the first declared).
        #[arg(long)]
        stack: Option<String>,
        /// Do not run Terraform (reported as skipped, not as passed).
        #[arg(long)]
        skip_terraform: bool,
    },
    /// Records live cloud facts in the context file (infrasynth.context.json
    /// unless the program names another), which every synth then reads
    /// offline: AWS zones, instance type offerings per zone and EKS add-on
    /// versions; Azure VM sizes and their zones; the GCP state bucket's
    /// preflight. Needs the cloud's feature and credentials.
    ///
    /// Facts already recorded are kept unless --refresh. The file is written
    /// once, atomically, after every fetch succeeded: a failure (no
    /// credentials, no network, throttling, access denied) leaves it as it
    /// was. Exit 0 written or unchanged, 1 a call failed, 2 usage.
    Lookup {
        /// aws, gcp or azure.
        cloud: Cloud,
        /// One of the program's environments (see `list`).
        env: String,
        /// Only this stack (default: every stack of the program).
        #[arg(long)]
        stack: Option<String>,
        /// Fetch again the facts already recorded.
        #[arg(long)]
        refresh: bool,
    },
    /// Lists the stacks, clouds and environments.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prints a shell completion script: `source <(PROGRAM completions bash)`.
    Completions {
        /// bash, zsh or fish.
        shell: Shell,
    },
}

/// The shells `completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// What `plan`, `apply` and `destroy` take.
#[derive(Debug, clap::Args)]
struct TerraformArgs {
    /// aws, gcp or azure.
    cloud: Cloud,
    /// One of the program's environments (see `list`).
    env: String,
    /// The output root.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Which stack (default: the first declared).
    #[arg(long)]
    stack: Option<String>,
    /// No confirmation; `-auto-approve` for apply and destroy.
    #[arg(long)]
    yes: bool,
    /// Local state instead of the stack's backend (plan only, for checks
    /// without credentials; see `synth --local-backend`).
    #[arg(long)]
    local_backend: bool,
    /// More arguments for the Terraform command, after `--`.
    #[arg(last = true)]
    terraform_args: Vec<String>,
}

impl App {
    /// Parses the process's arguments and runs the command: the whole `main`
    /// of a user's program. Exit codes: 0 success (also when standard output
    /// is closed early, as by `| head`), 1 the command failed, 2 bad usage.
    pub fn run(&self) -> ExitCode {
        self.run_with(std::env::args_os())
    }

    /// [`App::run`] with explicit arguments (the first is the program name).
    pub fn run_with<I, T>(&self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        self.run_parsed(self.command(), args)
    }

    /// The command line as clap sees it, named after the program: for
    /// completions, and for tools and tests that check a command line
    /// (`command().try_get_matches_from(..)`) without running it.
    pub fn command(&self) -> clap::Command {
        let mut command = Cli::command().name(self.name().to_string());
        command = command.bin_name(self.name().to_string());
        command = match self.version_text() {
            Some(version) => command.version(version.to_string()),
            None => command.disable_version_flag(true),
        };
        command = match self.about_text() {
            Some(about) => command.about(about.to_string()),
            None => command.about(format!(
                "{}: infrastructure synthesized with infrasynth",
                self.name()
            )),
        };
        command
    }

    /// Parses the process's arguments and runs the command (see
    /// [`App::run_with`]); `command` is [`App::command`].
    fn run_parsed<I, T>(&self, command: clap::Command, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let parsed = command
            .try_get_matches_from(args)
            .and_then(|matches| Cli::from_arg_matches(&matches));
        let cli = match parsed {
            Ok(cli) => cli,
            Err(error) => {
                // `--help` and `--version` are "errors" that print to stdout.
                let code = if error.use_stderr() { 2 } else { 0 };
                if let Err(e) = error.print() {
                    if e.kind() != io::ErrorKind::BrokenPipe {
                        return ExitCode::from(2);
                    }
                }
                return ExitCode::from(code);
            }
        };
        if let Err(errors) = self.check() {
            for error in &errors {
                eprintln!("error: {error}");
            }
            return ExitCode::from(2);
        }
        // Commands that synthesize read the context file once.
        let context = match &cli.command {
            Command::Synth { .. }
            | Command::Diff { .. }
            | Command::Validate { .. }
            | Command::Graph { .. }
            | Command::Plan(_)
            | Command::Apply(_)
            | Command::Destroy(_) => match self.load_context() {
                lookup::Loaded::Context(context) => context,
                lookup::Loaded::Unreadable => return ExitCode::from(2),
            },
            _ => None,
        };
        let result = match cli.command {
            Command::Lookup {
                cloud,
                env,
                stack,
                refresh,
            } => self.lookup(cloud, &env, stack.as_deref(), refresh),
            Command::Synth {
                all: true,
                out,
                local_backend,
                format,
                json,
                ..
            } => self.synth_all(
                &out,
                SynthOptions::new()
                    .with_local_backend(local_backend)
                    .with_format(format.into())
                    .with_context(context),
                json,
            ),
            Command::Synth {
                cloud: Some(cloud),
                env: Some(env),
                out,
                stack,
                local_backend,
                format,
                json,
                ..
            } => self.synth(
                cloud,
                &env,
                &out,
                stack.as_deref(),
                SynthOptions::new()
                    .with_local_backend(local_backend)
                    .with_format(format.into())
                    .with_context(context),
                json,
            ),
            // clap requires both unless --all.
            Command::Synth { .. } => Ok(ExitCode::from(2)),
            Command::Diff {
                cloud,
                env,
                out,
                stack,
                format,
            } => self.diff(cloud, &env, &out, stack.as_deref(), format, context),
            Command::Drift {
                cloud,
                env,
                out,
                stack,
                format,
            } => self.drift(cloud, &env, stack.as_deref(), &out, format),
            Command::Validate {
                cloud,
                env,
                stack,
                skip_terraform,
            } => self.validate(cloud, &env, stack.as_deref(), skip_terraform, context),
            Command::Completions { shell } => self.completions(shell),
            Command::Bootstrap {
                cloud,
                env,
                out,
                stack,
                remote_state,
            } => self.bootstrap(cloud, &env, &out, stack.as_deref(), remote_state),
            Command::Values {
                cloud,
                env,
                outputs,
                out,
                stack,
            } => self.values(cloud, &env, &outputs, &out, stack.as_deref()),
            Command::Graph {
                cloud,
                env,
                stack,
                svg,
            } => self.graph(cloud, &env, stack.as_deref(), svg.as_deref(), context),
            Command::Plan(args) => self.terraform(terraform::Action::Plan, &args, context),
            Command::Apply(args) => self.terraform(terraform::Action::Apply, &args, context),
            Command::Destroy(args) => self.terraform(terraform::Action::Destroy, &args, context),
            Command::List { json } => self.list(json).map(|()| ExitCode::SUCCESS),
        };
        match result {
            Ok(code) => code,
            // The reader went away (`| head`): nothing more to say.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: writing to standard output: {error}");
                ExitCode::FAILURE
            }
        }
    }

    fn completions(&self, shell: Shell) -> io::Result<ExitCode> {
        let mut command = self.command();
        let name = self.name().to_string();
        let mut stdout = io::stdout().lock();
        let generator = match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        };
        // clap_complete panics when its writer fails; a reader that closes
        // early (`| head`) is not an error of ours.
        let mut script = Vec::new();
        clap_complete::generate(generator, &mut command, name, &mut script);
        match stdout.write_all(&script).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            result => result.map(|()| ExitCode::SUCCESS),
        }
    }

    fn list(&self, json: bool) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if json {
            writeln!(out, "{:#}", json::list(self))?;
            return out.flush();
        }
        writeln!(out, "stacks:")?;
        for (i, stack) in self.stacks().iter().enumerate() {
            let default = if i == 0 { " (default)" } else { "" };
            let line = format!("  {:<16} {}{default}", stack.name(), stack.about());
            writeln!(out, "{}", line.trim_end())?;
        }
        let clouds: Vec<&str> = Cloud::ALL.iter().map(|c| c.as_str()).collect();
        writeln!(out, "clouds:       {}", clouds.join(", "))?;
        writeln!(out, "environments:")?;
        for env in self.declared_environments() {
            let regions: Vec<String> = Cloud::ALL
                .iter()
                .filter_map(|&c| env.region(c).map(|r| format!("{c}: {r}")))
                .collect();
            let regions = if regions.is_empty() {
                String::new()
            } else {
                format!(" ({})", regions.join(", "))
            };
            writeln!(
                out,
                "  {:<16} {:<11} short name {}{regions}",
                env.name(),
                env.tier().as_str(),
                env.short_name()
            )?;
        }
        out.flush()
    }

    /// The stack and environment a command names, or `None` after saying
    /// what is declared (a usage error).
    fn resolve(
        &self,
        stack: Option<&str>,
        env: &str,
    ) -> Option<(&crate::app::StackDefinition, crate::Environment)> {
        match self
            .find_stack(stack)
            .and_then(|s| Ok((s, self.find_environment(env)?)))
        {
            Ok(found) => Some(found),
            Err(error) => {
                eprintln!("error: {error}");
                None
            }
        }
    }

    fn graph(
        &self,
        cloud: Cloud,
        env: &str,
        stack: Option<&str>,
        svg: Option<&Path>,
        context: Option<Arc<Context>>,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(stack, env) else {
            return Ok(ExitCode::from(2));
        };
        let (_, realized) = definition.realize_in(cloud, env, context.as_deref());
        if realized.diagnostics().has_errors() {
            eprintln!(
                "{}\ngraph of {}/{cloud}/{env}: the stack has errors (fix them as `synth` says)",
                realized.diagnostics(),
                definition.name()
            );
            return Ok(ExitCode::FAILURE);
        }
        let dot = crate::core::dot::to_dot(&realized);
        let Some(svg) = svg else {
            let mut stdout = io::stdout().lock();
            stdout.write_all(dot.as_bytes())?;
            stdout.flush()?;
            return Ok(ExitCode::SUCCESS);
        };
        match render_svg(&dot, svg) {
            Ok(()) => {
                println!("wrote {}", svg.display());
                Ok(ExitCode::SUCCESS)
            }
            Err(message) => {
                // Like every other error of the command line: exit 2.
                eprintln!("error: {message}");
                Ok(ExitCode::from(2))
            }
        }
    }

    fn terraform(
        &self,
        action: terraform::Action,
        args: &TerraformArgs,
        context: Option<Arc<Context>>,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(args.stack.as_deref(), &args.env) else {
            return Ok(ExitCode::from(2));
        };
        self.note_missing_facts(context.as_deref(), definition, args.cloud, env);
        if args.local_backend && action != terraform::Action::Plan {
            eprintln!(
                "error: --local-backend is for `plan` only: applying with local state would create everything anew"
            );
            return Ok(ExitCode::from(2));
        }
        let label = format!("{}/{}/{env}", definition.name(), args.cloud);
        if !terraform::confirm(action, env, &label, args.yes) {
            return Ok(ExitCode::from(2));
        }
        let options = SynthOptions::new()
            .with_local_backend(args.local_backend)
            .with_context(context);
        let report = match synth_to_dir_with(definition, args.cloud, env, &args.out, &options) {
            Ok(report) => report,
            Err(failure) => {
                eprintln!("{failure}");
                return Ok(ExitCode::FAILURE);
            }
        };
        for warning in report.warnings.iter() {
            eprintln!("{warning}");
        }
        eprintln!("{report}");
        Ok(terraform::run(
            action,
            &report.dir,
            args.yes,
            &args.terraform_args,
        ))
    }

    fn synth(
        &self,
        cloud: Cloud,
        env: &str,
        out: &Path,
        stack: Option<&str>,
        options: SynthOptions,
        json: bool,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(stack, env) else {
            return Ok(ExitCode::from(2));
        };
        self.note_missing_facts(options.context.as_deref(), definition, cloud, env);
        match synth_to_dir_with(definition, cloud, env, out, &options) {
            Ok(report) => {
                for warning in report.warnings.iter() {
                    eprintln!("{warning}");
                }
                let mut stdout = io::stdout().lock();
                if json {
                    writeln!(stdout, "{:#}", json::report(&report))?;
                } else {
                    writeln!(stdout, "{report}")?;
                    writeln!(stdout, "state: {}", report.state)?;
                }
                stdout.flush()?;
                Ok(ExitCode::SUCCESS)
            }
            Err(failure) => {
                eprintln!("{failure}");
                Ok(ExitCode::FAILURE)
            }
        }
    }

    fn bootstrap(
        &self,
        cloud: Cloud,
        env: &str,
        out: &Path,
        stack: Option<&str>,
        remote_state: bool,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(stack, env) else {
            return Ok(ExitCode::from(2));
        };
        if let Some((owner, owner_cloud, owner_env)) = self.bootstrap_owner(definition, cloud, env)
        {
            eprintln!(
                "error: {}/{cloud}/{env} keeps its state in storage that {owner}/{owner_cloud}/{owner_env} uses as well; one bootstrap owns it: run `{} bootstrap {owner_cloud} {owner_env} --stack {owner}` (once per storage)",
                definition.name(),
                self.name()
            );
            return Ok(ExitCode::from(2));
        }
        match bootstrap_to_dir(definition, cloud, env, out, remote_state) {
            Ok(report) => {
                for warning in report.warnings.iter() {
                    eprintln!("{warning}");
                }
                let dir = bootstrap_dir(out, definition.name(), cloud, env);
                let stack_dir = output_dir(out, definition.name(), cloud, env);
                let mut stdout = io::stdout().lock();
                writeln!(stdout, "{report}")?;
                writeln!(stdout, "state of the bootstrap: {}", report.state)?;
                writeln!(stdout, "next:")?;
                if remote_state {
                    writeln!(
                        stdout,
                        "  terraform -chdir={} init -migrate-state   # moves the bootstrap's local state into the storage",
                        dir.display()
                    )?;
                } else {
                    writeln!(stdout, "  terraform -chdir={} init", dir.display())?;
                    writeln!(stdout, "  terraform -chdir={} apply", dir.display())?;
                    writeln!(
                        stdout,
                        "  {} synth {cloud} {env} --stack {} --out {}",
                        self.name(),
                        definition.name(),
                        out.display()
                    )?;
                    writeln!(
                        stdout,
                        "  terraform -chdir={} init   # -migrate-state if it had local state",
                        stack_dir.display()
                    )?;
                }
                stdout.flush()?;
                Ok(ExitCode::SUCCESS)
            }
            Err(failure) => {
                eprintln!("{failure}");
                Ok(ExitCode::FAILURE)
            }
        }
    }

    fn values(
        &self,
        cloud: Cloud,
        env: &str,
        outputs: &Path,
        out: &Path,
        stack: Option<&str>,
    ) -> io::Result<ExitCode> {
        let Some((definition, env)) = self.resolve(stack, env) else {
            return Ok(ExitCode::from(2));
        };
        let dir = output_dir(out, definition.name(), cloud, env).join(crate::helm::HELM_DIR);
        let label = format!("{}/{cloud}/{env}", definition.name());
        let synth_command = format!(
            "{} synth {cloud} {env} --stack {} --out {}",
            self.name(),
            definition.name(),
            out.display()
        );
        match render_values(&dir, outputs, &label, &synth_command) {
            Ok(written) => {
                let mut stdout = io::stdout().lock();
                for path in written {
                    writeln!(stdout, "rendered {}", path.display())?;
                }
                stdout.flush()?;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                eprintln!("{error}");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// Renders `dot` to an SVG file with Graphviz's `dot`.
fn render_svg(dot: &str, svg: &Path) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let child = Command::new("dot")
        .arg("-Tsvg")
        .arg("-o")
        .arg(svg)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(
                "Graphviz `dot` is not installed; install it (`apt-get install graphviz`, `brew install graphviz`) or drop --svg and render the printed DOT elsewhere"
                    .to_string(),
            )
        }
        Err(e) => return Err(format!("cannot run Graphviz `dot`: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| format!("writing to Graphviz `dot`: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for Graphviz `dot`: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "Graphviz `dot` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
