// Tests for common/glob.cpp: Redis's KEYS cases (tests/unit/keyspace.tcl and the KEYS
// documentation), stringmatchlen's corner cases, and patterns that must stay fast.
#include "common/glob.h"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace crescent {
namespace {

using namespace std::string_literals;

std::vector<std::string> Keys(std::string_view pattern, const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (GlobMatch(pattern, k)) out.push_back(k);
  }
  return out;
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST_CASE("KEYS with pattern (keyspace.tcl)") {
  const std::vector<std::string> keys = {"key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c"};
  CHECK(Keys("foo*", keys) == std::vector<std::string>{"foo_a", "foo_b", "foo_c"});
  CHECK(Keys("*", keys) == keys);
  CHECK(Keys("key_?", keys) == std::vector<std::string>{"key_x", "key_y", "key_z"});
  CHECK(Keys("*_[ab]", keys) == std::vector<std::string>{"foo_a", "foo_b"});
  CHECK(Keys("nomatch*", keys).empty());
}

TEST_CASE("KEYS with hashtag-looking patterns: braces are literal") {
  const std::vector<std::string> keys = {"{a}x", "{a}y", "{b}x", "a"};
  CHECK(Keys("{a}*", keys) == std::vector<std::string>{"{a}x", "{a}y"});
  CHECK(Keys("{a}?", keys) == std::vector<std::string>{"{a}x", "{a}y"});
}

TEST_CASE("KEYS documentation examples") {
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK(GlobMatch("h?llo", "hallo"));
  CHECK(GlobMatch("h?llo", "hxllo"));
  CHECK_FALSE(GlobMatch("h?llo", "hllo"));
  CHECK(GlobMatch("h*llo", "hllo"));
  CHECK(GlobMatch("h*llo", "heeeello"));
  CHECK(GlobMatch("h[ae]llo", "hello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK(GlobMatch("h[^e]llo", "hbllo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-b]llo", "hallo"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  CHECK(GlobMatch("h\\*llo", "h*llo"));
  CHECK_FALSE(GlobMatch("h\\*llo", "hello"));
}

TEST_CASE("empty strings and stars") {
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("", "a"));
  CHECK(GlobMatch("*", ""));       // as KEYS * / SCAN MATCH * see it
  CHECK_FALSE(GlobMatch("**", ""));  // stringmatchlen: a star never matches ""
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK(GlobMatch("a*", "a"));
  CHECK(GlobMatch("a***", "a"));
  CHECK(GlobMatch("***a", "a"));
  CHECK(GlobMatch("*a*", "a"));
  CHECK(GlobMatch("*a*", "bab"));
  CHECK_FALSE(GlobMatch("a?", "a"));
  CHECK(GlobMatch("*?", "ab"));
  CHECK_FALSE(GlobMatch("*?", ""));
  CHECK(GlobMatch("a*b*c", "aXXbYYc"));
  CHECK_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  CHECK_FALSE(GlobMatch("abc", "ab"));
  CHECK_FALSE(GlobMatch("ab", "abc"));
}

TEST_CASE("bracket classes") {
  CHECK(GlobMatch("[abc]", "b"));
  CHECK_FALSE(GlobMatch("[abc]", "d"));
  CHECK_FALSE(GlobMatch("[abc]", "ab"));
  CHECK(GlobMatch("[^abc]", "d"));
  CHECK_FALSE(GlobMatch("[^abc]", "a"));
  // No "[!...]" negation in Redis: '!' is just a member.
  CHECK(GlobMatch("[!abc]", "!"));
  CHECK(GlobMatch("[!abc]", "a"));
  CHECK_FALSE(GlobMatch("[!abc]", "d"));
  // Ranges, reversed ranges, several ranges, ranges mixed with members.
  CHECK(GlobMatch("[a-c]", "b"));
  CHECK(GlobMatch("[z-a]", "q"));
  CHECK(GlobMatch("[c-a]", "a"));
  CHECK_FALSE(GlobMatch("[c-a]", "d"));
  CHECK(GlobMatch("[0-9a-f]", "e"));
  CHECK(GlobMatch("[0-9a-f]", "7"));
  CHECK_FALSE(GlobMatch("[0-9a-f]", "g"));
  CHECK(GlobMatch("[^0-9]", "x"));
  CHECK_FALSE(GlobMatch("[^0-9]", "5"));
  CHECK(GlobMatch("[-a]", "-"));  // '-' first is a member
  CHECK_FALSE(GlobMatch("[a-]x]", "-x]"));  // the range "a-]", the member x, then "]" closes
  // Escapes inside brackets.
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("[\\^a]", "^"));
  CHECK(GlobMatch("[a\\-z]", "-"));
  CHECK_FALSE(GlobMatch("[a\\-z]", "b"));  // escaped '-' is not a range
}

TEST_CASE("unclosed and degenerate brackets, as Redis") {
  // A '[' without ']' is a class that runs to the end of the pattern.
  CHECK(GlobMatch("[ab", "a"));
  CHECK(GlobMatch("[ab", "b"));
  CHECK_FALSE(GlobMatch("[ab", "c"));
  CHECK_FALSE(GlobMatch("[ab", "ab"));
  CHECK(GlobMatch("x[ab", "xb"));
  // A lone '[' matches nothing; "[^" matches any single byte.
  CHECK_FALSE(GlobMatch("[", "["));
  CHECK_FALSE(GlobMatch("[", ""));
  CHECK(GlobMatch("[^", "x"));
  CHECK(GlobMatch("[^", "["));
  CHECK_FALSE(GlobMatch("[^", "xy"));
  // "[]" is an empty class: ']' cannot be the first member.
  CHECK_FALSE(GlobMatch("[]", "]"));
  CHECK_FALSE(GlobMatch("[]a]", "]"));
  CHECK_FALSE(GlobMatch("[]a]", "a"));
  // "[a-]": the ']' is taken as the range's end, so this is the class ']'..'a' and the
  // bracket never closes.
  CHECK(GlobMatch("[a-]", "_"));
  CHECK(GlobMatch("[a-]", "]"));
  CHECK(GlobMatch("[a-]", "a"));
  CHECK_FALSE(GlobMatch("[a-]", "-"));
  CHECK_FALSE(GlobMatch("[a-]", "b"));
  // A range needs three bytes: "[a-" is the members 'a' and '-'.
  CHECK(GlobMatch("[a-", "-"));
  CHECK(GlobMatch("[a-", "a"));
  // A trailing backslash inside an unclosed class is a member.
  CHECK(GlobMatch("[\\", "\\"));
}

TEST_CASE("escapes outside brackets") {
  CHECK(GlobMatch("\\?", "?"));
  CHECK_FALSE(GlobMatch("\\?", "a"));
  CHECK(GlobMatch("\\[a]", "[a]"));
  CHECK(GlobMatch("\\\\", "\\"));
  CHECK(GlobMatch("\\a", "a"));
  CHECK(GlobMatch("a\\", "a\\"));  // a trailing backslash is literal
  CHECK_FALSE(GlobMatch("a\\", "a"));
}

TEST_CASE("nocase") {
  CHECK(GlobMatch("HELLO", "hello", true));
  CHECK_FALSE(GlobMatch("HELLO", "hello", false));
  CHECK(GlobMatch("h*O", "HellO", true));
  CHECK(GlobMatch("[A-Z]", "q", true));
  CHECK(GlobMatch("[a-z]", "Q", true));
  CHECK_FALSE(GlobMatch("[a-z]", "Q", false));
  CHECK(GlobMatch("[XYZ]", "y", true));
  CHECK(GlobMatch("[^XYZ]", "y", false));
  CHECK_FALSE(GlobMatch("[^XYZ]", "y", true));
  // An escaped byte inside brackets compares exactly, as in Redis.
  CHECK_FALSE(GlobMatch("[\\A]", "a", true));
  CHECK(GlobMatch("\\A", "a", true));  // outside brackets it folds
  CHECK_FALSE(GlobMatch("\xC9", "\xE9", true));  // only ASCII folds
}

TEST_CASE("binary-safe") {
  CHECK(GlobMatch("a\0*"s, "a\0bc"s));
  CHECK_FALSE(GlobMatch("a\0*"s, "abc"s));
  CHECK(GlobMatch("?", "\xff"));
  CHECK(GlobMatch("?", "\0"s));
  CHECK(GlobMatch("[\x01-\x03]", "\x02"));
  CHECK(GlobMatch("*\r\n*", "x\r\ny"));
  // Bytes compare as signed chars, as Redis on x86-64: "[a-\xff]" is the range
  // -1..'a', so it holds '0' and '\xff' but not 'b'.
  CHECK(GlobMatch("[a-\xff]", "0"));
  CHECK(GlobMatch("[a-\xff]", "\xff"));
  CHECK_FALSE(GlobMatch("[a-\xff]", "b"));
  CHECK(GlobMatch("[\x80-\xfe]", "\x90"));
}

TEST_CASE("pathological patterns finish quickly (keyspace.tcl regressions)") {
  const auto start = std::chrono::steady_clock::now();
  // "Regression for pattern matching long nested loops".
  CHECK_FALSE(GlobMatch(Repeat("a*", 33) + "b", std::string(61, 'a')));
  // The same shape against a long subject: exponential without skip-longer-matches.
  CHECK_FALSE(GlobMatch(Repeat("a*", 40) + "b", std::string(100000, 'a')));
  CHECK_FALSE(GlobMatch(Repeat("*a", 40) + "*b", std::string(100000, 'a')));
  CHECK(GlobMatch(Repeat("*a", 40) + "*b", std::string(100000, 'a') + "b"));
  // "Regression for pattern matching very long nested loops": 50,000 "*?" against
  // 50,000 'a' stops at the nesting limit instead of exhausting the stack.
  CHECK_FALSE(GlobMatch(Repeat("*?", 50000), std::string(50000, 'a')));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("nesting limit: more than 1000 stars never match") {
  CHECK(GlobMatch(Repeat("*a", 1000), std::string(1000, 'a')));
  CHECK_FALSE(GlobMatch(Repeat("*a", 1001), std::string(1001, 'a')));
}

// A plain backtracking matcher for patterns made only of literals, '?' and '*', where
// glob semantics are unambiguous; GlobMatch must agree with it (empty subjects aside:
// there stringmatchlen has its own rule, tested above).
bool Reference(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (Reference(p.substr(1), s.substr(i))) return true;
    }
    return false;
  }
  if (s.empty()) return false;
  if (p[0] != '?' && p[0] != s[0]) return false;
  return Reference(p.substr(1), s.substr(1));
}

TEST_CASE("agrees with a reference matcher on '*' and '?' patterns") {
  std::mt19937 rng(1234);
  auto random_string = [&](std::string_view alphabet, size_t max_len) {
    std::string out(rng() % (max_len + 1), ' ');
    for (char& c : out) c = alphabet[rng() % alphabet.size()];
    return out;
  };
  int disagreements = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string p = random_string("ab*?", 8);
    const std::string s = random_string("ab", 8);
    if (s.empty()) continue;
    if (GlobMatch(p, s) != Reference(p, s)) {
      ++disagreements;
      INFO("pattern '", p, "' subject '", s, "'");
      CHECK(GlobMatch(p, s) == Reference(p, s));
    }
  }
  CHECK(disagreements == 0);
}

TEST_CASE("random patterns with every special byte never misbehave") {
  // Run under -fsanitize=address to catch reads outside pattern or subject.
  std::mt19937 rng(99);
  size_t matches = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string p(rng() % 12, ' ');
    for (char& c : p) c = "*?[]^-\\ab!A"[rng() % 11];
    std::string s(rng() % 6, ' ');
    for (char& c : s) c = "ab]-^\\*A"[rng() % 8];
    // Exact-size heap copies so ASan sees any read past the end.
    const std::vector<char> pv(p.begin(), p.end());
    const std::vector<char> sv(s.begin(), s.end());
    matches += GlobMatch(std::string_view(pv.data(), pv.size()),
                         std::string_view(sv.data(), sv.size()), i % 2 == 0);
  }
  CHECK(matches > 0);
}


TEST_CASE("GlobMatchBounded agrees with GlobMatch while its steps last") {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string p(rng() % 12, ' ');
    for (char& c : p) c = "*?[]^-\\ab"[rng() % 9];
    std::string s(rng() % 10, ' ');
    for (char& c : s) c = "ab]-^\\"[rng() % 6];
    uint64_t plenty = 1'000'000;
    auto bounded = GlobMatchBounded(p, s, &plenty, i % 2 == 0);
    REQUIRE(bounded.has_value());
    CHECK(*bounded == GlobMatch(p, s, i % 2 == 0));
  }
  // A lone '*' costs nothing; an early mismatch costs one step.
  uint64_t steps = 0;
  CHECK(GlobMatchBounded("*", "anything", &steps) == true);
  steps = 1;
  CHECK(GlobMatchBounded("user:*", "session:1", &steps) == false);
  CHECK(steps == 0);
}

TEST_CASE("GlobMatchBounded gives up on a pathological pattern when its steps run out") {
  // "*" then 1,000 '?' then 'b' against 1 MiB of 'a': about 10^9 steps unbounded.
  const std::string pattern = "*" + std::string(1000, '?') + "b";
  const std::string subject(1 << 20, 'a');
  const auto start = std::chrono::steady_clock::now();
  uint64_t steps = 1'000'000;
  CHECK_FALSE(GlobMatchBounded(pattern, subject, &steps).has_value());
  CHECK(steps == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  // The same match with enough steps answers, and spends about subject x pattern.
  const std::string short_subject(3000, 'a');
  steps = 10'000'000;
  CHECK(GlobMatchBounded(pattern, short_subject, &steps) == false);
  CHECK(10'000'000 - steps > 2000 * 1000);
  CHECK(GlobMatchBounded(pattern, short_subject + "b", &steps) == true);
}

}  // namespace
}  // namespace crescent
