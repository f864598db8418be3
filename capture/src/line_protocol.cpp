#include "dyad/capture/line_protocol.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "dyad/capture/clock_fit.hpp"
#include "dyad/formats/manifest.hpp"
#include "dyad/formats/text.hpp"

namespace dyad::capture {

using nlohmann::json;

LineType line_type(std::string_view l, std::string_view& rest) {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  rest = {};
  if (l.empty()) return LineType::empty;
  const auto sp = l.find(' ');
  const std::string_view type = l.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : l.substr(sp + 1);
  if (type == "HELLO") return LineType::hello;
  if (type == "S") return LineType::sample;
  if (type == "M") return LineType::marker;
  if (type == "T") return LineType::probe;
  rest = type.substr(0, 16);
  return LineType::unknown;
}

std::string parse_hello(std::string_view text, const std::string& token, HelloRequest& out) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    return "HELLO: not valid JSON";
  }
  if (!j.is_object()) return "HELLO: expected a JSON object";
  if (!j.contains("stream") || !j["stream"].is_string()) return "HELLO: key 'stream' is missing or not a string";
  const std::string name = j["stream"];
  if (!formats::is_valid_stream_name(name)) return "HELLO: stream name '" + name + "' does not match [A-Za-z0-9_-]{1,64}";
  const std::string pre = "HELLO for '" + name + "': ";
  if (!token.empty() && (!j.contains("token") || !j["token"].is_string() || j["token"] != token))
    return pre + "missing or wrong token";
  const std::string kind = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() : "generic";
  if (!formats::is_valid_stream_kind(kind)) return pre + "kind '" + kind + "' is not one of ecg, ppg, eda, resp, bp, hr, generic";
  if (!j.contains("role") || !j["role"].is_string() || !formats::is_valid_role(j["role"]))
    return pre + "key 'role' must be A, B or therapist";
  double rate = 0;
  if (j.contains("rate")) {
    if (!j["rate"].is_number() || !(j["rate"].get<double>() >= 0)) return pre + "key 'rate' must be a number >= 0 (0: irregular)";
    rate = j["rate"];
  }
  std::vector<std::string> cols, units;
  if (!j.contains("columns") || !j["columns"].is_array() || j["columns"].empty())
    return pre + "key 'columns' must be a non-empty array of strings";
  for (auto& c : j["columns"]) {
    if (!c.is_string() || c.get<std::string>().empty() || c.get<std::string>().find_first_of("\t\n\r") != std::string::npos)
      return pre + "key 'columns' must be a non-empty array of strings";
    cols.push_back(c);
  }
  if (cols.size() > kMaxSensorColumns) return pre + "at most 64 columns";
  if (j.contains("units")) {
    if (!j["units"].is_array() || j["units"].size() != cols.size())
      return pre + "key 'units' must be an array of strings, one per column";
    for (auto& u : j["units"]) {
      if (!u.is_string()) return pre + "key 'units' must be an array of strings, one per column";
      units.push_back(u);
    }
  } else {
    units.assign(cols.size(), "");
  }
  out.stream = name;
  out.kind = kind;
  out.role = j["role"];
  out.rate_hz = rate;
  out.columns = std::move(cols);
  out.units = std::move(units);
  return "";
}

std::string parse_sample(std::string_view rest, std::size_t nc, double& dev, double* vals) {
  std::size_t nf = 0;
  std::size_t pos = 0;
  bool bad_number = false;
  std::string bad_field;
  dev = 0;
  while (pos <= rest.size()) {
    auto e = rest.find(' ', pos);
    if (e == std::string_view::npos) e = rest.size();
    auto f = rest.substr(pos, e - pos);
    pos = e + 1;
    if (f.empty()) {
      if (e == rest.size()) break;
      continue;
    }
    if (!bad_number) {
      auto v = formats::parse_number(f);
      if (!v || !std::isfinite(*v)) {
        bad_number = true;
        bad_field = std::string(f.substr(0, 32));
      } else if (nf == 0) {
        dev = *v;
      } else if (nf - 1 < kMaxSensorColumns && nf - 1 < nc) {
        vals[nf - 1] = *v;
      }
    }
    ++nf;
  }
  if (nf != nc + 1)
    return "S line: expected a device time and " + std::to_string(nc) + " value(s), found " + std::to_string(nf) + " field(s)";
  if (bad_number) return "S line: '" + bad_field + "' is not a number";
  if (std::abs(dev) > kMaxDeviceTimeS) return "S line: device time " + formats::format_number(dev) + " s is out of range (at most 1e12 s)";
  return "";
}

std::string parse_marker(std::string_view rest, double& dev, std::string& label) {
  const auto sp2 = rest.find(' ');
  auto d = formats::parse_number(rest.substr(0, sp2));
  label = sp2 == std::string_view::npos ? "" : std::string(rest.substr(sp2 + 1));
  if (!d || !std::isfinite(*d) || label.find_first_not_of(' ') == std::string::npos)
    return "M line: expected 'M <device_time_s> <label>'";
  if (std::abs(*d) > kMaxDeviceTimeS) return "M line: device time " + formats::format_number(*d) + " s is out of range (at most 1e12 s)";
  std::replace(label.begin(), label.end(), '\t', ' ');
  dev = *d;
  return "";
}

std::string parse_probe(std::string_view rest, double& dev, std::string_view& echo) {
  auto fields = formats::split(rest, ' ');
  std::optional<double> d;
  if (fields.size() == 1) d = formats::parse_number(fields[0]);
  if (!d || !std::isfinite(*d)) return "T line: expected 'T <device_send_s>'";
  if (std::abs(*d) > kMaxDeviceTimeS) return "T line: device time " + formats::format_number(*d) + " s is out of range (at most 1e12 s)";
  dev = *d;
  echo = fields[0];
  return "";
}

}  // namespace dyad::capture
