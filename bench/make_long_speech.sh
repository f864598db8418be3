#!/bin/sh
# Builds the 60-minute 16 kHz mono speech file for bench/prosody_vs_praat by concatenating the real
# speech in ../shared/data (FDA-UE development utterances and speech/*.wav, channel 1, resampled
# with sox) and repeating it. Usage: bench/make_long_speech.sh OUT.wav [DATA_DIR] [MINUTES]
set -eu
out=$1
data=${2:-$(dirname "$0")/../../shared/data}
minutes=${3:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for f in "$data"/pitch/fda_ue_dev/*.wav "$data"/speech/*.wav; do
  i=$((i + 1))
  sox "$f" -r 16000 -c 1 -b 16 "$tmp/$(printf %04d $i).wav" remix 1 2>/dev/null
done
sox "$tmp"/0*.wav "$tmp/once.wav"
once=$(soxi -D "$tmp/once.wav")
reps=$(awk -v o="$once" -v m="$minutes" 'BEGIN { r = int(m * 60 / o); print (r < 1 ? 0 : r) }')
sox "$tmp/once.wav" "$tmp/long.wav" repeat "$reps"
sox "$tmp/long.wav" "$out" trim 0 "$((minutes * 60))"
soxi "$out"
