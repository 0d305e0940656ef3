//! The `infrasynth` binary of this repository: the reference stacks in
//! `stacks/`, run through the same [`App`] entry point a user's `main.rs` uses.

#[path = "../stacks/mod.rs"]
mod stacks;

use infrasynth::app::App;

fn main() -> std::process::ExitCode {
    let mut app = App::new("infrasynth")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Synthesizes Terraform JSON and Helm values for the reference stacks");
    for stack in stacks::all() {
        app = app.stack(stack);
    }
    app.run()
}

// A synth allocates many small maps and strings at once; mimalloc serves them
// with about half the page faults of glibc's malloc (docs/performance.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
