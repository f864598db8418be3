#!/usr/bin/env bash
# Issue 5's benchmark in real time: `dyad record` on a private JACK dummy server with four 500 Hz
# streams from `dyad simulate-sensors` (100 ppm drift, 0-10 ms delivery jitter) for SECONDS
# (default 1800, the issue's 30 minutes); prints each stream's worst and RMS alignment error
# against the simulator's truth, placed on the session clock with the recorder's own audio fit.
#   bench/sensors_live.sh [SECONDS]        (from the repository root, after a build with tests)
set -euo pipefail
secs=${1:-1800}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DYAD_BIN:-$root/build/bin}
work=$(mktemp -d /tmp/dyad-sensors-live.XXXXXX)
name=dyad_bench_sensors_$$
"$root/tests/capture/jack_start.sh" "$name" "$work/jack" "$bin/dyad_jack_feeder" 256
if [ -f "$work/jack/skip" ]; then cat "$work/jack/skip" >&2; exit 1; fi
trap '"$root/tests/capture/jack_stop.sh" "$work/jack" >/dev/null 2>&1 || true' EXIT
export JACK_DEFAULT_SERVER=$name JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
port=$((20000 + $$ % 20000))
"$bin/dyad" record "$work/s" --device dyad_feeder --channels 1,2 --roles A,B --duration $((secs + 5)) \
  --no-preflight --port "$port" </dev/null >"$work/rec.log" 2>&1 &
rec=$!
for _ in $(seq 100); do grep -q 'sensors: listening' "$work/rec.log" 2>/dev/null && break; sleep 0.1; done
"$bin/dyad" simulate-sensors --port "$port" --streams ecg_A:500,ecg_B:500,ppg_A:500,ppg_B:500 --duration "$secs" \
  --drift-ppm 100 --jitter-ms 10 --seed 3 >"$work/sim.txt" 2>/dev/null
wait "$rec"
python3 - "$work" "$secs" <<'PY'
import json, math, sys, csv
work, secs = sys.argv[1], float(sys.argv[2])
sim = dict(l.rstrip('\n').split('\t', 1) for l in open(work + '/sim.txt') if '\t' in l)
start = float(sim['start_monotonic_s'])
m = json.load(open(work + '/s/session.json'))
cf = m['capture']['clock_fit']
pieces = cf.get('pieces', [])
def delay(s):  # CLOCK_MONOTONIC - session time at session time s
    if not pieces: return cf['monotonic_at_frame0_s']
    p = pieces[0] if s <= pieces[0]['session_end_s'] else next((q for q in pieces if q['session_end_s'] >= s), pieces[-1])
    a, b = p['session_start_s'], p['session_end_s']
    f = (s - a) / (b - a) if b > a else 0
    return p['monotonic_minus_session_at_start_s'] + f * (p['monotonic_minus_session_at_end_s'] - p['monotonic_minus_session_at_start_s'])
def session_of(host):
    s = host - delay(0)
    for _ in range(5): s = host - delay(s)
    return s
print(f"length {secs:.0f} s, audio drift {cf['drift_ppm']:.1f} ppm, {len(pieces)} audio clock pieces, "
      f"dropped audio frames {m['capture'].get('zero_filled_frames', 'n/a')}")
print("stream\tsamples\texpected\tworst_ms\trms_ms\tdrift_ppm_fitted\tresidual_ms")
for st in m['streams']:
    name = st['name']
    side = json.load(open(f"{work}/s/streams/{name}.json"))
    n = 0; worst = 0; ss = 0
    with open(f"{work}/s/streams/{name}.tsv") as f:
        r = csv.reader(f, delimiter='\t'); next(r)
        for row in r:
            t, dev = float(row[0]), float(row[1])
            host = start + (dev - 1000) / (1 + 100e-6)
            e = abs(t - session_of(host)); n += 1; ss += e * e; worst = max(worst, e)
    print(f"{name}\t{n}\t{int(500 * secs)}\t{worst * 1e3:.3f}\t{math.sqrt(ss / max(n, 1)) * 1e3:.3f}\t"
          f"{side['clock']['drift_ppm']:.1f}\t{side['clock'].get('residual_ms', float('nan')):.3f}")
PY
rm -rf "$work/s"
