// Error texts the server sends, in one place: Redis's exact texts for Redis commands,
// Mooncake's error names as the code of object commands. Status codes from the layers
// below become RESP errors only through ErrorText().
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace crescent::server::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNanOrInfinity = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthWithoutPassword =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
// DUMP / RESTORE and OBJECT.
inline constexpr std::string_view kDumpPayloadWrong = "ERR DUMP payload version or checksum are wrong";
inline constexpr std::string_view kBadDataFormat = "ERR Bad data format";
inline constexpr std::string_view kBusyKey = "BUSYKEY Target key name already exists.";
inline constexpr std::string_view kInvalidTtl = "ERR Invalid TTL value, must be >= 0";
inline constexpr std::string_view kInvalidIdleTime = "ERR Invalid IDLETIME value, must be >= 0";
inline constexpr std::string_view kInvalidFreq = "ERR Invalid FREQ value, must be >= 0 and <= 255";
inline constexpr std::string_view kFrequencyNotTracked =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr std::string_view kIdleTimeNotTracked =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

std::string WrongArity(std::string_view full_name);
std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args);
std::string UnknownSubcommand(std::string_view sub, std::string_view container);
std::string InvalidExpireTime(std::string_view command);

// Redis commands answer with Redis's texts (OOM ...), object commands with Mooncake's
// error names as the code (NO_AVAILABLE_HANDLE ...).
enum class ErrorStyle { kRedis, kObject };

// The RESP error text for a Status from the layers below (never their raw text alone).
std::string ErrorText(const Status& status, ErrorStyle style = ErrorStyle::kRedis);

}  // namespace crescent::server::errors
