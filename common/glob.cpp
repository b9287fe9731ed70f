// GlobMatch: Redis's stringmatchlen (util.c), step for step, over string_views.
//
// Keeping Redis's exact control flow matters more here than elegance: clients rely on
// the corner cases (an unclosed `[`, `[^`, escapes inside brackets, reversed ranges),
// and the two guards below are what keep a hostile pattern from hanging or crashing the
// server.
//  - skip_longer: once the text after a `*` has failed to match at every position of
//    the rest of the subject, no earlier `*` can help by matching more (it would only
//    start the same search later in the subject), so the whole match fails at once.
//    This makes "a*a*a*...*b" against "aaaa...a" about linear instead of exponential.
//  - nesting: each `*` recurses once; more than kMaxNesting levels never match, which
//    bounds the stack for patterns like "*?*?*?..." (Redis's guard, same limit).
// Neither bounds the time: "*???...?b" (m `?`) against n bytes still takes about n x m
// steps. GlobMatchBounded counts them (one per pattern token tried, one per bracket
// member) against a budget and gives up when it runs out, unwinding as skip_longer does.
#include "common/glob.h"

#include <cstddef>
#include <cstdint>

namespace crescent {
namespace {

constexpr int kMaxNesting = 1000;

// Redis reads pattern and subject through `char`, which is signed on x86-64; ranges
// compare those values, so we do too. Equality tests are unaffected by the sign.
int Value(char c) { return static_cast<signed char>(c); }

// tolower() in the C locale: ASCII letters only; bytes >= 0x80 are left alone.
int Fold(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

bool SameByte(char a, char b, bool nocase) {
  return nocase ? Fold(Value(a)) == Fold(Value(b)) : a == b;
}

// The steps left to a bounded match; null `steps`: unbounded.
struct Steps {
  uint64_t* steps = nullptr;
  bool exhausted = false;
  // Spends one step; false (with *skip_longer set, so that every `*` loop above stops
  // too) when none is left.
  bool Take(bool* skip_longer) {
    if (steps == nullptr) return true;
    if (*steps == 0) {
      exhausted = true;
      *skip_longer = true;
      return false;
    }
    --*steps;
    return true;
  }
};

bool MatchImpl(const char* p, size_t plen, const char* s, size_t slen, bool nocase,
               bool* skip_longer, int nesting, Steps* steps) {
  if (nesting > kMaxNesting) return false;

  while (plen > 0 && slen > 0) {
    if (!steps->Take(skip_longer)) return false;
    switch (p[0]) {
      case '*': {
        while (plen > 1 && p[1] == '*') {  // "**" is "*"
          ++p;
          --plen;
        }
        if (plen == 1) return true;  // a trailing '*' matches whatever is left
        while (slen > 0) {
          if (MatchImpl(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1, steps)) {
            return true;
          }
          if (*skip_longer) return false;
          ++s;
          --slen;
        }
        *skip_longer = true;
        return false;
      }
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        const bool negate = plen > 0 && p[0] == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool match = false;
        for (;;) {
          if (!steps->Take(skip_longer)) return false;
          if (plen >= 2 && p[0] == '\\') {
            // An escaped byte inside brackets compares exactly, even with nocase.
            ++p;
            --plen;
            if (p[0] == s[0]) match = true;
          } else if (plen == 0) {
            // No closing ']': the class ends with the pattern. Step back onto the last
            // byte so the shared "advance past this token" below lands at the end.
            --p;
            ++plen;
            break;
          } else if (p[0] == ']') {
            break;
          } else if (plen >= 3 && p[1] == '-') {
            int start = Value(p[0]);
            int end = Value(p[2]);
            int c = Value(s[0]);
            if (start > end) {  // [z-a] is [a-z]
              const int t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = Fold(start);
              end = Fold(end);
              c = Fold(c);
            }
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (SameByte(p[0], s[0], nocase)) {
            match = true;
          }
          ++p;
          --plen;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {  // a trailing '\' is a literal backslash
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (!SameByte(p[0], s[0], nocase)) return false;
        ++s;
        --slen;
        break;
    }
    ++p;
    --plen;
    if (slen == 0) {
      while (plen > 0 && p[0] == '*') {  // trailing stars match the empty rest
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase) {
  // Redis's KEYS and SCAN skip matching for a lone "*" (see the header); doing the same
  // here keeps the empty key visible to them.
  if (pattern == "*") return true;
  bool skip_longer = false;
  Steps unbounded;
  return MatchImpl(pattern.data(), pattern.size(), subject.data(), subject.size(), nocase,
                   &skip_longer, 0, &unbounded);
}

std::optional<bool> GlobMatchBounded(std::string_view pattern, std::string_view subject,
                                     uint64_t* steps, bool nocase) {
  if (pattern == "*") return true;
  bool skip_longer = false;
  Steps bounded{steps};
  bool matched = MatchImpl(pattern.data(), pattern.size(), subject.data(), subject.size(),
                           nocase, &skip_longer, 0, &bounded);
  if (bounded.exhausted) return std::nullopt;
  return matched;
}

}  // namespace crescent
