#pragma once
// Builds XDF bytes by hand, straight from the specification
// (https://github.com/sccn/xdf/wiki/Specifications), independently of dyad's writer.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace dyad::test {

struct XdfBuilder {
  std::string b = "XDF:";
  template <class T>
  static void put(std::string& s, T v) {
    s.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void chunk(std::uint16_t tag, const std::string& content) {
    std::uint64_t len = content.size() + 2;
    if (len < 256) {
      put<std::uint8_t>(b, 1);
      put<std::uint8_t>(b, static_cast<std::uint8_t>(len));
    } else {
      put<std::uint8_t>(b, 4);
      put<std::uint32_t>(b, static_cast<std::uint32_t>(len));
    }
    put<std::uint16_t>(b, tag);
    b += content;
  }
  static std::string id(std::uint32_t i) {
    std::string s;
    put(s, i);
    return s;
  }
  void file_header() { chunk(1, "<?xml version=\"1.0\"?><info><version>1.0</version></info>"); }
  void header(std::uint32_t sid, const std::string& name, const std::string& type, int channels, double srate, const std::string& fmt,
              const std::vector<std::string>& labels = {}) {
    std::string x = "<?xml version=\"1.0\"?><info><name>" + name + "</name><type>" + type + "</type><channel_count>" + std::to_string(channels) +
                    "</channel_count><nominal_srate>" + std::to_string(srate) + "</nominal_srate><channel_format>" + fmt +
                    "</channel_format><desc><channels>";
    for (auto& l : labels) x += "<channel><label>" + l + "</label><unit>uV</unit></channel>";
    x += "</channels></desc></info>";
    chunk(2, id(sid) + x);
  }
  /// double64 samples; `stamped[i]` false omits the stamp.
  void samples_f64(std::uint32_t sid, const std::vector<double>& ts, const std::vector<std::vector<double>>& rows,
                   const std::vector<bool>& stamped = {}) {
    std::string c = id(sid);
    put<std::uint8_t>(c, 4);
    put<std::uint32_t>(c, static_cast<std::uint32_t>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (stamped.empty() || stamped[i]) {
        put<std::uint8_t>(c, 8);
        put<double>(c, ts[i]);
      } else {
        put<std::uint8_t>(c, 0);
      }
      for (double v : rows[i]) put<double>(c, v);
    }
    chunk(3, c);
  }
  void samples_i16(std::uint32_t sid, double first_ts, const std::vector<std::int16_t>& interleaved, int channels) {
    std::string c = id(sid);
    std::size_t n = interleaved.size() / static_cast<std::size_t>(channels);
    put<std::uint8_t>(c, 4);
    put<std::uint32_t>(c, static_cast<std::uint32_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      if (i == 0) {
        put<std::uint8_t>(c, 8);
        put<double>(c, first_ts);
      } else {
        put<std::uint8_t>(c, 0);
      }
      for (int ch = 0; ch < channels; ++ch) put<std::int16_t>(c, interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(ch)]);
    }
    chunk(3, c);
  }
  void samples_str(std::uint32_t sid, const std::vector<double>& ts, const std::vector<std::string>& v) {
    std::string c = id(sid);
    put<std::uint8_t>(c, 1);
    put<std::uint8_t>(c, static_cast<std::uint8_t>(v.size()));
    for (std::size_t i = 0; i < v.size(); ++i) {
      put<std::uint8_t>(c, 8);
      put<double>(c, ts[i]);
      put<std::uint8_t>(c, 1);
      put<std::uint8_t>(c, static_cast<std::uint8_t>(v[i].size()));
      c += v[i];
    }
    chunk(3, c);
  }
  void offset(std::uint32_t sid, double collection, double value) {
    std::string c = id(sid);
    put<double>(c, collection);
    put<double>(c, value);
    chunk(4, c);
  }
  void footer(std::uint32_t sid) { chunk(6, id(sid) + "<?xml version=\"1.0\"?><info><sample_count>0</sample_count></info>"); }
};

}  // namespace dyad::test
