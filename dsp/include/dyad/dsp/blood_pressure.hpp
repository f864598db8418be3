#pragma once
/// \file Blood-pressure readings as events, flagged against user thresholds.
#include <optional>
#include <string>
#include <string_view>

namespace dyad::dsp {

struct BpThresholds {
  double systolic_high_mmhg = 160;   ///< flag when systolic >= this
  double diastolic_high_mmhg = 100;  ///< flag when diastolic >= this
};

struct BpReading {
  double time_s = 0, systolic_mmhg = 0, diastolic_mmhg = 0;
  double mean_mmhg = 0;  ///< given, else diastolic + (systolic - diastolic) / 3
  bool flagged = false;
};

/// Validates thresholds (throws std::invalid_argument) and flags readings.
class BpFlagger {
 public:
  explicit BpFlagger(const BpThresholds& t = {});
  BpReading make(double time_s, double systolic, double diastolic, double mean_mmhg = -1) const;

 private:
  BpThresholds t_;
};

/// Parses a clinical entry "120/80" (optionally "120/80/93", spaces allowed) into
/// systolic/diastolic(/mean); nullopt unless two or three positive numbers with systolic >= diastolic.
std::optional<BpReading> parse_bp_text(std::string_view text);

}  // namespace dyad::dsp
