#include "server/command_table.h"

#include <algorithm>
#include <cctype>

namespace crescent::server {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// Command names are at most this long: a longer one is no command.
constexpr size_t kMaxNameLength = 64;

// Looks `name` up in any case, lower-casing it into a buffer on the stack (this runs
// for every command).
template <typename Map>
const CommandEntry* FindLower(const Map& map, std::string_view name) {
  if (name.size() > kMaxNameLength) return nullptr;
  char lower[kMaxNameLength];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  auto it = map.find(std::string_view(lower, name.size()));
  return it == map.end() ? nullptr : it->second.get();
}

}  // namespace

const CommandEntry* CommandEntry::FindSubcommand(std::string_view name) const {
  return FindLower(subcommands, name);
}

CommandTable::CommandTable() {
  for (auto family : {
           ConnectionCommands(),
           StringCommands(),
           KeyspaceCommands(),
           ServerCommands(),
           IntrospectionCommands(),
           ObjectCommands(),
           SegmentCommands(),
           AclCommands(),
           TransactionCommands(),
           LifecycleCommands(),
           DiagnosticCommands(),
           BitCommands(),
           DumpCommands(),
           ObjectInspectionCommands()}) {
    for (const CommandSpec& spec : family) {
      auto entry = std::make_unique<CommandEntry>();
      entry->spec = &spec;
      entry->full_name = std::string(spec.name);
      for (const CommandSpec& sub : spec.subcommands) {
        auto child = std::make_unique<CommandEntry>();
        child->spec = &sub;
        child->full_name = entry->full_name + "|" + std::string(sub.name);
        child->parent = entry.get();
        entry->subcommands.emplace(std::string(sub.name), std::move(child));
      }
      ordered_.push_back(entry.get());
      commands_.emplace(std::string(spec.name), std::move(entry));
    }
  }
  std::sort(ordered_.begin(), ordered_.end(),
            [](const CommandEntry* a, const CommandEntry* b) { return a->full_name < b->full_name; });
}

const CommandEntry* CommandTable::Find(std::string_view name) const {
  return FindLower(commands_, name);
}

}  // namespace crescent::server
