// Start-up configuration: the YAML file first, then command-line flags, which win.
// Every failure names where the bad value came from (file:line, key) and what is
// accepted; nothing here runs after start-up, so exceptions from the parsers are caught
// and turned into Status at this boundary.
#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <iostream>
#include <sstream>

#include "config/options.h"

namespace crescent::config {

namespace po = boost::program_options;

namespace {

Status LoadYaml(const std::string& path, Config* config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status(StatusCode::kInvalidArgument, fmt::format("{}: cannot open the file", path));
  } catch (const YAML::ParserException& e) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("{}:{}: expected a map of option: value", path, root.Mark().line + 1));
  }
  for (const auto& item : root) {
    std::string key = item.first.as<std::string>();
    int line = item.first.Mark().line + 1;
    if (key == "users") {
      std::vector<UserSpec> users;
      Status s = ParseUsers(item.second, path, &users);
      if (!s.ok()) return s;
      config->set_users(std::move(users));
      continue;
    }
    if (!item.second.IsScalar()) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("{}:{}: key '{}': expected a single value", path, line, key));
    }
    if (key == "config") {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("{}:{}: key 'config': a file cannot name another", path, line));
    }
    Status s = config->Set(key, item.second.as<std::string>());
    if (!s.ok()) {
      bool unknown = FindOption(key) == nullptr;
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("{}:{}: key '{}': {}{}", path, line, key, s.message(),
                                unknown ? " (crescentd --help lists every option)" : ""));
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadStartupConfig(int argc, char** argv, Config* config, bool* exit_now,
                         std::string* out) {
  *exit_now = false;
  po::options_description described("crescentd options (every one is also a YAML key)");
  described.add_options()("help,h", "print this help and exit")("version,v",
                                                                 "print the version and exit");
  for (const OptionSpec& spec : AllOptions()) {
    std::string help(spec.help);
    if (!spec.default_value.empty()) help += fmt::format(" [default: {}]", spec.default_value);
    if (!spec.choices.empty()) help += fmt::format(" (one of {})", spec.choices);
    described.add_options()(std::string(spec.name).c_str(), po::value<std::string>(),
                            help.c_str());
  }
  po::parsed_options parsed(&described);
  try {
    parsed = po::command_line_parser(argc, argv).options(described).run();
  } catch (const po::error& e) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("{} (crescentd --help lists every option)", e.what()));
  }
  // The last occurrence of each flag wins, as with redis-server.
  auto flag = [&](std::string_view name) -> const po::option* {
    const po::option* found = nullptr;
    for (const auto& option : parsed.options) {
      if (option.string_key == name) found = &option;
    }
    return found;
  };
  if (flag("help")) {
    std::ostringstream os;
    os << "Usage: crescentd [--option value ...]\n" << described;
    *out = os.str();
    *exit_now = true;
    return Status::Ok();
  }
  if (flag("version")) {
    *out = "crescentd " CRESCENT_VERSION "\n";
    *exit_now = true;
    return Status::Ok();
  }
  if (const po::option* file = flag("config"); file != nullptr && !file->value.empty()) {
    std::string path = file->value.back();
    Status s = LoadYaml(path, config);
    if (!s.ok()) return s;
    s = config->Set("config", path);
    if (!s.ok()) return s;
  }
  // Flags in the order given; the last occurrence of an option wins.
  for (const auto& option : parsed.options) {
    if (option.string_key == "config" || option.string_key == "help" ||
        option.string_key == "version" || option.value.empty()) {
      continue;
    }
    Status s = config->Set(option.string_key, option.value.back());
    if (!s.ok()) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("command line: --{}: {}", option.string_key, s.message()));
    }
  }
  return Status::Ok();
}

}  // namespace crescent::config
