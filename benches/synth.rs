//! In-process synth benchmarks of the scale stack (`examples/scale.rs`):
//! `cargo bench --bench synth`. The end-to-end numbers (process wall time,
//! peak RSS, cdktf side by side) come from `benches/run.sh`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

// The benchmark measures exactly the stack the example writes.
#[allow(dead_code)]
#[path = "../examples/scale.rs"]
mod scale;

fn synth(c: &mut Criterion) {
    let mut group = c.benchmark_group("synth");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for copies in [10, 250] {
        let resources = (copies * scale::RESOURCES_PER_COPY) as u64;
        group.throughput(Throughput::Elements(resources));
        group.bench_with_input(BenchmarkId::new("build", copies), &copies, |b, &n| {
            // The example exits without freeing the stack; so the drop is
            // kept out of the measurement here too.
            b.iter_with_large_drop(|| scale::scale_stack(black_box(n)))
        });
        let stack = scale::scale_stack(copies);
        group.bench_with_input(BenchmarkId::new("validate", copies), &stack, |b, stack| {
            b.iter(|| infrasynth::core::graph::check(black_box(stack)))
        });
        group.bench_with_input(BenchmarkId::new("serialize", copies), &stack, |b, stack| {
            b.iter_with_large_drop(|| black_box(stack).render_json())
        });
        group.bench_with_input(BenchmarkId::new("build+synth", copies), &copies, |b, &n| {
            b.iter(|| {
                let stack = scale::scale_stack(black_box(n));
                stack.synth().expect("the scale stack is valid")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, synth);
criterion_main!(benches);
