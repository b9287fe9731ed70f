// Glob matching with Redis's semantics (KEYS, SCAN MATCH, CONFIG GET, CLIENT KILL patterns):
// `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` (reversed ranges like `[z-a]` allowed), `\x`
// escapes (also inside brackets), binary-safe, optional case folding (ASCII). As in Redis
// there is no `[!abc]` (`!` is an ordinary member), a `[` without a closing `]` is a class
// that runs to the end of the pattern, and bytes compare as signed chars (Redis on x86-64),
// which matters only for ranges that span 0x7f/0x80.
// Empty subject: stringmatchlen never lets a `*` match it, but KEYS and SCAN treat a lone
// `*` as "everything" before calling it; so here a lone `*` matches "" and any other
// non-empty pattern (even `**`) does not, which is what a Redis client sees.
// Linear in practice: a `*` run collapses, and a failed `*` suffix search stops the whole
// match, as Redis's stringmatchlen does; more than 1000 nested `*` never match (Redis's
// guard against abusive patterns).
// Thread-safe (pure function).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace crescent {

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase = false);

// GlobMatch with its work bounded, for patterns a client sends against many keys (KEYS,
// SCAN MATCH): spends one of *steps per pattern token tried (and per bracket member),
// so a match costs at most about key bytes x pattern bytes steps and usually far fewer
// (a mismatch at the first byte costs one). nullopt, with *steps at 0, when they ran out
// before the answer was known. A lone "*" matches without a step.
std::optional<bool> GlobMatchBounded(std::string_view pattern, std::string_view subject,
                                     uint64_t* steps, bool nocase = false);

}  // namespace crescent
