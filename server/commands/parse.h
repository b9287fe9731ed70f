// Argument parsing shared by the command families, with Redis's strictness: integers as
// string2ll reads them (no spaces, no '+', no leading zeros), floats as strtold reads
// them (no leading space, no trailing bytes, no NaN).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crescent::server {

std::optional<int64_t> ParseInt64(std::string_view s);
std::optional<long double> ParseLongDouble(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Formats a long double as Redis's INCRBYFLOAT does: %.17Lf, trailing zeros and a bare
// dot removed (so 10.5 stays "10.5" and 5.0e3 becomes "5000").
std::string FormatLongDouble(long double value);

}  // namespace crescent::server
