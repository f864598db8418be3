# Praat 6.3 reference for bench/eval_prosody (voice quality): channel 1 of a sound file ->
#   OUT/pulses.txt     To PointProcess (periodic, cc): 75, 600 (one time per line)
#   OUT/pitch.txt      To Pitch (ac) with the standard settings: f0 per frame (0 unvoiced)
#   OUT/hnr.txt        To Harmonicity (cc): 0.01, 75, 0.1, 1.0 ("time value" per frame, -200 silent)
#   OUT/measures.txt   "name value" lines: jitter and shimmer with Praat's standard settings
#                      (0.0001, 0.02, 1.3, 1.6) over the whole file, the mean HNR, the first frame
#                      times, and the numbers of the Voice report (0, 0, 75, 600, 1.3, 1.6, 0.03, 0.45)
# Usage: praat --run voice.praat in.wav OUTDIR
form Voice
  sentence wav
  sentence outdir
endform
s = Read from file: wav$
n = Get number of channels
if n > 1
  c = Extract one channel: 1
  removeObject: s
  s = c
endif
selectObject: s
p = To Pitch (ac): 0, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
pitch_t1 = Get time from frame number: 1
pitch_frames = Get number of frames
out$ = outdir$ + "/pitch.txt"
deleteFile: out$
for i to pitch_frames
  f = Get value in frame: i, "Hertz"
  if f = undefined
    f = 0
  endif
  appendFileLine: out$, fixed$(f, 6)
endfor
selectObject: s, p
pp = To PointProcess (cc)
np = Get number of points
out$ = outdir$ + "/pulses.txt"
deleteFile: out$
for i to np
  t = Get time from index: i
  appendFileLine: out$, fixed$(t, 9)
endfor
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
selectObject: s
h = To Harmonicity (cc): 0.01, 75, 0.1, 1.0
hnr_t1 = Get time from frame number: 1
nf = Get number of frames
out$ = outdir$ + "/hnr.txt"
deleteFile: out$
for i to nf
  t = Get time from frame number: i
  v = Get value in frame: i
  appendFileLine: out$, fixed$(t, 9), " ", fixed$(v, 6)
endfor
hm = Get mean: 0, 0
selectObject: s, p, pp
vr$ = Voice report: 0, 0, 75, 600, 1.3, 1.6, 0.03, 0.45
out$ = outdir$ + "/measures.txt"
deleteFile: out$
appendFileLine: out$, "pitch_t1 ", fixed$(pitch_t1, 9)
appendFileLine: out$, "pitch_frames ", pitch_frames
appendFileLine: out$, "hnr_frames ", nf
appendFileLine: out$, "hnr_t1 ", fixed$(hnr_t1, 9)
appendFileLine: out$, "pulses ", np
appendFileLine: out$, "jitter_local ", fixed$(jl, 12)
appendFileLine: out$, "jitter_local_abs_s ", fixed$(ja, 12)
appendFileLine: out$, "jitter_rap ", fixed$(jr, 12)
appendFileLine: out$, "jitter_ppq5 ", fixed$(jp, 12)
appendFileLine: out$, "jitter_ddp ", fixed$(jd, 12)
appendFileLine: out$, "shimmer_local ", fixed$(sl, 12)
appendFileLine: out$, "shimmer_local_db ", fixed$(sdb, 12)
appendFileLine: out$, "shimmer_apq3 ", fixed$(s3, 12)
appendFileLine: out$, "shimmer_apq5 ", fixed$(s5, 12)
appendFileLine: out$, "shimmer_apq11 ", fixed$(s11, 12)
appendFileLine: out$, "shimmer_dda ", fixed$(sd, 12)
appendFileLine: out$, "hnr_mean_db ", fixed$(hm, 6)
appendFileLine: out$, "vr_median_hz ", extractNumber(vr$, "Median pitch: ")
appendFileLine: out$, "vr_mean_hz ", extractNumber(vr$, "Mean pitch: ")
appendFileLine: out$, "vr_sd_hz ", extractNumber(vr$, "Standard deviation: ")
appendFileLine: out$, "vr_min_hz ", extractNumber(vr$, "Minimum pitch: ")
appendFileLine: out$, "vr_max_hz ", extractNumber(vr$, "Maximum pitch: ")
appendFileLine: out$, "vr_pulses ", extractNumber(vr$, "Number of pulses: ")
appendFileLine: out$, "vr_periods ", extractNumber(vr$, "Number of periods: ")
appendFileLine: out$, "vr_mean_period_s ", extractNumber(vr$, "Mean period: ")
appendFileLine: out$, "vr_sd_period_s ", extractNumber(vr$, "Standard deviation of period: ")
appendFileLine: out$, "vr_unvoiced_fraction ", extractNumber(vr$, "Fraction of locally unvoiced frames: ")
appendFileLine: out$, "vr_voice_breaks ", extractNumber(vr$, "Number of voice breaks: ")
appendFileLine: out$, "vr_break_degree ", extractNumber(vr$, "Degree of voice breaks: ")
appendFileLine: out$, "vr_jitter_local ", extractNumber(vr$, "Jitter (local): ")
appendFileLine: out$, "vr_jitter_local_abs_s ", extractNumber(vr$, "Jitter (local, absolute): ")
appendFileLine: out$, "vr_jitter_rap ", extractNumber(vr$, "Jitter (rap): ")
appendFileLine: out$, "vr_jitter_ppq5 ", extractNumber(vr$, "Jitter (ppq5): ")
appendFileLine: out$, "vr_jitter_ddp ", extractNumber(vr$, "Jitter (ddp): ")
appendFileLine: out$, "vr_shimmer_local ", extractNumber(vr$, "Shimmer (local): ")
appendFileLine: out$, "vr_shimmer_local_db ", extractNumber(vr$, "Shimmer (local, dB): ")
appendFileLine: out$, "vr_shimmer_apq3 ", extractNumber(vr$, "Shimmer (apq3): ")
appendFileLine: out$, "vr_shimmer_apq5 ", extractNumber(vr$, "Shimmer (apq5): ")
appendFileLine: out$, "vr_shimmer_apq11 ", extractNumber(vr$, "Shimmer (apq11): ")
appendFileLine: out$, "vr_shimmer_dda ", extractNumber(vr$, "Shimmer (dda): ")
appendFileLine: out$, "vr_mean_autocorrelation ", extractNumber(vr$, "Mean autocorrelation: ")
appendFileLine: out$, "vr_mean_nhr ", extractNumber(vr$, "Mean noise-to-harmonics ratio: ")
appendFileLine: out$, "vr_mean_hnr_db ", extractNumber(vr$, "Mean harmonics-to-noise ratio: ")
