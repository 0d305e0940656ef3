//! `cargo run -- synth aws prod-eu`: the retail recommender's infrastructure.

use infrasynth::app::App;

fn main() -> std::process::ExitCode {
    App::new("retail-infra")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The retail recommender platform on AWS, GCP and Azure")
        .environments(retail_infra::environments())
        .stack(retail_infra::recommender::stack())
        .stack(retail_infra::experiments::stack())
        .run()
}
