mod common;
use infrasynth::{helm, Cloud, Environment};
#[test]
fn dump() {
    let p = common::stacks::mlops::platform(Environment::Dev);
    for f in helm::values_for(&p, Cloud::Azure).unwrap() { println!("=== {}\n{}", f.path(), f.yaml.text); }
}
