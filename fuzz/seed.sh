#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ (git-ignored) from sample-data/ and, when present,
# ../shared/realdata/. Copies are made at run time and never committed. Large files are cut
# to their first lines so that each input stays small (the fuzzer mutates small inputs
# fastest). With a built binary (target/release/auditlens) it also writes a small sealed,
# signed sample bundle and its tampered copies, so that the verifier seeds carry valid
# hashes and a signature the demo trust store accepts.
#
# Usage: fuzz/seed.sh            (from anywhere; idempotent)
set -eu  # no pipefail: `head` closing a pipe early is expected here
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
corpus="$here/corpus"
realdata="${AUDITLENS_SHARED:-$repo/../shared}/realdata"
targets=(json_lines scan_document decode sources bundle query mask)
for t in "${targets[@]}"; do mkdir -p "$corpus/$t"; done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The data files: sample bundle streams and every realdata file.
files=()
while IFS= read -r f; do files+=("$f"); done < <(
  find "$repo/sample-data" -type f \( -name '*.jsonl' -o -name '*.json' \) | sort
  if [ -d "$realdata" ]; then
    find "$realdata" -type f ! -name 'README.md' | sort
  else
    echo "seed.sh: skipping realdata: $realdata is absent" >&2
  fi
)

# name for a seed: a short digest of its bytes (the name libFuzzer uses too)
put() { # put TARGET FILE
  local sum
  sum="$(sha1sum "$2" | cut -c1-40)"
  cp "$2" "$corpus/$1/$sum"
}

# head of a file: whole when small, else its first 40 lines (at most 64 KiB)
head_of() { # head_of FILE OUT
  if [ "$(stat -c %s "$1")" -le 16384 ]; then
    cp "$1" "$2"
  else
    head -n 40 "$1" | head -c 65536 >"$2"
  fi
}

n=0
for f in "${files[@]}"; do
  n=$((n + 1))
  head_of "$f" "$tmp/h"
  for t in json_lines scan_document mask; do put "$t" "$tmp/h"; done
  # sources: mode 0 (plain file) and mode 1 (gzipped by the target)
  { printf '\0'; cat "$tmp/h"; } >"$tmp/s0" && put sources "$tmp/s0"
  { printf '\1'; cat "$tmp/h"; } >"$tmp/s1" && put sources "$tmp/s1"
  # decode: single records (the first lines of a JSON-lines file, or a whole document)
  if [ "$(head -c 1 "$f")" = "{" ] && [ "$(wc -l <"$f")" -gt 1 ] && head -n 1 "$f" | grep -q '}$'; then
    head -n 5 "$f" | while IFS= read -r line; do
      printf '%s' "$line" >"$tmp/r" && put decode "$tmp/r"
    done
  else
    put decode "$tmp/h"
  fi
done

# A bundle folder as one container input: MODE byte, then `name\ncontent` members joined
# by two NUL bytes (see src/fuzzing.rs). Stream members are cut to their first lines.
pack() { # pack MODE DIR OUT [LINES]
  local mode="$1" dir="$2" out="$3" lines="${4:-12}"
  printf "\\$(printf '%03o' "$mode")" >"$out"
  (cd "$dir" && find . -type f | sed 's|^\./||' | sort) | while IFS= read -r rel; do
    printf '%s\n' "$rel" >>"$out"
    case "$rel" in
      streams/*) head -n "$lines" "$dir/$rel" >>"$out" ;;
      *) cat "$dir/$rel" >>"$out" ;;
    esac
    printf '\0\0' >>"$out"
  done
}

bundles=("$repo/sample-data/pristine")
bin="$repo/target/release/auditlens"
if [ -x "$bin" ]; then
  "$bin" sample --events 40 --out "$tmp/small" --tampered-out "$tmp/tampered" >/dev/null 2>&1 || true
  [ -d "$tmp/small" ] && bundles+=("$tmp/small")
  for d in "$tmp"/tampered/*/; do [ -d "$d" ] && bundles+=("${d%/}"); done
  for d in "$tmp"/tampered/*.tar.gz; do
    [ -f "$d" ] || continue
    mkdir -p "$tmp/x/$(basename "$d")" && tar -xzf "$d" -C "$tmp/x/$(basename "$d")"
    for inner in "$tmp/x/$(basename "$d")"/*/; do [ -d "$inner" ] && bundles+=("${inner%/}"); done
  done
else
  echo "seed.sh: skipping sealed sample seeds: $bin is not built" >&2
fi
for b in "${bundles[@]}"; do
  for mode in 0 2 3; do
    pack "$mode" "$b" "$tmp/b" 40 && put bundle "$tmp/b"
    pack "$mode" "$b" "$tmp/b" 12 && put bundle "$tmp/b"
  done
  pack 2 "$b" "$tmp/b" 12 && put sources "$tmp/b"
  pack 3 "$b" "$tmp/b" 12 && put sources "$tmp/b"
done

# queries: the README's examples and the shapes the alerts generate
while IFS= read -r q; do
  printf '%s' "$q" >"$tmp/q" && put query "$tmp/q"
done <<'EOF'
*
model.deploy
action:model.deploy AND outcome:failure
actor.id:alice OR actor.id:bob
NOT severity:info
"deployed fraud"
ts:[2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z]
seq:[10 TO 20]
ord:12 OR ord:40 OR ord:7
ord: IN [1 2 3]
details.metrics.auc:>0.9
resource.id:* -environment:production
integrity:verified
(a OR b) AND -c
a\0b
title:x^2
fraud~1
EOF

for t in "${targets[@]}"; do
  echo "seed.sh: $t: $(find "$corpus/$t" -type f | wc -l) seeds"
done
