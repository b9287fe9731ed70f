// Json: the value that `--json` prints, built in memory and written in one go, in the
// layout Python's json.dumps uses (", " and ": " separators, insertion order kept), so
// that the documents read exactly as the earlier tool's did. Text is written as UTF-8;
// control characters and the quote and backslash are escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace crescent::cli {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : v_(b) {}
  Json(int v) : v_(static_cast<int64_t>(v)) {}
  Json(int64_t v) : v_(v) {}
  Json(uint64_t v) : v_(static_cast<int64_t>(v)) {}
  Json(double d) : v_(d) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(std::string_view s) : v_(std::string(s)) {}
  Json(Array a) : v_(std::move(a)) {}
  Json(Object o) : v_(std::move(o)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_object() const { return std::holds_alternative<Object>(v_); }
  bool is_array() const { return std::holds_alternative<Array>(v_); }

  int64_t as_int(int64_t fallback = 0) const;     // a double is truncated
  double as_double(double fallback = 0) const;
  const std::string& as_string() const;           // "" unless a string
  const Object& as_object() const;                // empty unless an object
  const Array& as_array() const;                  // empty unless an array
  Object& object();                                // REQUIRES: is_object()

  // The member named `key` of an object, or a null value.
  const Json& operator[](std::string_view key) const;
  bool has(std::string_view key) const;
  void set(std::string key, Json value);           // adds or replaces (object only)

  // This value as text for people: strings unquoted, numbers as Python's str() writes them.
  std::string ToText() const;
  void Write(std::string* out) const;
  std::string Dump() const {
    std::string out;
    Write(&out);
    return out;
  }

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
};

// A double as Python's repr writes it: shortest round-trip digits, ".0" on integral values.
std::string FormatDouble(double d);

}  // namespace crescent::cli
