#!/usr/bin/env bash
# Gross pitch error of `dyad analyze` on simulated voices against the simulator's exact F0
# (issue 8: GPE <= 1 % at 20 dB SNR). For each SNR: `dyad simulate` (300 s by default, -10 dB
# crosstalk, which does not reach the frames scored: nobody else talks there), `dyad analyze --no-voice-quality`, then features/pitch_<role>.tsv against
# truth/pitch_<role>.tsv on frames voiced 30 ms either side, inside the partner's own talkspurt
# and 50 ms from anyone else's. Prints per role: frames, frames dyad called unvoiced, GPE
# (> 20 % off), FPE (mean relative error of the rest).
#   bench/eval_pitch_sim.sh [SECONDS] [SNR_DB...]      (default 300 s at 30, 20 and 10 dB; build/bin/dyad)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dyad="$root/build/bin/dyad"
secs=${1:-300}
shift || true
snrs=("$@")
[ ${#snrs[@]} -eq 0 ] && snrs=(30 20 10)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| SNR | role | frames | unvoiced by dyad | GPE | FPE |"
echo "|---|---|---|---|---|---|"
for xt in "${snrs[@]}"; do
  "$dyad" simulate "$tmp/s$xt" --duration "$secs" --snr-db "$xt" --crosstalk-db -10 --seed 7 >/dev/null 2>&1
  "$dyad" analyze "$tmp/s$xt" --no-voice-quality >/dev/null 2>&1
  python3 - "$tmp/s$xt" "$xt" <<'PY'
import bisect, csv, sys
d, xt = sys.argv[1], sys.argv[2]
def tab(p):
    r = list(csv.reader(open(p), delimiter='\t'))
    return r[1:]
segs = [(s[0], float(s[1]), float(s[2])) for s in tab(d + '/truth/segments.tsv')]
for role in ['A', 'B']:
    tr, ft = tab(d + f'/truth/pitch_{role}.tsv'), tab(d + f'/features/pitch_{role}.tsv')
    ft_t = [float(r[0]) for r in ft]
    own = [(a, b) for (r, a, b) in segs if r == role]
    other = [(a, b) for (r, a, b) in segs if r != role]
    n = unv = g = 0
    fine = []
    for i in range(3, len(tr) - 3):
        t = float(tr[i][0])
        if not all(tr[i + k][2] == '1' for k in range(-3, 4)): continue
        if not any(a + 0.05 <= t <= b - 0.05 for a, b in own): continue
        if any(a - 0.05 < t < b + 0.05 for a, b in other): continue
        j = bisect.bisect_left(ft_t, t - 0.005)
        if j >= len(ft_t) or abs(ft_t[j] - t) > 0.006: continue
        n += 1
        if ft[j][2] != '1': unv += 1; continue
        f, ref = float(ft[j][1]), float(tr[i][1])
        if abs(f - ref) > 0.2 * ref: g += 1
        else: fine.append(abs(f - ref) / ref)
    print(f"| {xt} dB | {role} | {n} | {unv} | {100 * g / max(1, n - unv):.2f} % | {100 * sum(fine) / max(1, len(fine)):.2f} % |")
PY
done
