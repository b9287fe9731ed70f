// PipelinedKeys: a quick look at the requests waiting in a connection's input, for
// prefetching. It finds the second argument (the key, for the commands that carry one)
// of each complete multibulk request at the front of the input, without parsing or
// validating anything else: the request parser still decides what every request is.
//
// A wrong guess costs a wasted prefetch and nothing else, so the scan stops at the first
// thing it does not expect (an inline command, a request with one argument, a length it
// cannot read, an incomplete request).
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace crescent::protocol {

// Fills `keys` with up to keys.size() keys, in order; returns how many.
size_t PipelinedKeys(std::span<const char> input, std::span<std::string_view> keys);

}  // namespace crescent::protocol
