#!/bin/sh
# CTest fixture cleanup: stops the feeder and the JACK server jack_start.sh started (by pid).
state=$1
for p in feeder jackd; do
  if [ -f "$state/$p.pid" ]; then
    pid=$(cat "$state/$p.pid"); kill "$pid" 2>/dev/null
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    kill -9 "$pid" 2>/dev/null; rm -f "$state/$p.pid"
  fi
done
rm -f "$state/server"
exit 0
