//! The `infrasynth` binary: the library's CLI over the stacks in `stacks/`.

#[path = "../stacks/mod.rs"]
mod stacks;

fn main() -> std::process::ExitCode {
    infrasynth::cli::run(&stacks::all())
}

// A synth allocates many small maps and strings at once; mimalloc serves them
// with about half the page faults of glibc's malloc (docs/performance.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
