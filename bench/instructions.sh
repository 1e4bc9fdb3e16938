#!/usr/bin/env bash
# Instructions per stage of `newstrack run`, counted by valgrind (callgrind), not timed: the
# same binary on the same input gives the same counts on a busy machine, so a change of a
# few percent shows where a timed run only shows noise. Also prints the misses of a
# simulated 32 KB L1 and 512 KB L2 cache (one core of the machine these numbers were taken
# on), which decide the time of the memory-bound parts (the word-form table).
#
#   bash bench/instructions.sh [--mb N] [--skip MB] [BIN...]
#
# Runs each BIN (default: a `--profile profiling` build of this checkout) with one thread and
# --no-state on N MB (default 5) of the benchmark corpus, starting SKIP MB into it (default
# 0; the start is the original Reuters bodies, further in the shuffled variants), and prints
# one column per binary. Needs valgrind. Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

MB=5
SKIP=0
BINS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) MB=$2; shift 2 ;;
        --skip) SKIP=$2; shift 2 ;;
        *) BINS+=("$1"); shift ;;
    esac
done
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
if [ ${#BINS[@]} -eq 0 ]; then
    cargo build --quiet --profile profiling --bin newstrack
    BINS=(target/profiling/newstrack)
fi
BENCH_DIR=${BENCH_DIR:-bench/data}
PIPELINE=${PIPELINE:-pipelines/trade-1987.toml}
corpus=$BENCH_DIR/corpus-100mb.jsonl
if [ ! -s "$corpus" ]; then
    cargo build --quiet --release --example bench-corpus
    target/release/examples/bench-corpus --out "$corpus" --mb 100 >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Whole lines only: from the first line starting at or after SKIP MB, while within MB.
python3 - "$corpus" "$SKIP" "$MB" "$work/slice.jsonl" <<'EOF'
import sys
path, skip, mb, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(path, "rb") as f, open(out, "wb") as o:
    f.seek(skip * 1_000_000)
    if skip:
        f.readline()
    left = mb * 1_000_000
    for line in f:
        if len(line) > left:
            break
        o.write(line)
        left -= len(line)
EOF

outs=()
for i in "${!BINS[@]}"; do
    out=$work/callgrind.$i
    valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --LL=524288,8,64 \
        --callgrind-out-file="$out" "${BINS[$i]}" run -q -p "$PIPELINE" --threads 1 --no-state \
        -o "$work/out.$i" "$work/slice.jsonl" > "$work/log.$i" 2>&1 \
        || { cat "$work/log.$i" >&2; exit 1; }
    outs+=("$out")
done

python3 - "$work/slice.jsonl" "${BINS[@]}" -- "${outs[@]}" <<'EOF'
import json, re, subprocess, sys
args = sys.argv[1:]
slice_path = args[0]
sep = args.index("--")
bins, outs = args[1:sep], args[sep + 1:]
text = sum(len(json.loads(l).get("text", "").encode()) for l in open(slice_path))
# (label, functions whose inclusive cost is the stage's: the largest found counts, since
# inlining decides which of them is a symbol in a given build)
STAGES = [
    ("JSON ingest", ["newstrack::ingest::json::parse_jsonl_line"]),
    ("analysis (split, words, forms, sentences)", ["newstrack::analyze::Analyzer::analyze"]),
    ("  of which splitting", ["<newstrack::analyze::fast::FastSplitter as newstrack::analyze::splitter::PreTokenizer>::split"]),
    ("  of which new forms (stemming)", ["newstrack::analyze::forms::Forms::insert"]),
    ("tagging", ["newstrack::tag::lexicon::Lexicon::find_cached"]),
    ("summaries", ["newstrack::aggregate::summary::summarize"]),
    ("  of which unlisted names", ["newstrack::aggregate::names::extract_with"]),
    ("  of which duplicate hash", ["newstrack::ingest::clean::content_hash", "newstrack::ingest::clean::hash_with"]),
    ("fold", ["newstrack::pipeline::fold_file"]),
    ("reports", ["newstrack::report::write_selected"]),
]
def parse(out):
    rep = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                         capture_output=True, text=True, check=True).stdout
    events, incl, totals = None, {}, None
    for line in rep.splitlines():
        if line.startswith("Events shown:"):
            events = line.split(":", 1)[1].split()
            continue
        # "1,234 (5.6%)  2,345 (...)  file:function [object]", the percentages optional.
        m = re.match(r"\s*((?:[\d,]+(?:\s+\(\s*[\d.]+%\))?\s+)+)(.*)", line)
        if not m or events is None:
            continue
        nums = [int(x.replace(",", "")) for x in re.sub(r"\(\s*[\d.]+%\)", "", m.group(1)).split()]
        if len(nums) != len(events):
            continue
        rest = m.group(2)
        if "PROGRAM TOTALS" in rest:
            totals = dict(zip(events, nums))
            continue
        sym = rest.split(":", 1)[-1].rsplit(" [", 1)[0].strip()
        incl.setdefault(sym, dict(zip(events, nums)))
    return totals, incl
runs = [parse(o) for o in outs]
w = 22
print(f"{text / 1e6:.1f} MB of article text; instructions (Ir), one thread, --no-state")
print(f"{'':44}" + "".join(f"{b[-(w - 2):]:>{w}}" for b in bins))
def row(label, vals):
    print(f"{label:44}" + "".join(f"{v:>{w}}" for v in vals))
row("total instructions", [f"{t['Ir']:,}" for t, _ in runs])
row("instructions per byte of text", [f"{t['Ir'] / text:.1f}" for t, _ in runs])
row("L1 data misses (32 KB, simulated)", [f"{t['D1mr'] + t['D1mw']:,}" for t, _ in runs])
row("L2 data misses (512 KB, simulated)", [f"{t['DLmr'] + t['DLmw']:,}" for t, _ in runs])
for label, fns in STAGES:
    vals = []
    for t, inc in runs:
        v = max(inc.get(f, {}).get("Ir", 0) for f in fns)
        vals.append(f"{v / t['Ir']:.1%}")
    row(label, vals)
if len(runs) > 1:
    base = runs[0][0]["Ir"]
    row("instructions ÷ first column", [f"{t['Ir'] / base:.3f}" for t, _ in runs])
EOF
