#include "dyad/formats/table.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "dyad/formats/error.hpp"
#include "dyad/formats/files.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::formats {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kIdentifiers = {"role", "turn", "window", "start_s", "end_s", "signal", "type", "from_role", "to_role", "prev_role"};

std::string csv_field(const std::string& f) {
  if (f.find_first_of(",\"\r\n") == std::string::npos) return f;
  std::string o = "\"";
  for (char c : f) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string csv_line(const std::vector<std::string>& f) {
  std::string s;
  for (std::size_t i = 0; i < f.size(); ++i) s += (i ? "," : "") + csv_field(f[i]);
  return s + "\n";
}

void flatten(const nlohmann::json& j, const std::string& path, const std::string& role, const TidyRow& base, std::vector<TidyRow>& out) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "parameters" || k == "params" || k == "dyad_version" || k == "version") continue;
      if (is_valid_role(k)) flatten(v, path, k, base, out);
      else flatten(v, path.empty() ? k : path + "." + k, role, base, out);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], path + "." + std::to_string(i), role, base, out);
  } else if (j.is_number() || j.is_boolean()) {
    if (path.empty()) return;
    TidyRow r = base;
    r.role = role;
    r.metric = path;
    r.value = j.is_boolean() ? (j.get<bool>() ? 1.0 : 0.0) : j.get<double>();
    out.push_back(r);
  }
}

}  // namespace

namespace {
TidyTable gather(const std::vector<fs::path>& sessions, bool tables) {
  TidyTable t;
  for (auto& dir : sessions) {
    Manifest m = read_manifest(dir);
    TidyRow base;
    base.session_id = m.id;
    base.couple_id = m.couple_id;
    base.session_number = m.session_number;
    base.session_type = m.session_type;
    std::set<std::string> roles = {"A", "B", "therapist"};
    for (auto& pa : m.participants) roles.insert(pa.role);
    if (m.audio)
      for (auto& ch : m.audio->channels) roles.insert(ch.role);
    const fs::path feat = dir / "features";
    std::error_code ec;
    if (!fs::is_directory(feat, ec)) {
      t.warnings.push_back(feat.string() + ": missing (run 'dyad analyze'); session skipped");
      continue;
    }
    for (const char* name : {"turns", "windows", "physio_windows", "synchrony"}) {
      if (!tables) break;
      const fs::path p = feat / (std::string(name) + ".tsv");
      if (!fs::exists(p, ec)) continue;
      Table tab = read_table_file(p.string());
      const int c_role = tab.column("role"), c_start = tab.column("start_s"), c_end = tab.column("end_s"), c_sig = tab.column("signal");
      int c_idx = tab.column("turn");
      std::string unit = "turn";
      if (c_idx < 0) c_idx = tab.column("window"), unit = "window";
      if (std::string(name) == "synchrony") unit = "window";
      std::vector<std::size_t> metrics;
      for (std::size_t c = 0; c < tab.header.size(); ++c) {
        if (kIdentifiers.count(tab.header[c])) continue;
        bool numeric = true;
        for (auto& row : tab.rows)
          if (!parse_number(row[c])) {
            numeric = false;
            break;
          }
        if (numeric) metrics.push_back(c);
        else t.warnings.push_back(p.string() + ": column '" + tab.header[c] + "' is not numeric; left out");
      }
      // In a table without a role column (windows.tsv) a column named <metric>_<role> is that
      // partner's: filed under the role, with the metric's own name, as in the tables with one.
      std::vector<std::string> metric_role(tab.header.size()), metric_name(tab.header);
      if (c_role < 0)
        for (std::size_t c : metrics)
          for (auto& role : roles) {
            const std::string& h = tab.header[c];
            if (h.size() > role.size() + 1 && h.compare(h.size() - role.size() - 1, std::string::npos, "_" + role) == 0) {
              metric_role[c] = role;
              metric_name[c] = h.substr(0, h.size() - role.size() - 1);
              break;
            }
          }
      for (std::size_t r = 0; r < tab.rows.size(); ++r) {
        TidyRow row = base;
        row.table = name;
        row.unit = unit;
        row.role = c_role >= 0 ? tab.rows[r][static_cast<std::size_t>(c_role)] : "dyad";
        if (row.role == "n/a" || row.role.empty()) row.role = "dyad";
        row.index = c_idx >= 0 ? tab.rows[r][static_cast<std::size_t>(c_idx)] : std::to_string(r + 1);
        if (c_start >= 0) row.start_s = tab.number(r, static_cast<std::size_t>(c_start));
        if (c_end >= 0) row.end_s = tab.number(r, static_cast<std::size_t>(c_end));
        const std::string prefix = c_sig >= 0 ? tab.rows[r][static_cast<std::size_t>(c_sig)] + "." : "";
        for (std::size_t c : metrics) {
          TidyRow v = row;
          if (!metric_role[c].empty()) v.role = metric_role[c];
          v.metric = prefix + metric_name[c];
          v.value = tab.number(r, c);
          t.rows.push_back(v);
        }
      }
    }
    const fs::path sj = feat / "summary.json";
    if (fs::exists(sj, ec)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(read_file(sj));
      } catch (const nlohmann::json::parse_error& e) {
        throw FormatError(ErrorKind::malformed, sj.string() + ": not valid JSON at byte " + std::to_string(e.byte));
      } catch (const nlohmann::json::exception&) {  // out_of_range: a number past a double
        throw FormatError(ErrorKind::malformed, sj.string() + ": not valid JSON: a number is too large for a double");
      }
      TidyRow b = base;
      b.table = "summary";
      b.unit = "session";
      b.index = "n/a";
      flatten(j, "", "dyad", b, t.rows);
    }
  }
  return t;
}
}  // namespace

TidyTable gather_features(const std::vector<fs::path>& sessions) { return gather(sessions, true); }
TidyTable gather_session_values(const std::vector<fs::path>& sessions) { return gather(sessions, false); }

std::string tidy_csv(const TidyTable& t) {
  std::string s = csv_line({"session_id", "couple_id", "session_number", "session_type", "role", "table", "unit", "index", "start_s", "end_s",
                            "metric", "value"});
  for (auto& r : t.rows)
    s += csv_line({r.session_id, r.couple_id, std::to_string(r.session_number), r.session_type, r.role, r.table, r.unit, r.index,
                   format_number(r.start_s), format_number(r.end_s), r.metric, format_number(r.value)});
  return s;
}

std::string wide_csv(const TidyTable& t) {
  struct Acc {
    double sum = 0;
    std::size_t n = 0;
  };
  std::vector<std::string> order;  // sessions in first-seen order
  std::map<std::string, std::vector<std::string>> ids;
  std::map<std::string, std::map<std::string, Acc>> cells;
  std::set<std::string> columns;
  for (auto& r : t.rows) {
    if (!ids.count(r.session_id)) {
      order.push_back(r.session_id);
      ids[r.session_id] = {r.session_id, r.couple_id, std::to_string(r.session_number), r.session_type};
    }
    std::string suffix = r.role == "dyad" ? "" : "_" + r.role;
    std::string col = r.unit == "session" ? r.metric + suffix : r.table + "." + r.metric + ".mean" + suffix;
    columns.insert(col);
    if (!std::isnan(r.value)) {
      auto& a = cells[r.session_id][col];
      a.sum += r.value;
      ++a.n;
    } else {
      cells[r.session_id][col];
    }
  }
  std::vector<std::string> head = {"session_id", "couple_id", "session_number", "session_type"};
  head.insert(head.end(), columns.begin(), columns.end());
  std::string s = csv_line(head);
  for (auto& id : order) {
    std::vector<std::string> row = ids[id];
    for (auto& c : columns) {
      auto it = cells[id].find(c);
      row.push_back(it == cells[id].end() || it->second.n == 0 ? "n/a" : format_number(it->second.sum / static_cast<double>(it->second.n)));
    }
    s += csv_line(row);
  }
  return s;
}

}  // namespace dyad::formats
