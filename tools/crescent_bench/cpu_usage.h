// CPU time of this process (getrusage) and of another one (/proc/PID/stat), in
// nanoseconds of user plus system time, to report CPU cost per request.
#pragma once

#include <cstdint>

namespace crescent::bench {

// User + system time of every thread of this process so far.
uint64_t SelfCpuNs();

// User + system time of process `pid` so far; false if it cannot be read (gone, or not
// Linux).
bool ProcessCpuNs(int pid, uint64_t* ns);

}  // namespace crescent::bench
