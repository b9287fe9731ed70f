// Text for people and values for --json, from what the server replies: keys shown safely,
// byte counts and durations in human units, thousands separators, tables, INFO's text as
// sections of fields, and RESP replies as Json values. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_parser.h"
#include "tools/crescent_cli/json.h"

namespace crescent::cli {

// A key as text when it is printable UTF-8; otherwise with \xNN escapes (and \n, \r, \t,
// \\), so that a binary key never writes control bytes to a terminal.
std::string ShowKey(std::string_view key);
// A key for JSON: valid UTF-8 is kept, every byte that is not becomes the text \xNN.
std::string JsonKey(std::string_view key);

std::string HumanBytes(double n);        // "512 B", "1.5 KiB", "16.0 MiB"
std::string HumanMs(int64_t ms);         // "250 ms", "1.5s", "3m 20s", "2d 3h 5m"
std::string Thousands(int64_t n);        // 1234567 -> "1,234,567"
std::string Fixed(double v, int decimals);  // "%.{decimals}f"

// Columns padded to their widest cell, two spaces apart; columns in `right` aligned right.
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<std::string>& headers, const std::vector<size_t>& right);
// "name  value" lines with the names padded to the longest one.
std::string Fields(const std::vector<std::pair<std::string, std::string>>& rows);

// INFO's text as {section: {field: value}}: numbers converted, "a=1,b=2" values as objects,
// section names lower case ("# Server" -> "server").
Json ParseInfo(std::string_view text);
// Every section's fields in one object.
Json FlatInfo(const Json& sections);

// A reply as Json: strings (JsonKey-decoded), integers, doubles, null, arrays; maps (and
// RESP2 flat name/value arrays where `as_pairs`) as objects.
Json ReplyToJson(const protocol::Reply& reply, bool as_pairs = false);
// A map reply (RESP3 map or RESP2 flat array) as an object whose values are converted by
// ReplyToJson; nested aggregates stay arrays.
Json PairsToJson(const protocol::Reply& reply);

}  // namespace crescent::cli
