#include "common/lcs.h"

#include <algorithm>

namespace crescent {

uint64_t LcsTableCells(size_t a_size, size_t b_size) {
  return (static_cast<uint64_t>(a_size) + 1) * (static_cast<uint64_t>(b_size) + 1);
}

LcsResult ComputeLcs(std::string_view a, std::string_view b, bool want_subsequence,
                     bool want_matches, uint64_t min_match_length) {
  const auto alen = static_cast<uint32_t>(a.size());
  const auto blen = static_cast<uint32_t>(b.size());
  // table[i][j]: the LCS length of a[0..i) and b[0..j), row-major.
  std::vector<uint32_t> table(LcsTableCells(alen, blen), 0);
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& {
    return table[static_cast<size_t>(i) * (blen + 1) + j];
  };
  for (uint32_t i = 1; i <= alen; ++i) {
    for (uint32_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  LcsResult result;
  result.length = at(alen, blen);
  if (!want_subsequence && !want_matches) return result;

  // Walk back from the end, as Redis's lcsCommand does: a match extends the current run
  // backward (or starts one); a step off the diagonal, or reaching the start of either
  // string, closes the run.
  if (want_subsequence) result.subsequence.resize(result.length);
  uint32_t remaining = result.length;
  bool in_run = false;
  LcsMatch run;
  uint32_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    bool close_run = false;
    if (a[i - 1] == b[j - 1]) {
      if (want_subsequence) result.subsequence[remaining - 1] = a[i - 1];
      if (!in_run) {
        in_run = true;
        run = {i - 1, i - 1, j - 1, j - 1};
      } else if (run.a_start == i && run.b_start == j) {
        --run.a_start;
        --run.b_start;
      } else {
        close_run = true;
      }
      if (run.a_start == 0 || run.b_start == 0) close_run = true;
      --remaining;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_run) close_run = true;
    }
    if (close_run) {
      if (want_matches && (min_match_length == 0 || run.length() >= min_match_length)) {
        result.matches.push_back(run);
      }
      in_run = false;
    }
  }
  return result;
}

}  // namespace crescent
