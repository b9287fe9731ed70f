#include "tools/crescent_bench/cpu_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace crescent::bench {
namespace {

uint64_t TimevalNs(const timeval& tv) {
  return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull + static_cast<uint64_t>(tv.tv_usec) * 1000ull;
}

}  // namespace

uint64_t SelfCpuNs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return TimevalNs(ru.ru_utime) + TimevalNs(ru.ru_stime);
}

bool ProcessCpuNs(int pid, uint64_t* ns) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  char buf[2048];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces; fields after its closing ')' are plain.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  ++p;
  // Field 3 is the first after ')'; utime and stime are fields 14 and 15.
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; field <= 15; ++field) {
    while (*p == ' ') ++p;
    if (*p == '\0') return false;
    char* end = nullptr;
    unsigned long long v = std::strtoull(p, &end, 10);
    if (field == 14) utime = v;
    if (field == 15) stime = v;
    while (*end != ' ' && *end != '\0') ++end;
    p = end;
  }
  long hz = sysconf(_SC_CLK_TCK);
  *ns = (utime + stime) * (1000000000ull / static_cast<unsigned long long>(hz > 0 ? hz : 100));
  return true;
}

}  // namespace crescent::bench
