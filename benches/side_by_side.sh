#!/usr/bin/env bash
# Side by side: ripgrep, lnav and auditlens on the same generated JSON-lines audit log, in
# one run, on one machine. Prints the median of RUNS runs of each step (wall, CPU, peak RSS
# from /usr/bin/time) and the ratios to lnav's load.
#
#   benches/side_by_side.sh [EVENTS] [FILE]
#
# EVENTS (default 200000) events are generated with ../shared/bench/gen_generic.py into FILE
# (default $TMPDIR/auditlens-bench-EVENTS.jsonl) unless FILE exists. lnav and ripgrep are
# installed with apt when missing. lnav gets a JSON format file for the log (written into
# a private HOME, so the user's lnav setup is untouched), so it parses the fields as
# auditlens does. auditlens is the release build of this tree (built if missing) and every
# first open starts from an empty cache folder. Environment: RUNS (default 3), THREADS
# (auditlens --threads, default: auditlens's own default), AUDITLENS (a binary to use).
set -euo pipefail

events=${1:-200000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/auditlens-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
file=${2:-${TMPDIR:-/tmp}/auditlens-bench-$events.jsonl}
runs=${RUNS:-3}

need() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "installing $2 with apt" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y "$2" >&2
}
need lnav lnav
need rg ripgrep
[ -x /usr/bin/time ] || need /usr/bin/time time

if [ ! -s "$file" ]; then
    gen="$root/../shared/bench/gen_generic.py"
    [ -f "$gen" ] || { echo "no $gen: give an existing FILE" >&2; exit 2; }
    python3 "$gen" "$events" "$file" >&2
fi
bin=${AUDITLENS:-$root/target/release/auditlens}
if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --release --locked >&2)
fi
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")

# lnav: the fields of gen_generic.py, the time, the level and the message.
export HOME="$work/home"
mkdir -p "$HOME/.config/lnav/formats/installed"
cat >"$HOME/.config/lnav/formats/installed/auditlens_generic.json" <<'FMT'
{
  "$schema": "https://lnav.org/schemas/format-v1.schema.json",
  "auditlens_generic": {
    "title": "auditlens generic JSON lines (gen_generic.py)",
    "description": "ML audit events: one JSON object per line",
    "json": true,
    "file-pattern": "\\.jsonl$",
    "timestamp-field": "ts",
    "level-field": "level",
    "level": { "error": "error", "warning": "warn", "info": "info" },
    "body-field": "msg",
    "value": {
      "level": { "kind": "string" },
      "seq": { "kind": "integer" },
      "actor": { "kind": "string", "identifier": true },
      "action": { "kind": "string", "identifier": true },
      "model_id": { "kind": "string", "identifier": true },
      "version": { "kind": "string" },
      "parent": { "kind": "string" },
      "dataset_id": { "kind": "string", "identifier": true },
      "region": { "kind": "string" },
      "msg": { "kind": "string" },
      "details": { "kind": "json" },
      "prev_hash": { "kind": "string" },
      "hash": { "kind": "string" }
    },
    "line-format": [
      { "field": "__timestamp__" }, " ", { "field": "level" }, " ", { "field": "actor" },
      " ", { "field": "action" }, " ", { "field": "msg" }
    ]
  }
}
FMT
export XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
export XDG_STATE_HOME="$work/state"

# measure NAME [--fresh] CMD...: runs CMD $runs times, keeps "wall cpu rss" per run.
declare -A result
measure() {
    local name=$1 fresh=0
    shift
    if [ "$1" = --fresh ]; then
        fresh=1
        shift
    fi
    local samples=()
    for _ in $(seq "$runs"); do
        [ "$fresh" -eq 1 ] && rm -rf "$work/idx"
        /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >"$work/out" 2>"$work/err" || {
            echo "$name failed:" >&2
            tail -5 "$work/err" >&2
            exit 1
        }
        samples+=("$(awk '{printf "%.3f %.3f %d", $1, $2 + $3, $4}' "$work/t")")
    done
    # The median run by wall time.
    result[$name]=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    echo "$name: $(head -c 200 "$work/out" | tr '\n' ' ')" >&2
}

measure rg rg -c NEEDLE_VIOLATION "$file"
measure lnav_load lnav -n -c ';SELECT 1' "$file"
measure lnav_count lnav -n -c ";SELECT count(*) FROM auditlens_generic WHERE action = 'model.deploy'" "$file"
measure al_first --fresh "$bin" stats --no-trail --index-dir "$work/idx" "${threads[@]}" "$file"
measure al_cached "$bin" search --no-trail --index-dir "$work/idx" "$file" action:model.deploy --count
measure al_top100 "$bin" search --no-trail --index-dir "$work/idx" "$file" action:model.deploy
measure al_verify "$bin" search --no-trail --verify-cache --index-dir "$work/idx" "$file" action:model.deploy --count

bytes=$(stat -c %s "$file")
lines=$(wc -l <"$file")
echo
echo "$lines events, $((bytes / 1000000)) MB; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); median of $runs runs"
echo "auditlens $("$bin" --version | awk '{print $2}') $([ ${#threads[@]} -gt 0 ] && echo "--threads $THREADS"); $(lnav -V | head -1); $(rg -V | head -1)"
echo
read -r lw lc _ <<<"${result[lnav_load]}"
printf '| %-58s | %8s | %8s | %9s | %12s | %10s |\n' what wall CPU "peak RSS" "wall / lnav" "CPU / event"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" ---------- ---------- ----------- -------------- ------------
row() {
    local name=$1 label=$2 w c m
    read -r w c m <<<"${result[$name]}"
    printf '| %-58s | %6.2f s | %6.2f s | %6d MB | %12s | %7.1f µs |\n' "$label" "$w" "$c" $((m / 1024)) \
        "$(awk -v a="$w" -v b="$lw" 'BEGIN {printf "%.2f", a / b}')" \
        "$(awk -v c="$c" -v n="$lines" 'BEGIN {printf "%.1f", c * 1e6 / n}')"
}
row rg '`rg -c NEEDLE_VIOLATION`'
row lnav_load 'lnav load (`-n -c ";SELECT 1"`, JSON format)'
row lnav_count 'lnav load + one field count'
row al_first '`auditlens stats` first open (empty cache)'
row al_cached '`auditlens search action:model.deploy --count` (cached)'
row al_top100 '`auditlens search action:model.deploy` (cached, top 100)'
row al_verify '`... --count --verify-cache` (inputs hashed, index read whole)'
