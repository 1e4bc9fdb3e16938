//! Test environment for driving the real `newstrack` binary on temporary folders, after
//! ripgrep's and fd's test helpers: a temp dir per test, file builders, and assertions that
//! print a diff-like view of what differed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

/// The project root (where `pipelines/` and `corpus/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data/reuters21578` when present; tests that need it print why they skip.
pub fn reuters() -> Option<PathBuf> {
    let p = root().join("../shared/data/reuters21578");
    if p.join("reut2-000.sgm").exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping: ../shared/data/reuters21578 not found (it sits beside the project in CI)"
        );
        None
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file (creating folders) and returns its path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Runs the binary with `args` in the project root (so default paths resolve).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(&root(), args)
    }

    pub fn run_in(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(args, &[])
            .current_dir(cwd)
            .output()
            .expect("run newstrack")
    }

    /// The binary with `args` in the project root, the tuning variables of this shell
    /// removed and `vars` set (chunk and spill sizes for tests that force them).
    pub fn command(&self, args: &[&str], vars: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_newstrack"));
        cmd.args(args)
            .current_dir(root())
            .env_remove("RUST_BACKTRACE")
            .env_remove("NEWSTRACK_CHUNK_BYTES")
            .env_remove("NEWSTRACK_SPILL_BYTES")
            .envs(vars.iter().copied());
        cmd
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit status, printing both streams when it differs.
pub fn assert_code(o: &Output, code: i32) {
    if o.status.code() != Some(code) {
        panic!(
            "expected exit code {code}, got {:?}\n--- stdout\n{}\n--- stderr\n{}",
            o.status.code(),
            stdout(o),
            stderr(o)
        );
    }
}

/// Asserts two texts are equal, printing the differing lines side by side when not.
pub fn assert_same_text(name: &str, want: &str, got: &str) {
    if want == got {
        return;
    }
    let mut report = String::new();
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i).copied(), g.get(i).copied());
        if a != b {
            report.push_str(&format!(
                "line {}:\n  - {}\n  + {}\n",
                i + 1,
                a.unwrap_or("<none>"),
                b.unwrap_or("<none>")
            ));
            if report.len() > 4000 {
                break;
            }
        }
    }
    panic!("{name} differs:\n{report}");
}

/// A small pipeline for end-to-end tests: two topics, two countries and an official
/// grouped under one of them.
pub const PIPE: &str = r#"
[pipeline]
name = "t"
period = "week"

[[topic]]
id = "tariffs"
terms = ["tariff*"]

[[topic]]
id = "rare-earths"
terms = ["rare earth"]

[[actor]]
id = "china"
kind = "country"
terms = ["China", "Beijing"]

[[actor]]
id = "united-states"
kind = "country"
terms = ["US", "United States"]

[[actor]]
id = "scott-bessent"
kind = "person"
group = "united-states"
terms = ["Scott Bessent", "Bessent"]
"#;

/// `sql`'s single integer from the state at `db` while a run may be writing it, or 0 when
/// the file is not there yet or the writer holds its lock. Without a busy wait: rusqlite's
/// (5 s) sleeps longer at each retry, and the writer of a first run (rollback journal) holds
/// its lock for most of the run, so a waiting reader could miss every gap until the run was
/// over; kill tests poll this every few milliseconds instead.
pub fn count_now(db: &Path, sql: &str) -> i64 {
    if !db.exists() {
        return 0;
    }
    rusqlite::Connection::open(db)
        .and_then(|c| {
            c.busy_timeout(std::time::Duration::ZERO)?;
            c.query_row(sql, [], |r| r.get(0))
        })
        .unwrap_or(0)
}
