// Tests for common/lcs.cpp: Redis's documented LCS example, then random strings whose
// results are checked for what makes them right (a common subsequence of the longest
// length, matches that are equal runs of both strings, in order from the end).
#include "common/lcs.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

namespace crescent {
namespace {

bool IsSubsequence(std::string_view sub, std::string_view of) {
  size_t i = 0;
  for (char c : of) {
    if (i < sub.size() && sub[i] == c) ++i;
  }
  return i == sub.size();
}

// The LCS length by recursion over suffixes with memoisation (a different formulation).
size_t ReferenceLength(std::string_view a, std::string_view b) {
  std::vector<std::vector<int>> memo(a.size() + 1, std::vector<int>(b.size() + 1, -1));
  auto go = [&](auto&& self, size_t i, size_t j) -> int {
    if (i == a.size() || j == b.size()) return 0;
    int& m = memo[i][j];
    if (m >= 0) return m;
    if (a[i] == b[j]) return m = 1 + self(self, i + 1, j + 1);
    return m = std::max(self(self, i + 1, j), self(self, i, j + 1));
  };
  return static_cast<size_t>(go(go, 0, 0));
}

TEST_CASE("LCS: the documentation's example") {
  LcsResult r = ComputeLcs("ohmytext", "mynewtext", true, true, 0);
  CHECK(r.length == 6);
  CHECK(r.subsequence == "mytext");
  REQUIRE(r.matches.size() == 2);
  CHECK(r.matches[0].a_start == 4);
  CHECK(r.matches[0].a_end == 7);
  CHECK(r.matches[0].b_start == 5);
  CHECK(r.matches[0].b_end == 8);
  CHECK(r.matches[1].a_start == 2);
  CHECK(r.matches[1].a_end == 3);
  CHECK(r.matches[1].b_start == 0);
  CHECK(r.matches[1].b_end == 1);
  LcsResult min4 = ComputeLcs("ohmytext", "mynewtext", false, true, 4);
  REQUIRE(min4.matches.size() == 1);
  CHECK(min4.matches[0].length() == 4);
  CHECK(min4.subsequence.empty());
  LcsResult len_only = ComputeLcs("ohmytext", "mynewtext", false, false, 0);
  CHECK(len_only.length == 6);
  CHECK(len_only.matches.empty());
}

TEST_CASE("LCS of empty and equal strings") {
  CHECK(ComputeLcs("", "abc", true, true, 0).length == 0);
  CHECK(ComputeLcs("abc", "", true, true, 0).matches.empty());
  LcsResult same = ComputeLcs("abc", "abc", true, true, 0);
  CHECK(same.subsequence == "abc");
  REQUIRE(same.matches.size() == 1);
  CHECK(same.matches[0].a_start == 0);
  CHECK(same.matches[0].a_end == 2);
  CHECK(LcsTableCells(0, 0) == 1);
  CHECK(LcsTableCells(3, 4) == 20);
}

TEST_CASE("LCS of random strings is a longest common subsequence with consistent matches") {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    auto make = [&] {
      std::string s(rng() % 20, 'a');
      for (char& c : s) c = static_cast<char>('a' + rng() % 3);
      return s;
    };
    std::string a = make(), b = make();
    INFO(a << " / " << b);
    LcsResult r = ComputeLcs(a, b, true, true, 0);
    CHECK(r.length == ReferenceLength(a, b));
    CHECK(r.subsequence.size() == r.length);
    CHECK(IsSubsequence(r.subsequence, a));
    CHECK(IsSubsequence(r.subsequence, b));
    // The matches, reversed, spell the subsequence and go forward in both strings.
    std::string spelled;
    for (auto m = r.matches.rbegin(); m != r.matches.rend(); ++m) {
      CHECK(m->a_end - m->a_start == m->b_end - m->b_start);
      CHECK(a.substr(m->a_start, m->length()) == b.substr(m->b_start, m->length()));
      spelled += a.substr(m->a_start, m->length());
    }
    CHECK(spelled == r.subsequence);
    for (size_t k = 1; k < r.matches.size(); ++k) {
      CHECK(r.matches[k].a_end < r.matches[k - 1].a_start);
      CHECK(r.matches[k].b_end < r.matches[k - 1].b_start);
    }
  }
}

}  // namespace
}  // namespace crescent
