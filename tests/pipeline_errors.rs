//! `check` on a pipeline with many problems: exit 2, every problem on its own line with
//! file:line:column, each printed exactly once, and `run` refusing to start.

mod common;

use common::*;

const BAD: &str = r#"[pipeline]
name = "bad"
period = "fortnight"
colour = "blue"

[[topic]]
id = "empty"
terms = []

[[actor]]
id = "empty"
kind = "planet"
terms = ["!!!"]

[[event]]
date = "2025-02-30"
label = "x"
"#;

#[test]
fn every_problem_once_with_position() {
    let env = TestEnv::new();
    env.write("bad.toml", BAD);
    let o = env.run_in(env.dir.path(), &["check", "-p", "bad.toml"]);
    assert_code(&o, 2);
    let err = stderr(&o);
    for at in [
        "bad.toml:3:10:",
        "bad.toml:4:1:",
        "bad.toml:8:9:",
        "bad.toml:11:6:",
        "bad.toml:12:8:",
        "bad.toml:13:10:",
        "bad.toml:16:8:",
    ] {
        assert_eq!(err.matches(at).count(), 1, "{at} once in:\n{err}");
    }
    assert_eq!(err.matches("7 errors in the pipeline").count(), 1, "{err}");
    env.write("in/a.txt", "China");
    let o = env.run_in(
        env.dir.path(),
        &["run", "-p", "bad.toml", "-o", "out", "in"],
    );
    assert_code(&o, 2);
    assert!(
        !env.path("out").exists(),
        "nothing is done with an invalid pipeline"
    );
}
