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
// Sent, as Redis does, to a non-loopback client that protected mode refuses.
inline constexpr std::string_view kProtectedModeDenied =
    "DENIED Crescent is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Crescent you "
    "may adopt one of the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
    "Crescent from the same host the server is running, however MAKE SURE Crescent is not "
    "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
    "permanent. 2) Alternatively you can just disable the protected mode by editing the "
    "Crescent configuration file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for testing, restart "
    "it with the '--protected-mode no' option. 4) Set up an authentication password for the "
    "default user. NOTE: You only need to do one of the above things in order for the server "
    "to start accepting connections from the outside.";
inline constexpr std::string_view kKeyTooLong = "ERR key is longer than max-key-size";
inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";

// Connection commands.
inline constexpr std::string_view kProtocolNotInteger =
    "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
    "select the RESP protocol version at the same time";
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
inline constexpr std::string_view kClientIdNotPositive = "ERR client-id should be greater than 0";

// Keyspace commands: EXPIRE's NX / XX / GT / LT.
inline constexpr std::string_view kExpireNxConflict =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtLtConflict =
    "ERR GT and LT options at the same time are not compatible";

// Server commands.
inline constexpr std::string_view kNoConfigFile = "ERR The server is running without a config file";
inline constexpr std::string_view kSlowlogCount = "ERR count should be greater than or equal to -1";

// ACL checks.
inline constexpr std::string_view kNoPermKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";

// Object and segment commands: Mooncake's error names as the code.
inline constexpr std::string_view kNumKeysNotPositive =
    "INVALID_PARAMS numkeys must be a positive integer";
inline constexpr std::string_view kNumKeysTooLarge =
    "INVALID_PARAMS numkeys is larger than the number of key value pairs";
inline constexpr std::string_view kSegmentSizeTooSmall =
    "INVALID_PARAMS segment size must be at least 1MB, such as 512MB or 4GB";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kNoShutdownInProgress = "ERR No shutdown in progress.";
inline constexpr std::string_view kPersistenceOff =
    "ERR persistence is off: there is no SSD tier to save to";
inline constexpr std::string_view kSaveFailed =
    "ERR the SSD tier could not write every queued object (see the server log)";
inline constexpr std::string_view kBgSaveInProgress = "ERR Background save already in progress";
inline constexpr std::string_view kPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr std::string_view kScriptingNotSupported =
    "ERR scripting (EVAL, EVALSHA, SCRIPT, FUNCTION, FCALL) is not supported by Crescent";
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
inline constexpr std::string_view kRegexLongerThanProgram =
    "INVALID_PARAMS invalid regular expression: pattern too large (longer than "
    "regex-max-program-size)";
// KEYS, SCAN MATCH, QUERYREGEX, REMOVEREGEX whose pattern matching ran out of
// match-budget (REMOVEREGEX then removed nothing).
inline constexpr std::string_view kMatchBudget =
    "ERR pattern matching over the keyspace exceeds match-budget (key bytes x pattern "
    "cost); use a narrower or simpler pattern, or raise match-budget";
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
// Redis's reply when a subcommand exists but its arguments do not fit (SLOWLOG GET 1 2).
std::string SubcommandSyntax(std::string_view sub, std::string_view container);
std::string InvalidExpireTime(std::string_view command);
std::string HelloSyntax(std::string_view option);
std::string BadClientInfoValue(std::string_view attribute);
std::string UnrecognizedClientInfoOption(std::string_view option);
std::string UnknownClientType(std::string_view type);
std::string NoSuchUser(std::string_view name);
std::string ExpireUnsupportedOption(std::string_view option);
std::string ConfigSetDuplicate(std::string_view name);
std::string ConfigSetFailed(std::string_view message);  // the config layer's own text
std::string RewriteCannotWrite(std::string_view path);
std::string RewriteFailed(std::string_view why);
std::string NoPermCommand(std::string_view full_name);
// INVALID_PARAMS with what is wrong with an object command's argument.
std::string InvalidParams(std::string_view why);
std::string InvalidRegex(std::string_view why);
std::string SegmentNotFound(std::string_view name);
std::string SegmentExists(std::string_view name);
std::string HomeSegmentNotUnmountable(std::string_view name);

// Redis commands answer with Redis's texts (OOM ...), object commands with Mooncake's
// error names as the code (NO_AVAILABLE_HANDLE ...).
enum class ErrorStyle { kRedis, kObject };

// The RESP error text for a Status from the layers below: one fixed text per code. The
// status's own message is never sent: it may hold paths or RocksDB's words, and a
// client must be able to match the text. Where a text names what the client gave (a
// segment), the handler uses the named function with the client's argument.
std::string ErrorText(const Status& status, ErrorStyle style = ErrorStyle::kRedis);

// ErrorText for a SEGMENT command about segment `name`: the errors that name it say so.
std::string SegmentErrorText(const Status& status, std::string_view name);

}  // namespace crescent::server::errors
