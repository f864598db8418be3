#pragma once
/// \file Result types shared by dsp/ and the parts that store its results (formats/, analysis/).
#include <string>

namespace dyad::dsp {

/// A half-open time interval [start_s, end_s) in session seconds.
struct Interval {
  double start_s = 0;
  double end_s = 0;
  double duration_s() const { return end_s - start_s; }
};

/// A talkspurt of one partner.
struct Segment {
  std::string role;
  double start_s = 0;
  double end_s = 0;
};

}  // namespace dyad::dsp
