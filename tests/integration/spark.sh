#!/usr/bin/env bash
# Spark integration test (run by .ci/run): newstrack as Spark's map and merge stages must
# write the very report files `newstrack run` writes over the same JSON Lines corpus, and a
# failing map task must fail the job. Also checks the Parquet export with DuckDB.
#
# Needs Java 17+ (installed from Debian when missing) and pyspark + duckdb, installed into
# target/spark-venv and kept there between runs. HOME, TMPDIR and the Ivy cache stay inside
# target/spark-it. Uses ../shared/data/reuters21578 when present (exported to JSON Lines with
# `newstrack export --text`), else a generated corpus. Prints PASS/FAIL lines; exits non-zero
# on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=$ROOT/target/spark-venv
WORK=$ROOT/target/spark-it
BIN=$ROOT/target/debug/newstrack
JOB=$ROOT/examples/spark/newstrack_job.py
# Override to try the generated corpus: SPARK_IT_REUTERS=/nonexistent bash tests/integration/spark.sh
REUTERS=${SPARK_IT_REUTERS:-$ROOT/../shared/data/reuters21578}

PASSED=0
trap 'echo "spark.sh: FAIL: command at line $LINENO exited $? (logs in $WORK)"' ERR
pass() { echo "spark.sh: PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "spark.sh: FAIL: $*"; exit 1; }
step() { echo "spark.sh: $*"; }

# --- tools -------------------------------------------------------------------------------
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
    step "installing Java 17 from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
step "java $(java_major)"

if ! "$VENV/bin/python" -c 'import pyspark, duckdb' >/dev/null 2>&1; then
    step "installing pyspark and duckdb into $VENV (kept for later runs)"
    python3 -m venv "$VENV"
    PIP_NO_CACHE_DIR=1 "$VENV/bin/pip" install -q --disable-pip-version-check \
        -r "$ROOT/examples/spark/requirements.txt"
fi
PY=$VENV/bin/python
step "pyspark $("$PY" -c 'import pyspark; print(pyspark.__version__)'), duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)')"

cargo build --quiet --bin newstrack

rm -rf "$WORK"
mkdir -p "$WORK/home" "$WORK/tmp" "$WORK/ivy"
export HOME=$WORK/home TMPDIR=$WORK/tmp SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_PYTHON=$PY PYSPARK_DRIVER_PYTHON=$PY
unset SPARK_HOME

# --- corpus ------------------------------------------------------------------------------
cd "$WORK"
if [ -f "$REUTERS/reut2-000.sgm" ]; then
    PIPELINE=pipelines/trade-1987.toml
    step "corpus: Reuters-21578 exported to JSON Lines"
    "$BIN" export -q -p "$ROOT/$PIPELINE" --text --format jsonl -o export "$REUTERS"
    mv export/documents.jsonl corpus.jsonl
    SAMPLE=$REUTERS/reut2-000.sgm
else
    PIPELINE=pipelines/rare-earths.toml
    step "corpus: generated (../shared/data/reuters21578 not found)"
    "$PY" - <<'PY'
import json, random
random.seed(6)
texts = [
    "China and the United States met in London. Scott Bessent spoke about tariffs and rare earths.",
    "Beijing imposed export controls on rare earth magnets. Tariffs stay.",
    "Tariffs on Chinese goods rose again, the US said.",
    "Neodymium prices jumped as China tightened licences for rare earth magnets.",
    "A quiet day with nothing to report.",
]
with open("corpus.jsonl", "w") as f:
    for i in range(3000):
        r = {"text": "%s (%d)" % (random.choice(texts), random.randrange(1500)),
             "date": "2025-%02d-%02d" % (random.randint(4, 9), random.randint(1, 28))}
        if i % 3:
            r["id"] = "doc-%d" % i
        f.write(json.dumps(r) + "\n")
        if i % 500 == 7:
            f.write("{not json\n\n")
PY
    SAMPLE=$WORK/corpus.jsonl
fi
mkdir -p pipelines
cp "$ROOT/$PIPELINE" "$PIPELINE"
step "$(wc -l < corpus.jsonl) lines, $(du -h corpus.jsonl | cut -f1)"

# Same relative names for run, map and merge: the reports name the corpus and pipeline.
# --no-state: an incremental run adds its state file and reused/added counts, which `merge`
# has no equivalent of (docs/state.md).
"$BIN" run -q --no-state -p "$PIPELINE" -o run corpus.jsonl 2>>tools.log

same_reports() { diff -r -q "$1" "$2" >/dev/null 2>&1; }

# The comparison itself must see a difference.
cp -r run control
echo "extra" >> control/trends.csv
if same_reports run control; then fail "the report comparison does not see a changed file"; fi
rm -rf control
pass "the report comparison sees a changed file"

spark_job() {
    local log=$1; shift
    "$VENV/bin/spark-submit" --master 'local[2]' \
        --conf spark.ui.enabled=false \
        --conf spark.jars.ivy="$WORK/ivy" \
        --conf spark.log.level=WARN \
        "$JOB" --newstrack "$BIN" --pipeline "$PIPELINE" --partitions 4 "$@" corpus.jsonl \
        >"$log" 2>&1
}

# --- map and merge on Spark --------------------------------------------------------------
step "Spark job: rdd.pipe(newstrack map) on 4 partitions, coalesce(1).pipe(newstrack merge)"
start=$SECONDS
if ! spark_job job.log --out spark --save-partials partials; then
    tail -n 30 job.log
    fail "the Spark job failed"
fi
parts=$(ls partials/part-* | wc -l)
[ "$parts" -ge 4 ] || fail "expected at least 4 map partitions, got $parts"
if same_reports run spark; then
    pass "Spark report == newstrack run report ($parts partitions, $((SECONDS - start)) s): $(ls spark | tr '\n' ' ')"
else
    diff -r run spark | head -n 20
    fail "the Spark report differs from newstrack run"
fi

# The saved partials merge again, in any order, to the same report.
ls partials/part-* | sort -r | xargs "$BIN" merge -q -p "$PIPELINE" -o remerged 2>>tools.log
same_reports run remerged || fail "re-merging the saved partials differs from newstrack run"
"$BIN" merge -q -p "$PIPELINE" -o remerged-dir partials 2>>tools.log
same_reports run remerged-dir || fail "merging the saved partials' folder differs from newstrack run"
pass "saved partials re-merged (reverse order, and as a folder) == newstrack run report"

# --- a failing map task fails the job ----------------------------------------------------
step "Spark job with a pipeline the executors cannot read (every map task exits 2)"
if spark_job fail.log --out failed --executor-pipeline "$WORK/no-such-pipeline.toml"; then
    fail "the job succeeded although every map task failed"
fi
grep -q "newstrack job: FAILED" fail.log || { tail -n 30 fail.log; fail "the job did not report its failure"; }
grep -q "no-such-pipeline.toml.*cannot read pipeline file" fail.log \
    || { tail -n 30 fail.log; fail "the map task's own error is not in the job's log"; }
[ ! -e failed ] || fail "a failed job wrote a report"
pass "a failing map task fails the job (non-zero exit, no report)"

# --- Parquet export checked with DuckDB --------------------------------------------------
# (Their stderr lists the generated corpus's bad lines: kept in tools.log.)
"$BIN" export -q -p "$PIPELINE" --format jsonl -o tables-jsonl "$SAMPLE" 2>>tools.log
"$BIN" export -q -p "$PIPELINE" --format parquet -o tables-parquet "$SAMPLE" 2>>tools.log
"$BIN" run -q --no-state -p "$PIPELINE" -o sample-run "$SAMPLE" 2>>tools.log
"$PY" - <<'PY' || fail "DuckDB does not read the Parquet export as the JSON Lines export"
import json, duckdb
con = duckdb.connect()
cols = {
    "documents": "doc, path, record, title, CAST(date AS VARCHAR) AS date, date_source, source, url, "
                 "hash, duplicate_of, mentions, entities, bytes",
    "mentions": "doc, path, record, CAST(date AS VARCHAR) AS date, entity, kind, actor_kind, label, "
                "\"group\", start, \"end\", text, sentence, sentence_start, sentence_end",
}
for table, c in cols.items():
    pq = "SELECT %s FROM read_parquet('tables-parquet/%s.parquet')" % (c, table)
    js = "SELECT %s FROM read_json('tables-jsonl/%s.jsonl', format='newline_delimited')" % (c, table)
    n_pq = con.execute("SELECT count(*) FROM (%s)" % pq).fetchone()[0]
    n_js = con.execute("SELECT count(*) FROM (%s)" % js).fetchone()[0]
    diff = con.execute("SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s))"
                   % (pq, js, js, pq)).fetchone()[0]
    assert n_pq == n_js and n_pq > 0 and diff == 0, (table, n_pq, n_js, diff)
    print("spark.sh: duckdb: %s.parquet: %d rows, equal to %s.jsonl" % (table, n_pq, table))
counted = con.execute("SELECT count(*) FROM read_parquet('tables-parquet/documents.parquet') "
                  "WHERE duplicate_of IS NULL").fetchone()[0]
want = json.load(open("sample-run/summary.json"))["articles"]["counted"]
assert counted == want, ("counted documents", counted, want)
texts = con.execute("SELECT count(*) FROM read_parquet('tables-parquet/mentions.parquet') "
                "WHERE length(text) = 0 OR \"end\" <= start").fetchone()[0]
assert texts == 0, ("empty mentions", texts)
PY
pass "DuckDB reads the Parquet tables as the JSON Lines tables; documents not duplicates == run's counted articles"

echo "spark.sh: $PASSED passed, 0 failed"
