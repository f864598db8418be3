#include "dyad/analysis/physiology.hpp"

namespace dyad::analysis {

namespace {

class PhysiologyExtension : public FeatureExtension {
 public:
  explicit PhysiologyExtension(const PhysioConfig& c) : c_(c) { validate(c_); }
  std::string name() const override { return "physiology"; }
  void finish(FeatureContext& ctx) override {
    std::vector<PhysioTurn> turns;
    for (const auto& t : ctx.turns.turns) turns.push_back({t.number, t.role, t.start_s, t.end_s});
    auto out = analyze_physiology(ctx.session, c_, ctx.turns.segments, turns);
    for (const auto& t : out.tables) {
      std::vector<formats::ColumnDoc> cols;
      for (const auto& c : t.columns) cols.push_back({c.name, c.meaning, c.unit, c.definition});
      ctx.write_table(t.name, t.description, cols, t.rows);
    }
    for (std::size_t k = 0; k < out.turn_columns.size(); ++k) {
      const auto& c = out.turn_columns[k];
      ctx.turn_columns.push_back({{c.name, c.meaning, c.unit, c.definition}, out.turn_values[k]});
    }
    ctx.summary = out.summary;
    ctx.warnings = out.warnings;
  }

 private:
  PhysioConfig c_;
};

}  // namespace

std::unique_ptr<FeatureExtension> make_physiology_extension(const PhysioConfig& c) {
  return std::make_unique<PhysiologyExtension>(c);
}

}  // namespace dyad::analysis
