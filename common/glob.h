// Glob matching with Redis's semantics (KEYS, SCAN MATCH, CONFIG GET, CLIENT KILL patterns):
// `*`, `?`, `[abc]`, `[^abc]` / `[!abc]`, `[a-z]` (reversed ranges allowed), `\x` escapes,
// binary-safe, optional case folding. Linear in practice: a `*` run collapses, and a
// failed `*` suffix search stops the whole match, as Redis's stringmatchlen does.
// Thread-safe (pure function).
#pragma once

#include <string_view>

namespace crescent {

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase = false);

}  // namespace crescent
