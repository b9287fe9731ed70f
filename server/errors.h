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
// Bitmap commands and LCS.
inline constexpr std::string_view kBitOffsetOutOfRange =
    "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kBitNotInteger = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kBitPosBitArgument = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kBitopNotSingleSource =
    "ERR BITOP NOT must be called with a single source key.";
inline constexpr std::string_view kBitfieldInvalidType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr std::string_view kBitfieldInvalidOverflow = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kBitfieldReadOnlyGetOnly =
    "ERR BITFIELD_RO only supports the GET subcommand";
inline constexpr std::string_view kLcsLenWithIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsStringTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsTableTooLarge =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
inline constexpr std::string_view kNotInt32 =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
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
inline constexpr std::string_view kKeyTooLong = "ERR key is longer than max-key-size";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kNoShutdownInProgress = "ERR No shutdown in progress.";
inline constexpr std::string_view kPersistenceOff =
    "ERR persistence is off: there is no SSD tier to save to";
inline constexpr std::string_view kSaveFailed =
    "ERR the SSD tier could not write every queued object (see the server log)";
inline constexpr std::string_view kBgSaveInProgress = "ERR Background save already in progress";
inline constexpr std::string_view kPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL";
// Transactions.
inline constexpr std::string_view kNotAllowedInMulti = "ERR Command not allowed inside a transaction";
inline constexpr std::string_view kMultiNested = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kWatchInMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kTransactionTooLarge =
    "ERR transaction exceeds client-query-buffer-limit";

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
