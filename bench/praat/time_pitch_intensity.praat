# Praat 6.3 side of bench/prosody_vs_praat: read a sound, To Pitch (ac) with standard settings
# (0.01 s step) and To Intensity (75 Hz, 0.01 s, subtract mean); prints the seconds each took.
# Usage: praat --run time_pitch_intensity.praat in.wav
form Time pitch and intensity
  sentence wav
endform
s = Read from file: wav$
stopwatch
p = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
tp = stopwatch
selectObject: s
it = To Intensity: 75, 0.01, "yes"
ti = stopwatch
writeInfoLine: "pitch_s ", fixed$(tp, 3), " intensity_s ", fixed$(ti, 3)
