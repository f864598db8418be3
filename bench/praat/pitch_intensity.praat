# Praat 6.3 reference for bench/eval_prosody: pitch (ac, standard settings except a fixed 0.01 s
# time step, which equals Praat's automatic 0.75 / 75 Hz) and intensity (75 Hz, 0.01 s, subtract
# mean) of channel 1 of a sound file, written as "time value" lines (value 0 when unvoiced).
# Usage: praat --run pitch_intensity.praat in.wav pitch.txt intensity.txt
form Pitch and intensity
  sentence wav
  sentence out_pitch
  sentence out_intensity
endform
s = Read from file: wav$
n = Get number of channels
if n > 1
  c = Extract one channel: 1
  removeObject: s
  s = c
endif
selectObject: s
p = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
nf = Get number of frames
deleteFile: out_pitch$
for i to nf
  t = Get time from frame number: i
  f = Get value in frame: i, "Hertz"
  if f = undefined
    f = 0
  endif
  appendFileLine: out_pitch$, fixed$(t, 9), " ", fixed$(f, 6)
endfor
selectObject: s
it = To Intensity: 75, 0.01, "yes"
nf = Get number of frames
deleteFile: out_intensity$
for i to nf
  t = Get time from frame number: i
  v = Get value in frame: i
  if v = undefined
    v = -300
  endif
  appendFileLine: out_intensity$, fixed$(t, 9), " ", fixed$(v, 6)
endfor
