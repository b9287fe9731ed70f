#include "tools/crescent_cli/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace crescent::cli {
namespace {

const Json kNull;
const std::string kEmptyString;
const Json::Object kEmptyObject;
const Json::Array kEmptyArray;

void WriteString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
          *out += buf;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

int64_t Json::as_int(int64_t fallback) const {
  if (auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (auto* d = std::get_if<double>(&v_)) return static_cast<int64_t>(*d);
  if (auto* b = std::get_if<bool>(&v_)) return *b ? 1 : 0;
  return fallback;
}

double Json::as_double(double fallback) const {
  if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v_)) return *d;
  return fallback;
}

const std::string& Json::as_string() const {
  auto* s = std::get_if<std::string>(&v_);
  return s ? *s : kEmptyString;
}

const Json::Object& Json::as_object() const {
  auto* o = std::get_if<Object>(&v_);
  return o ? *o : kEmptyObject;
}

const Json::Array& Json::as_array() const {
  auto* a = std::get_if<Array>(&v_);
  return a ? *a : kEmptyArray;
}

Json::Object& Json::object() { return std::get<Object>(v_); }

const Json& Json::operator[](std::string_view key) const {
  for (const auto& [k, v] : as_object()) {
    if (k == key) return v;
  }
  return kNull;
}

bool Json::has(std::string_view key) const {
  for (const auto& [k, v] : as_object()) {
    if (k == key) return true;
  }
  return false;
}

void Json::set(std::string key, Json value) {
  if (!is_object()) v_ = Object{};
  for (auto& [k, v] : object()) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  object().emplace_back(std::move(key), std::move(value));
}

std::string Json::ToText() const {
  if (is_null()) return "None";
  if (auto* b = std::get_if<bool>(&v_)) return *b ? "True" : "False";
  if (auto* i = std::get_if<int64_t>(&v_)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v_)) return FormatDouble(*d);
  if (is_string()) return as_string();
  return Dump();
}

void Json::Write(std::string* out) const {
  if (is_null()) {
    *out += "null";
  } else if (auto* b = std::get_if<bool>(&v_)) {
    *out += *b ? "true" : "false";
  } else if (auto* i = std::get_if<int64_t>(&v_)) {
    *out += std::to_string(*i);
  } else if (auto* d = std::get_if<double>(&v_)) {
    *out += FormatDouble(*d);
  } else if (is_string()) {
    WriteString(as_string(), out);
  } else if (is_array()) {
    out->push_back('[');
    bool first = true;
    for (const Json& e : as_array()) {
      if (!first) *out += ", ";
      first = false;
      e.Write(out);
    }
    out->push_back(']');
  } else {
    out->push_back('{');
    bool first = true;
    for (const auto& [k, v] : as_object()) {
      if (!first) *out += ", ";
      first = false;
      WriteString(k, out);
      *out += ": ";
      v.Write(out);
    }
    out->push_back('}');
  }
}

}  // namespace crescent::cli
