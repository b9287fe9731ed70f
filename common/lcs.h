// The longest common subsequence of two byte strings, as Redis 7's LCS command computes
// it: the classic dynamic-programming table (O(len(a) * len(b)) time and 4 bytes a cell),
// then one walk back from the end that yields the subsequence and its matching ranges,
// last range first. When several subsequences are equally long, the walk's tie-break
// (step in `b` unless going back in `a` keeps a strictly longer LCS) picks the one Redis
// picks, so replies match Redis byte for byte.
// Thread-safe (pure function).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crescent {

// One contiguous run of the subsequence: a[a_start..a_end] == b[b_start..b_end].
struct LcsMatch {
  uint32_t a_start = 0, a_end = 0;
  uint32_t b_start = 0, b_end = 0;
  uint32_t length() const { return a_end - a_start + 1; }
};

struct LcsResult {
  uint32_t length = 0;
  std::string subsequence;       // when asked for
  std::vector<LcsMatch> matches;  // when asked for: from the end of the strings backward
};

// Cells of the table LCS needs for `a` and `b`, for the caller's memory limit.
uint64_t LcsTableCells(size_t a_size, size_t b_size);

// REQUIRES: both sizes below UINT32_MAX - 1 and the table fits in memory.
// `min_match_length`: matches shorter than this are left out (0: none are).
LcsResult ComputeLcs(std::string_view a, std::string_view b, bool want_subsequence,
                     bool want_matches, uint64_t min_match_length);

}  // namespace crescent
