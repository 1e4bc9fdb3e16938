#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 180) each, seeded from seeds/<target> and with
# the matching dictionary. Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
# Needs: rustup toolchain install nightly; cargo install cargo-fuzz. See docs/fuzzing.md.
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:-180}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
dict_for() {
  case "$1" in
    ingest_sgml) echo dicts/sgml.dict ;;
    ingest_html) echo dicts/html.dict ;;
    ingest_json|ingest_jsonl|ingest_stream_jsonl) echo dicts/json.dict ;;
    *) echo dicts/news.dict ;;
  esac
}
cargo +nightly fuzz build -O || exit 1
status=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  seeds=()
  [ -d "seeds/$t" ] && seeds=("seeds/$t")
  echo "== $t: ${secs}s"
  if ! cargo +nightly fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$secs" -max_len=16384 -timeout=20 -rss_limit_mb=4096 \
      -dict="$(dict_for "$t")" -print_final_stats=1 2>&1 | tail -n 12; then
    echo "!! $t found a problem: see artifacts/$t/"
    status=1
  fi
done
exit $status
