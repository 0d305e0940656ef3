//! The `infrasynth` binary: the library's CLI over the stacks in `stacks/`.

#[path = "../stacks/mod.rs"]
mod stacks;

fn main() -> std::process::ExitCode {
    infrasynth::cli::run(&stacks::all())
}
