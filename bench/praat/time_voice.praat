# Praat 6.3 side of bench/prosody_vs_praat (the whole prosody set, issue 9): read a sound, then
# To Pitch (ac) (standard settings, 0.01 s), To Intensity (75 Hz, 0.01 s, subtract mean),
# To PointProcess (cc) from that pitch with jitter (5 kinds) and shimmer (6 kinds) over the whole
# file (standard settings), and To Harmonicity (cc) (0.01 s, 75 Hz, 0.1, 1.0) with its mean;
# prints the seconds each took and the numbers.
# Usage: praat --run time_voice.praat in.wav
form Time the voice set
  sentence wav
endform
s = Read from file: wav$
stopwatch
p = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
tp = stopwatch
selectObject: s
it = To Intensity: 75, 0.01, "yes"
ti = stopwatch
selectObject: s, p
pp = To PointProcess (cc)
np = Get number of points
jl = Get jitter (local): 0, 0, 0.0001, 0.02, 1.3
ja = Get jitter (local, absolute): 0, 0, 0.0001, 0.02, 1.3
jr = Get jitter (rap): 0, 0, 0.0001, 0.02, 1.3
jp = Get jitter (ppq5): 0, 0, 0.0001, 0.02, 1.3
jd = Get jitter (ddp): 0, 0, 0.0001, 0.02, 1.3
selectObject: s, pp
sl = Get shimmer (local): 0, 0, 0.0001, 0.02, 1.3, 1.6
sdb = Get shimmer (local_dB): 0, 0, 0.0001, 0.02, 1.3, 1.6
s3 = Get shimmer (apq3): 0, 0, 0.0001, 0.02, 1.3, 1.6
s5 = Get shimmer (apq5): 0, 0, 0.0001, 0.02, 1.3, 1.6
s11 = Get shimmer (apq11): 0, 0, 0.0001, 0.02, 1.3, 1.6
sd = Get shimmer (dda): 0, 0, 0.0001, 0.02, 1.3, 1.6
tv = stopwatch
selectObject: s
h = To Harmonicity (cc): 0.01, 75, 0.1, 1.0
hm = Get mean: 0, 0
th = stopwatch
writeInfoLine: "pitch_s ", fixed$(tp, 3), " intensity_s ", fixed$(ti, 3), " pulses_jitter_shimmer_s ", fixed$(tv, 3),
  ... " harmonicity_s ", fixed$(th, 3), " pulses ", np, " jitter_local ", fixed$(jl, 6), " shimmer_local ", fixed$(sl, 6),
  ... " hnr_db ", fixed$(hm, 3)
