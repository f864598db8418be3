// An independent XDF reader for the tests: loads a file with libxdf (Debian's libxdf-dev) and
// prints one line per stream: name<TAB>type<TAB>format<TAB>channels<TAB>rate<TAB>samples<TAB>first value
// (string streams: samples = events), so a test can compare with what dyad wrote.
#include <xdf.h>

#include <cstdio>
#include <iostream>
#include <map>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: libxdf_check FILE.xdf\n";
    return 2;
  }
  Xdf x;
  // libxdf prints progress on stdout: keep it off ours.
  std::fflush(stdout);
  std::streambuf* old = std::cout.rdbuf(std::cerr.rdbuf());
  int rc = x.load_xdf(argv[1]);
  std::cout.rdbuf(old);
  if (rc != 0) {
    std::cerr << "libxdf could not load " << argv[1] << "\n";
    return 1;
  }
  std::map<int, int> events;
  for (auto& e : x.eventMap) ++events[e.second];
  for (std::size_t i = 0; i < x.streams.size(); ++i) {
    const auto& s = x.streams[i];
    std::size_t n = s.info.channel_format == "string" ? static_cast<std::size_t>(events[static_cast<int>(i)]) : s.time_stamps.size();
    double first = !s.time_series.empty() && !s.time_series[0].empty() ? s.time_series[0][0] : 0;
    std::cout << s.info.name << "\t" << s.info.type << "\t" << s.info.channel_format << "\t" << s.info.channel_count << "\t"
              << s.info.nominal_srate << "\t" << n << "\t" << first << "\n";
  }
  return 0;
}
