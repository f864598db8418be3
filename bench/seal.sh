#!/usr/bin/env bash
# Time and memory of `dyad seal` / `dyad unseal` with the default key derivation (Argon2id
# "moderate": 256 MiB) on a simulated session, and of the key derivation alone (an empty session
# costs little else). Figures: bench/RESULTS.md "Reliability (issue 14)".
#   bench/seal.sh [DYAD] [MINUTES] [KDF]     defaults: build/bin/dyad 10 moderate
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dyad=${1:-$root/build/bin/dyad}
minutes=${2:-10}
kdf=${3:-moderate}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "correct horse battery staple" >"$work/pass"
"$dyad" simulate "$work/s" --duration $(( minutes * 60 )) --seed 1 >/dev/null
mb() { du -sm "$1" | cut -f1; }
run() {  # label, command...: wall seconds and peak resident memory from /usr/bin/time
  local label=$1
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall rss user sys <"$work/t"
  printf '%-28s wall %6.2f s  CPU %6.2f s  peak RSS %5d MB\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" $(( rss / 1024 ))
}
echo "session: $minutes min simulated, $(mb "$work/s") MB; kdf $kdf"
run "seal" "$dyad" seal "$work/s" --out "$work/s.dyadseal" --passphrase-file "$work/pass" --kdf "$kdf"
echo "archive: $(mb "$work/s.dyadseal") MB"
run "unseal" "$dyad" unseal "$work/s.dyadseal" --out "$work/u" --passphrase-file "$work/pass"
diff -r "$work/s" "$work/u" >/dev/null && echo "unsealed copy: identical"
echo "wrong passphrase" >"$work/wrong"
/usr/bin/time -f "%e %M" -o "$work/t" "$dyad" unseal "$work/s.dyadseal" --out "$work/w" --passphrase-file "$work/wrong" \
  >/dev/null 2>&1 && { echo "a wrong passphrase was accepted" >&2; exit 1; }
# (time writes "Command exited with non-zero status 1" first when the command fails)
read -r wall rss < <(tail -n 1 "$work/t")
printf '%-28s wall %6.2f s  peak RSS %5d MB (refused)\n' "unseal, wrong passphrase" "$wall" $(( rss / 1024 ))
