# Syllable nuclei as de Jong & Wempe (2009) detect them ("Praat script to detect syllable nuclei
# and measure speech rate automatically", Behavior Research Methods 41: 385-390), written here after
# the procedure of their published script (2008 version) with its defaults: intensity with a 50 Hz
# floor; peaks of the intensity contour above (0.99 quantile - 25 dB); a peak counts when the
# intensity dips by more than 2 dB before the next peak; it must be voiced (To Pitch (ac) 0.02, 30,
# 4, no, 0.03, 0.25, 0.01, 0.35, 0.25, 450) and inside a sounding interval (To TextGrid (silences),
# minimum pause 0.3 s, minimum sounding 0.1 s). Reference for bench/eval_prosody.
# Usage: praat --run syllable_nuclei.praat in.wav out.txt   (out: "time" per nucleus, then
# "# speaking_s S" and "# duration_s D")
form Syllable nuclei
  sentence wav
  sentence out
endform
silencedb = -25
mindip = 2
minpause = 0.3
s = Read from file: wav$
n = Get number of channels
if n > 1
  c = Extract one channel: 1
  removeObject: s
  s = c
endif
selectObject: s
dur = Get total duration
int = To Intensity: 50, 0, "yes"
minint = Get minimum: 0, 0, "parabolic"
maxint = Get maximum: 0, 0, "parabolic"
max99 = Get quantile: 0, 0, 0.99
threshold = max99 + silencedb
threshold3 = silencedb - (maxint - max99)
if threshold < minint
  threshold = minint
endif
tg = To TextGrid (silences): threshold3, minpause, 0.1, "silent", "sounding"
ni = Get number of intervals: 1
speaking = 0
for i to ni
  lab$ = Get label of interval: 1, i
  if lab$ = "sounding"
    a = Get start time of interval: 1, i
    b = Get end time of interval: 1, i
    speaking += b - a
  endif
endfor
selectObject: int
mat = Down to Matrix
snd = To Sound (slice): 1
pp = To PointProcess (extrema): 1, "yes", "no", "sinc70"
np = Get number of points
peakcount = 0
for i to np
  selectObject: pp
  t = Get time from index: i
  selectObject: snd
  v = Get value at time: 0, t, "cubic"
  if v > threshold
    peakcount += 1
    pint[peakcount] = v
    ptime[peakcount] = t
  endif
endfor
selectObject: int
valid = 0
if peakcount > 0
  ct = ptime[1]
  ci = pint[1]
endif
for p to peakcount - 1
  ft = ptime[p + 1]
  dip = Get minimum: ct, ft, "none"
  if abs(ci - dip) > mindip
    valid += 1
    vtime[valid] = ptime[p]
  endif
  ct = ft
  ci = Get value at time: ft, "nearest"
endfor
selectObject: s
pitch = To Pitch (ac): 0.02, 30, 4, "no", 0.03, 0.25, 0.01, 0.35, 0.25, 450
deleteFile: out$
for i to valid
  t = vtime[i]
  selectObject: tg
  k = Get interval at time: 1, t
  lab$ = Get label of interval: 1, k
  selectObject: pitch
  f = Get value at time: t, "Hertz", "linear"
  if f <> undefined and lab$ = "sounding"
    appendFileLine: out$, fixed$(t, 6)
  endif
endfor
appendFileLine: out$, "# speaking_s ", fixed$(speaking, 6)
appendFileLine: out$, "# duration_s ", fixed$(dur, 6)
