#!/bin/sh
# CTest fixture setup: a private JACK dummy server and the known-signal feeder (RECIPES.md).
# Usage: jack_start.sh SERVER_NAME STATE_DIR FEEDER_EXE [PERIOD]
# Never fails: when JACK cannot start, the live tests SKIP with the reason in STATE_DIR/skip.
name=$1 state=$2 feeder=$3 period=${4:-256}
mkdir -p "$state"; rm -f "$state/skip"
export JACK_DEFAULT_SERVER="$name" JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
if ! command -v jackd >/dev/null 2>&1; then echo "jackd is not installed (package jackd2)" >"$state/skip"; exit 0; fi
"$(dirname "$0")/jack_stop.sh" "$state" >/dev/null 2>&1
jackd -S -n "$name" -d dummy -r 48000 -p "$period" -C 2 -P 2 >"$state/jackd.log" 2>&1 </dev/null &
echo $! >"$state/jackd.pid"
if ! jack_wait -w -t 10 >/dev/null 2>&1 </dev/null; then
  echo "the JACK dummy server '$name' did not start: $(tail -n 3 "$state/jackd.log" | tr '\n' ' ')" >"$state/skip"; exit 0
fi
"$feeder" dyad_feeder 2 >"$state/feeder.log" 2>&1 </dev/null &
echo $! >"$state/feeder.pid"
i=0
while ! grep -q ready "$state/feeder.log" 2>/dev/null; do
  i=$((i+1)); if [ $i -gt 100 ]; then echo "the feeder did not start: $(cat "$state/feeder.log")" >"$state/skip"; exit 0; fi
  sleep 0.1
done
echo "$name" >"$state/server"
exit 0
