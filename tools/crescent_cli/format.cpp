#include "tools/crescent_cli/format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace crescent::cli {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || (c >= 0xF8) || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (n == 3 && ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xED && b(i + 1) >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) >= 0x90))) return 0;
  return n;
}

void AppendHexByte(std::string* out, unsigned char c) {
  char buf[5];
  std::snprintf(buf, sizeof(buf), "\\x%02x", c);
  *out += buf;
}

bool IsPrintableUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return false;
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    if (c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;  // C1 controls
    i += n;
  }
  return true;
}

Json InfoValue(std::string_view v) {
  int64_t i;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
  if (ec == std::errc() && p == v.data() + v.size() && !v.empty()) return Json(i);
  double d;
  auto [p2, ec2] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec2 == std::errc() && p2 == v.data() + v.size() && !v.empty() && std::isfinite(d)) {
    return Json(d);
  }
  if (v.find('=') != std::string_view::npos) {
    Json obj = Json::Object{};
    bool all = true;
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string_view part = v.substr(start, comma == std::string_view::npos ? v.npos : comma - start);
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        all = false;
        break;
      }
      obj.set(std::string(part.substr(0, eq)), InfoValue(part.substr(eq + 1)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (all) return obj;
  }
  return Json(v);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ShowKey(std::string_view key) {
  if (IsPrintableUtf8(key)) return std::string(key);
  std::string out;
  for (char ch : key) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(ch);
    } else {
      AppendHexByte(&out, c);
    }
  }
  return out;
}

std::string JsonKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (size_t i = 0; i < key.size();) {
    size_t n = Utf8SequenceLength(key, i);
    if (n == 0) {
      AppendHexByte(&out, static_cast<unsigned char>(key[i]));
      ++i;
    } else {
      out.append(key.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string HumanBytes(double n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  for (int u = 0; u < 5; ++u) {
    if (std::fabs(n) < 1024 || u == 4) {
      return u == 0 ? Fixed(n, 0) + " B" : Fixed(n, 1) + " " + kUnits[u];
    }
    n /= 1024;
  }
  return Fixed(n, 1) + " TiB";
}

std::string HumanMs(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  double s = static_cast<double>(ms) / 1000;
  if (s < 120) return Fixed(s, 1) + "s";
  std::vector<std::string> parts;
  const std::pair<double, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (const auto& [size, unit] : units) {
    if (s >= size || (unit[0] == 's' && parts.empty())) {
      parts.push_back(std::to_string(static_cast<int64_t>(std::floor(s / size))) + unit);
      s = std::fmod(s, size);
    }
  }
  std::string out;
  for (size_t i = 0; i < parts.size() && i < 3; ++i) out += (i ? " " : "") + parts[i];
  return out;
}

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<std::string>& headers, const std::vector<size_t>& right) {
  std::vector<size_t> widths(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      bool r = std::find(right.begin(), right.end(), i) != right.end();
      std::string pad(widths[i] - cells[i].size(), ' ');
      if (i) l += "  ";
      l += r ? pad + cells[i] : cells[i] + pad;
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(headers);
  for (const auto& row : rows) line(row);
  return out;
}

std::string Fields(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : rows) out += k + std::string(width - k.size(), ' ') + "  " + v + "\n";
  return out;
}

Json ParseInfo(std::string_view text) {
  Json sections = Json::Object{};
  std::string current;
  Json fields = Json::Object{};
  bool have_current = false;
  auto flush = [&] {
    if (have_current || !fields.as_object().empty()) {
      Json existing = sections[current];
      if (existing.is_object()) {
        for (const auto& [k, v] : fields.as_object()) existing.set(k, v);
        sections.set(current, existing);
      } else {
        sections.set(current, fields);
      }
    }
    fields = Json::Object{};
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = Trim(text.substr(start, nl == text.npos ? text.npos : nl - start));
    start = nl == text.npos ? text.size() : nl + 1;
    if (line.empty()) continue;
    if (line.front() == '#') {
      flush();
      while (!line.empty() && (line.front() == '#' || line.front() == ' ')) line.remove_prefix(1);
      current.clear();
      for (char c : line) current.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      have_current = true;
      continue;
    }
    size_t colon = line.find(':');
    if (colon != line.npos) fields.set(std::string(line.substr(0, colon)), InfoValue(line.substr(colon + 1)));
  }
  flush();
  return sections;
}

Json FlatInfo(const Json& sections) {
  Json out = Json::Object{};
  for (const auto& [name, fields] : sections.as_object()) {
    for (const auto& [k, v] : fields.as_object()) out.set(k, v);
  }
  return out;
}

Json ReplyToJson(const protocol::Reply& reply, bool as_pairs) {
  switch (reply.type) {
    case ':':
      return Json(reply.integer);
    case '#':
      return Json(reply.integer != 0);
    case ',': {
      double d = 0;
      std::from_chars(reply.str.data(), reply.str.data() + reply.str.size(), d);
      return Json(d);
    }
    case '_':
      return Json();
    case '*':
    case '~':
    case '>': {
      if (as_pairs && reply.type == '*') return PairsToJson(reply);
      Json::Array a;
      for (const auto& e : reply.elements) a.push_back(ReplyToJson(e));
      return Json(std::move(a));
    }
    case '%':
      return PairsToJson(reply);
    default:
      return Json(JsonKey(reply.str));
  }
}

Json PairsToJson(const protocol::Reply& reply) {
  Json out = Json::Object{};
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    out.set(JsonKey(reply.elements[i].str), ReplyToJson(reply.elements[i + 1]));
  }
  return out;
}

}  // namespace crescent::cli
