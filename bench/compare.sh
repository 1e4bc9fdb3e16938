#!/usr/bin/env bash
# Side-by-side benchmark: newstrack against spaCy PhraseMatcher, FlashText, an aho-corasick
# DFA scan (the matching limit) and `cat > /dev/null` (the read limit), on the same scaled
# JSONL corpus and the same phrase list. Prints one table (docs/performance.md explains it).
#
#   bash bench/compare.sh [SIZES_MB...]        default: 100 500
#
# Environment: PEERS_MAX_MB (default 100): spaCy and FlashText run on sizes up to this only
# (spaCy does about 1 MB/s); THREADS (default "1 2"); BENCH_DIR (default bench/data);
# PIPELINE (default pipelines/trade-1987.toml); FOLDER_MB (default 100, 0 for none): the
# first that many MB of articles also as a folder of one .txt file per article, the way
# users drop articles into folders (warm, and its first run once more with its pages
# dropped from the cache: "cold"); REPEAT (default 1): runs of every timed command, the row
# keeping the median (on a shared or noisy host, 3 or 5). Where `taskset` exists, newstrack
# also runs once per size as users run it on one thread pinned to one core ("one core"):
# with the state, one worker thread still leaves the state's writer a second core, so
# "1 → 2 threads" compares 1.2 cores with 2, and "1 core → 2 threads" says how the run
# scales with cores. Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100 500)
PEERS_MAX_MB=${PEERS_MAX_MB:-100}
THREADS=${THREADS:-"1 2"}
BENCH_DIR=${BENCH_DIR:-bench/data}
PIPELINE=${PIPELINE:-pipelines/trade-1987.toml}
FOLDER_MB=${FOLDER_MB:-100}
REPEAT=${REPEAT:-1}
VENV=$BENCH_DIR/venv
RESULTS=$BENCH_DIR/results.jsonl
mkdir -p "$BENCH_DIR"
: > "$RESULTS"

echo "== building (release)" >&2
cargo build --release --quiet --bin newstrack --example bench-corpus --example ac-scan
NT=target/release/newstrack
GEN=target/release/examples/bench-corpus
AC=target/release/examples/ac-scan

# The first core this shell may run on, for the "one core" rows (none without taskset).
CORE=
if command -v taskset > /dev/null; then
    CORE=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "== installing spaCy and FlashText into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet spacy flashtext
fi
PY=$VENV/bin/python

# warm PATH: reads a file, or every file of a folder, into the page cache.
warm() {
    if [ -d "$1" ]; then
        find "$1" -type f -print0 | xargs -0 cat > /dev/null
    else
        cat "$1" > /dev/null
    fi
}

# cold PATH: drops a file's, or every file of a folder's, pages from the page cache
# (posix_fadvise DONTNEED; no root needed), as for a first run over an archive nobody read
# lately. Inodes and directories stay cached.
cold() {
    python3 - "$1" <<'EOF'
import os, sys
paths = [sys.argv[1]] if os.path.isfile(sys.argv[1]) else [
    os.path.join(r, f) for r, _, fs in os.walk(sys.argv[1]) for f in fs]
for p in paths:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
EOF
}

# How time_json prepares the corpus before each tool: warm (the default) or cold.
PREPARE=warm

# BEFORE_EACH: a command time_json evaluates before each repetition (time_newstrack clears the
# out folder with it, so that every repetition of a first run is a first run).
BEFORE_EACH=

# time_json TOOL THREADS SIZE CMD...: runs CMD under /usr/bin/time REPEAT times and records
# the run with the median wall time (its CPU time and output; the peak RSS is the largest of
# all runs, the fastest and slowest wall times go along as the spread) into $RESULTS, with
# the tool's own JSON line when it prints one.
time_json() {
    local tool=$1 threads=$2 size=$3
    shift 3
    local dir i
    dir=$(mktemp -d)
    for ((i = 0; i < REPEAT; i++)); do
        if [ -n "$BEFORE_EACH" ]; then eval "$BEFORE_EACH"; fi
        # Every tool reads from memory: the host may drop the page cache between runs (a 1 GB
        # `cat` once read cold in the middle of a run), so the corpus is read again first;
        # rows marked "cold" drop it instead.
        "$PREPARE" "$corpus"
        /usr/bin/time -f '%e %M %U %S' -o "$dir/time.$i" "$@" > "$dir/out.$i"
    done
    "$PY" - "$tool" "$threads" "$size" "$dir" "$REPEAT" >> "$RESULTS" <<'EOF'
import json, sys
tool, threads, size, d, n = sys.argv[1:]
runs = []
for i in range(int(n)):
    secs, rss, user, sys_ = open(f"{d}/time.{i}").read().split()[-4:]
    runs.append((float(secs), int(rss), float(user) + float(sys_), i))
by_time = sorted(runs)
secs, _, cpu, i = by_time[(len(runs) - 1) // 2]
row = {"tool": tool, "threads": int(threads), "size_mb": int(size), "seconds": secs,
       "rss_kb": max(r[1] for r in runs), "cpu_seconds": cpu}
if len(runs) > 1:
    row.update({"runs": len(runs), "min_seconds": by_time[0][0], "max_seconds": by_time[-1][0]})
try:
    last = [l for l in open(f"{d}/out.{i}") if l.startswith("{")][-1]
    own = json.loads(last)
    row.update({k: own[k] for k in ("docs", "text_bytes", "matches", "phrases") if k in own})
except (IndexError, ValueError):
    pass
print(json.dumps(row))
EOF
    rm -rf "$dir"
}

for size in "${SIZES[@]}"; do
    corpus=$BENCH_DIR/corpus-${size}mb.jsonl
    if [ ! -s "$corpus" ]; then
        echo "== generating $corpus" >&2
        "$GEN" --out "$corpus" --mb "$size" >&2
    fi
done

# The phrase list: every distinct text newstrack tags in the first 20,000 articles (the
# original Reuters bodies), lowercased with whitespace collapsed. Stems, `*` prefixes and
# dotted acronyms thus become the literal word forms they matched, so the peers look for the
# same things newstrack finds; what they still cannot do (capital-letter rules, sentence and
# punctuation barriers, exclusions) shows up as a difference in match counts.
PHRASES=$BENCH_DIR/phrases.txt
first=$BENCH_DIR/corpus-${SIZES[0]}mb.jsonl
head -n 20000 "$first" > "$BENCH_DIR/base.jsonl"
"$NT" tag -p "$PIPELINE" --format jsonl "$BENCH_DIR/base.jsonl" 2>/dev/null \
    | "$PY" -c '
import json, sys
seen = set()
for line in sys.stdin:
    seen.add(" ".join(json.loads(line)["text"].lower().split()))
print("\n".join(sorted(seen)))' > "$PHRASES"
rm -f "$BENCH_DIR/base.jsonl"
echo "== $(wc -l < "$PHRASES") phrases from $PIPELINE" >&2

# add_counts OUT: adds the mentions counted (the sum of trends.csv; every benchmark article
# is dated), the records read and the size of the state file (if any) of the newstrack run
# that wrote OUT to its result row.
add_counts() {
    "$PY" - "$1" "$RESULTS" <<'EOF'
import csv, json, os, sys
out, results = sys.argv[1:]
rows = [json.loads(l) for l in open(results)]
s = json.load(open(f"{out}/summary.json"))
rows[-1]["matches"] = sum(int(r["mentions"]) for r in csv.DictReader(open(f"{out}/trends.csv")))
rows[-1]["docs"] = s["records"]["read"]
if os.path.exists(f"{out}/newstrack.db"):
    rows[-1]["state_mb"] = os.path.getsize(f"{out}/newstrack.db") / 1e6
open(results, "w").write("".join(json.dumps(r) + "\n" for r in rows))
EOF
}

# time_newstrack LABEL TAG SIZE THREADS OUT: newstrack on $corpus as users run it (the
# incremental state written to the out folder, a fresh one each time, or the state of the
# last benchmark would be reused); then again into the same folder with nothing changed, as
# users re-run it (every stored result reused, nothing analysed again, the reports written
# anew); with a state that keeps no analyst tables (`--analyst-tables off`: what re-runs
# need only); and with --no-state (reports only). TAG is appended to the tool's name.
time_newstrack() {
    local label=$1 tag=$2 size=$3 t=$4 out=$5
    local variant extra
    for variant in newstrack "newstrack --analyst-tables off" "newstrack --no-state"; do
        echo "== $label: $variant, $t threads" >&2
        read -r -a extra <<< "${variant#newstrack}"
        BEFORE_EACH="rm -rf '$out'"
        time_json "$variant$tag" "$t" "$size" "$NT" run -q -p "$PIPELINE" --threads "$t" "${extra[@]}" -o "$out" "$corpus"
        BEFORE_EACH=
        add_counts "$out"
        if [ "$variant" = newstrack ]; then
            echo "== $label: newstrack re-run, nothing changed, $t threads" >&2
            time_json "newstrack re-run$tag" "$t" "$size" "$NT" run -q -p "$PIPELINE" --threads "$t" -o "$out" "$corpus"
            add_counts "$out"
        fi
    done
}

for size in "${SIZES[@]}"; do
    corpus=$BENCH_DIR/corpus-${size}mb.jsonl
    echo "== $size MB: cat" >&2
    time_json "cat > /dev/null" 1 "$size" cat "$corpus"
    for t in $THREADS; do
        time_newstrack "$size MB" "" "$size" "$t" "$BENCH_DIR/report-$size-$t"
        echo "== $size MB: aho-corasick DFA, $t threads" >&2
        time_json "aho-corasick DFA" "$t" "$size" "$AC" --phrases "$PHRASES" --threads "$t" "$corpus"
    done
    if [ -n "$CORE" ]; then
        echo "== $size MB: newstrack, 1 thread on core $CORE" >&2
        out=$BENCH_DIR/report-$size-core
        BEFORE_EACH="rm -rf '$out'"
        time_json "newstrack, one core" 1 "$size" taskset -c "$CORE" "$NT" run -q -p "$PIPELINE" --threads 1 -o "$out" "$corpus"
        BEFORE_EACH=
        add_counts "$out"
    fi
    if [ "$size" -le "$PEERS_MAX_MB" ]; then
        for t in $THREADS; do
            echo "== $size MB: FlashText, $t processes" >&2
            time_json FlashText "$t" "$size" "$PY" bench/peers.py flashtext "$PHRASES" "$corpus" --procs "$t"
            echo "== $size MB: spaCy PhraseMatcher, $t processes" >&2
            time_json "spaCy PhraseMatcher" "$t" "$size" "$PY" bench/peers.py spacy "$PHRASES" "$corpus" --procs "$t"
        done
    fi
done

# The same articles as a folder of one-article .txt files (front matter: title, date):
# every file is a unit of work, a stat, an open and a row in the state, where the JSONL
# corpus has one file in 1 MB chunks.
if [ "$FOLDER_MB" -gt 0 ]; then
    corpus=$BENCH_DIR/folder-${FOLDER_MB}mb
    source=$BENCH_DIR/corpus-${FOLDER_MB}mb.jsonl
    if [ ! -d "$corpus" ]; then
        [ -s "$source" ] || "$GEN" --out "$source" --mb "$FOLDER_MB" >&2
        echo "== writing $corpus (one file per article of $source)" >&2
        rm -rf "$corpus.tmp"
        "$PY" - "$source" "$corpus.tmp" <<'EOF'
import json, os, sys
source, out = sys.argv[1:]
with open(source) as f:
    for n, line in enumerate(f):
        r = json.loads(line)
        d = os.path.join(out, f"d{n // 1000:04d}")
        if n % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        title = " ".join(r.get("title", "").split())
        with open(os.path.join(d, f"a{n:07d}.txt"), "w") as o:
            o.write(f"---\ntitle: {title}\ndate: {r['date']}\n---\n{r['text']}")
EOF
        mv "$corpus.tmp" "$corpus"
    fi
    label="$FOLDER_MB MB as files"
    echo "== $label: cat" >&2
    time_json "cat every file" 1 "$FOLDER_MB" sh -c "find '$corpus' -type f -print0 | xargs -0 cat > /dev/null"
    for t in $THREADS; do
        time_newstrack "$label" ", folder" "$FOLDER_MB" "$t" "$BENCH_DIR/report-folder-$t"
    done
    # The first run again with the articles' pages dropped from the cache (on 2 threads):
    # the disk's latency, not the CPU, then decides, and newstrack reads ahead of its
    # workers (src/ingest/readahead.rs).
    PREPARE=cold
    echo "== $label, cold: cat" >&2
    time_json "cat every file, cold" 1 "$FOLDER_MB" sh -c "find '$corpus' -type f -print0 | xargs -0 cat > /dev/null"
    echo "== $label, cold: newstrack, 2 threads" >&2
    BEFORE_EACH="rm -rf '$BENCH_DIR/report-folder-cold'"
    time_json "newstrack, folder, cold" 2 "$FOLDER_MB" "$NT" run -q -p "$PIPELINE" --threads 2 -o "$BENCH_DIR/report-folder-cold" "$corpus"
    BEFORE_EACH=
    add_counts "$BENCH_DIR/report-folder-cold"
    PREPARE=warm
fi

"$PY" - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
nt = {(r["size_mb"], r["threads"]): r for r in rows if r["tool"] == "newstrack"}
best = {}
for (size, t), r in nt.items():
    if t == 2 or size not in best:
        best[size] = r
runs = max(r.get("runs", 1) for r in rows)
if runs > 1:
    print(f"Each row: the median of {runs} runs (wall seconds, fastest–slowest in brackets; peak RSS: the largest).")
    print()
print("| corpus | tool | threads | seconds | MB/s | docs/s | CPU s | MB per CPU s | peak RSS MB | matches | newstrack (2 thr) ÷ tool |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    mbs = r["size_mb"] / r["seconds"] if r["seconds"] else float("inf")
    docs = r.get("docs")
    dps = f'{docs / r["seconds"]:,.0f}' if docs and r["seconds"] else ""
    ref = best.get(r["size_mb"])
    ratio = ""
    if ref and r["seconds"]:
        ratio = f'{(ref["size_mb"] / ref["seconds"]) / mbs:.2f}×'
    cpu = r.get("cpu_seconds", 0.0)
    per_cpu = f'{r["size_mb"] / cpu:,.1f}' if cpu > 0 else ""
    secs = f'{r["seconds"]:.2f}'
    if r.get("runs", 1) > 1:
        secs += f' ({r["min_seconds"]:.2f}–{r["max_seconds"]:.2f})'
    print(f'| {r["size_mb"]} MB | {r["tool"]} | {r["threads"]} | {secs} | {mbs:,.1f} | {dps} '
          f'| {cpu:.2f} | {per_cpu} | {r["rss_kb"] / 1024:.0f} | {r.get("matches", "")} | {ratio} |')
print()
for size in sorted({r["size_mb"] for r in rows}):
    ac = {(r["threads"]): r for r in rows if r["tool"] == "aho-corasick DFA" and r["size_mb"] == size}
    for variant in ("newstrack", "newstrack --analyst-tables off", "newstrack --no-state"):
        v = {r["threads"]: r for r in rows if r["tool"] == variant and r["size_mb"] == size}
        one, two = v.get(1), v.get(2)
        if one and two:
            print(f"{size} MB: {variant} 1 → 2 threads: {one['seconds'] / two['seconds']:.2f}×")
        core = next((r for r in rows if r["tool"] == "newstrack, one core" and r["size_mb"] == size), None)
        if variant == "newstrack" and core and two:
            used = f" (1 thread, not pinned, kept {one['cpu_seconds'] / one['seconds']:.2f} cores busy)" if one else ""
            print(f"{size} MB: {variant} 1 core → 2 threads: {core['seconds'] / two['seconds']:.2f}×{used}")
        if two and 2 in ac:
            print(f"{size} MB: {variant} at {ac[2]['seconds'] / two['seconds']:.0%} of the aho-corasick DFA scan (2 threads)")
    # What the issue's ratio targets ask in MB/s on this machine, beside the scan that only
    # parses, lowercases and matches: a ratio target above the scan is out of reach of any
    # tool that reads the same JSON, whatever it does after.
    two = {r["tool"]: r for r in rows if r["size_mb"] == size and r["threads"] == 2}
    scan = two.get("aho-corasick DFA")
    asks = [(f"{k}× {tool}", k * size / two[tool]["seconds"]) for tool, k in
            (("spaCy PhraseMatcher", 100), ("FlashText", 15)) if tool in two]
    if scan and scan["seconds"] and asks:
        mb = size / scan["seconds"]
        print(f"{size} MB: targets in MB/s (2 threads): " + ", ".join(f"{a} = {v:,.0f}" for a, v in asks)
              + f", 75% of the scan = {0.75 * mb:,.0f}, the scan itself = {mb:,.0f}")
    first = {r["threads"]: r for r in rows if r["tool"] == "newstrack" and r["size_mb"] == size}
    for r in rows:
        if r["tool"] == "newstrack re-run" and r["size_mb"] == size and r["threads"] in first:
            f = first[r["threads"]]
            print(f"{size} MB: a re-run with nothing changed, {r['threads']} thread(s): {r['seconds']:.2f} s, "
                  f"{r['seconds'] / f['seconds']:.0%} of the first run's {f['seconds']:.2f} s")
    states = [(r["tool"], r["state_mb"]) for r in rows
              if r["size_mb"] == size and r["threads"] == 2 and "state_mb" in r and "re-run" not in r["tool"]]
    for tool, mb in states:
        print(f"{size} MB: state file after {tool}, 2 threads: {mb:,.1f} MB")
    for variant in ("newstrack", "newstrack re-run", "newstrack --analyst-tables off", "newstrack --no-state"):
        v = {r["threads"]: r for r in rows if r["tool"] == variant and r["size_mb"] == size}
        f = {r["threads"]: r for r in rows if r["tool"] == variant + ", folder" and r["size_mb"] == size}
        for t in sorted(set(v) & set(f)):
            print(f"{size} MB as one file per article: {variant}, {t} thread(s): {f[t]['seconds']:.2f} s, "
                  f"{f[t]['seconds'] / v[t]['seconds']:.2f}× the time of the JSONL file")
print()
print("load average during the run:", open("/proc/loadavg").read().split()[:3])
EOF
