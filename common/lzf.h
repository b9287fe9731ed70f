// LZF (Marc Lehmann's liblzf 3.6, which Redis vendors as lzf_c.c / lzf_d.c): the
// compression of Redis's RDB strings and DUMP payloads.
//
// The stream is a sequence of runs, each opened by a control byte:
//   000LLLLL                literal run: the next L+1 bytes are copied as they are;
//   LLLooooo [LLLLLLLL] oooooooo
//                           back reference: copy len+2 bytes from `offset+1` bytes back
//                           in the output (len = LLL, or 7 + the extra byte when LLL is
//                           7; offset = the 13 bits ooooo oooooooo). Copies may overlap.
//
// LzfCompress is liblzf's algorithm with Redis's settings (HLOG 16, VERY_FAST), with its
// hash table cleared first (Redis leaves it uninitialised, which only ever costs it a
// match), so a value compresses to the bytes redis-server writes for it.
//
// Pure functions; any thread. Neither trusts its input: a malformed stream is refused,
// never read or written past its ends.
#pragma once

#include <cstddef>
#include <string_view>

namespace crescent {

// Compresses `in` into out[0, out_capacity). Returns the compressed size, or 0 when the
// result would not fit (or `in` is empty): the caller then stores the bytes as they are.
size_t LzfCompress(std::string_view in, char* out, size_t out_capacity);

// Decompresses `in` into exactly `out_size` bytes at `out`. False when `in` is not a
// valid stream or does not expand to exactly `out_size` bytes.
bool LzfDecompress(std::string_view in, char* out, size_t out_size);

}  // namespace crescent
