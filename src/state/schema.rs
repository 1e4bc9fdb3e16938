//! The SQLite schema of a state file, its version, and the checks that decide whether an
//! existing file is a newstrack state this build can trust. docs/state.md documents every
//! table and column; keep the two in step. No reading or writing of results here.

use rusqlite::Connection;

/// `PRAGMA application_id` of a newstrack state ("NwsT"): tells our files from other SQLite
/// databases.
pub const APPLICATION_ID: i64 = 0x4E77_7354;

/// `PRAGMA user_version`: bump on any change to the tables below; an older state is rebuilt.
pub const SCHEMA_VERSION: i64 = 4;

/// The page size of a new state. Larger than SQLite's 4 KB default: a state is written in
/// bulk (parts of hundreds of KB, rows by the hundred thousand), and each page costs its
/// own WAL frame, checksum and system calls on the way to the file (16 KB pages spare the
/// writer about a sixth of its CPU time; larger ones little more).
pub const PAGE_SIZE: &str = "PRAGMA page_size = 16384;";

/// The tables. The `REFERENCES` clauses document how tables join; newstrack deletes child
/// rows itself (`State::delete_file`), so it runs without foreign-key enforcement and spares
/// every inserted row a lookup of its parent.
///
/// Mentions are stored with the entity's index (`mention_rows`), and analysts read them
/// through the `mentions` view, which names the entity by its id as schema 3's table did: a
/// text id in every one of two million rows per GB made the table and its entity index
/// larger and their end-of-run sort a text sort (schema 4: the writer 9% less CPU, a first
/// run 5% faster at 100 MB and 3% at 1 GB; docs/performance.md, session 24). A condition on
/// the view's `entity` finds the index through `entities`' unique id.
pub const CREATE: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE entities (
    id         TEXT PRIMARY KEY,
    idx        INTEGER NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    label      TEXT NOT NULL,
    actor_kind TEXT,
    group_id   TEXT
);
CREATE TABLE files (
    path         TEXT PRIMARY KEY,
    complete     INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    content_hash TEXT,
    failed       TEXT,
    documents    INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    volatile     INTEGER NOT NULL DEFAULT 0,
    parts        INTEGER NOT NULL,
    run          INTEGER NOT NULL
);
CREATE TABLE parts (
    path      TEXT NOT NULL REFERENCES files(path),
    part      INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    result    BLOB NOT NULL,
    PRIMARY KEY (path, part)
);
CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    path         TEXT NOT NULL REFERENCES files(path),
    record       INTEGER,
    doc          TEXT NOT NULL,
    title        TEXT NOT NULL,
    date         TEXT,
    date_source  TEXT NOT NULL,
    text_hash    TEXT NOT NULL,
    duplicate_of TEXT
);
CREATE TABLE mention_rows (
    doc      INTEGER NOT NULL REFERENCES documents(id),
    entity   INTEGER NOT NULL REFERENCES entities(idx),
    start    INTEGER NOT NULL,
    "end"    INTEGER NOT NULL,
    sentence INTEGER NOT NULL
);
CREATE VIEW mentions (doc, entity, start, "end", sentence) AS
    SELECT m.doc, e.id, m.start, m."end", m.sentence
    FROM mention_rows m JOIN entities e ON e.idx = m.entity;
CREATE TABLE sentences (
    doc      INTEGER NOT NULL REFERENCES documents(id),
    sentence INTEGER NOT NULL,
    start    INTEGER NOT NULL,
    "end"    INTEGER NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (doc, sentence)
) WITHOUT ROWID;
CREATE VIEW counts (doc, entity, mentions) AS
    SELECT m.doc, e.id, count(*)
    FROM mention_rows m JOIN entities e ON e.idx = m.entity
    GROUP BY m.doc, e.id;
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pipeline      TEXT NOT NULL,
    pipeline_hash TEXT NOT NULL,
    files         INTEGER,
    reused        INTEGER,
    added         INTEGER,
    changed       INTEGER,
    removed       INTEGER,
    articles      INTEGER
);
"#;

/// The secondary indexes: name, table and columns, and whether a run that starts from an
/// empty state builds it once at its end. Sorting a finished table is several times cheaper
/// than keeping such an index in step row by row; the others take their keys in order
/// (documents arrive file by file, mentions document by document), so keeping them costs
/// about as much as building them and is done while the run goes on, not after it. Every
/// other run (re)creates any that are missing when it opens the state, so a killed first
/// run leaves nothing slow behind.
pub const INDEXES: &[(&str, &str, bool)] = &[
    ("documents_path", "documents(path)", false),
    ("documents_date", "documents(date)", true),
    ("documents_doc", "documents(doc)", true),
    ("mentions_doc", "mention_rows(doc, sentence)", false),
    ("mentions_entity", "mention_rows(entity)", true),
];

/// Creates every index in [`INDEXES`] that is missing.
pub fn create_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (name, on, _) in INDEXES {
        conn.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on};"))?;
    }
    Ok(())
}

/// Drops the indexes in [`INDEXES`] that a run from an empty state builds at its end.
pub fn drop_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (name, _, at_end) in INDEXES {
        if *at_end {
            conn.execute_batch(&format!("DROP INDEX IF EXISTS {name};"))?;
        }
    }
    Ok(())
}

/// What an existing file turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Ours, current schema, intact.
    Ours,
    /// A new, empty database (a file of zero bytes, or no tables).
    Empty,
    /// Not to be trusted; the reason says why.
    Untrusted(String),
}

/// The tables a re-run takes its results and decisions from: checked at every open.
const REUSED: &[&str] = &["meta", "entities", "files", "parts", "runs"];

/// Examines an open database without changing it. The integrity check covers every table
/// when `whole` is set or when the last run did not end cleanly (killed, or its state
/// writes failed: `runs.finished_at` unset, or a file left incomplete), and otherwise the
/// tables in [`REUSED`] only. Checking the analyst tables on every open was a fifth of a
/// re-run that reuses everything (0.9 s of 4.2 s for the 1 GB benchmark corpus, growing
/// with the corpus), and they never feed a report; a write that meets damage in them
/// fails the run's state writes, which leaves the run unfinished, so the next open checks
/// everything and moves the file aside.
pub fn examine(conn: &Connection, whole: bool) -> Verdict {
    let pragma = |name: &str| -> rusqlite::Result<i64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
    };
    let tables: i64 = match conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    ) {
        Ok(n) => n,
        Err(e) => return Verdict::Untrusted(format!("not a readable SQLite database ({e})")),
    };
    let (app, version) = match (pragma("application_id"), pragma("user_version")) {
        (Ok(a), Ok(v)) => (a, v),
        (Err(e), _) | (_, Err(e)) => {
            return Verdict::Untrusted(format!("not a readable SQLite database ({e})"))
        }
    };
    if tables == 0 && app == 0 {
        return Verdict::Empty;
    }
    if app != APPLICATION_ID {
        return Verdict::Untrusted(format!(
            "a SQLite database of another application (application_id {app:#x}, {tables} tables)"
        ));
    }
    if version != SCHEMA_VERSION {
        return Verdict::Untrusted(format!(
            "a newstrack state of schema version {version}; this build uses version {SCHEMA_VERSION}"
        ));
    }
    let checks: Vec<String> = if whole || !ended_cleanly(conn) {
        vec!["PRAGMA quick_check".into()]
    } else {
        REUSED
            .iter()
            .map(|t| format!("PRAGMA quick_check({t})"))
            .collect()
    };
    for check in checks {
        match conn.query_row(&check, [], |r| r.get::<_, String>(0)) {
            Ok(s) if s == "ok" => {}
            Ok(s) => {
                return Verdict::Untrusted(format!("a damaged database (integrity check: {s})"))
            }
            Err(e) => return Verdict::Untrusted(format!("a damaged database ({e})")),
        }
    }
    Verdict::Ours
}

/// Whether the last run recorded its end and left no file incomplete; `false` when that
/// cannot be read.
fn ended_cleanly(conn: &Connection) -> bool {
    conn.query_row(
        "SELECT (SELECT finished_at IS NOT NULL FROM runs ORDER BY id DESC LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM files WHERE complete = 0)",
        [],
        |r| r.get::<_, Option<bool>>(0),
    )
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Creates the tables in an empty database.
pub fn create(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(CREATE)?;
    create_indexes(&tx)?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
    ))?;
    tx.execute(
        "INSERT INTO meta(key, value) VALUES ('application', 'newstrack'), ('schema_version', ?1)",
        [SCHEMA_VERSION.to_string()],
    )?;
    tx.commit()
}
