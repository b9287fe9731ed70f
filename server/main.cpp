// crescentd: reads the configuration, builds the node and runs it until SIGTERM/SIGINT.
// Exit codes: 0 after a clean shutdown, 1 when start-up fails (the message says why).
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "common/clock.h"
#include "config/options.h"
#include "server/server.h"
#include "storage/store.h"

namespace {

using crescent::config::OptionId;

// dir's "{port}" (the default is ./data-{port}): two instances on one host started with
// only a different --port then keep their SSD tiers apart.
std::string ExpandPort(std::string dir, int64_t port) {
  for (size_t at = dir.find("{port}"); at != std::string::npos; at = dir.find("{port}", at)) {
    dir.replace(at, 6, std::to_string(port));
  }
  return dir;
}

spdlog::level::level_enum LogLevel(std::string_view name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return spdlog::level::info;
}

bool SetUpLogging(const crescent::config::Config& config) {
  std::string file = config.String(OptionId::kLogFile);
  try {
    auto logger = file.empty() ? spdlog::stderr_color_mt("crescentd")
                               : spdlog::basic_logger_mt("crescentd", file);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    std::fprintf(stderr, "crescentd: logfile '%s': %s\n", file.c_str(), e.what());
    return false;
  }
  spdlog::set_level(LogLevel(config.EnumName(OptionId::kLogLevel)));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");
  return true;
}

void LogEffectiveConfig(const crescent::config::Config& config) {
  for (const auto& spec : crescent::config::AllOptions()) {
    if (spec.secret) {
      spdlog::info("config {} = {}", spec.name, config.String(spec.id).empty() ? "(none)" : "(set)");
    } else {
      spdlog::info("config {} = {}", spec.name, config.String(spec.id));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  crescent::config::Config config;
  bool exit_now = false;
  std::string out;
  crescent::Status status = crescent::config::LoadStartupConfig(argc, argv, &config, &exit_now, &out);
  if (!status.ok()) {
    std::fprintf(stderr, "crescentd: %s\n", status.message().c_str());
    return 1;
  }
  if (exit_now) {
    std::cout << out;
    return 0;
  }
  if (!SetUpLogging(config)) return 1;
  LogEffectiveConfig(config);

  crescent::SystemClock clock;
  crescent::storage::StoreOptions store_options;
  store_options.memory_capacity = static_cast<size_t>(config.Int(OptionId::kMaxMemory));
  store_options.huge_pages = config.Bool(OptionId::kHugePages);
  store_options.config = &config;
  using Persistence = crescent::storage::StoreOptions::Persistence;
  std::string_view persistence = config.EnumName(OptionId::kPersistence);
  store_options.persistence = persistence == "sync"    ? Persistence::kSync
                              : persistence == "async" ? Persistence::kAsync
                                                       : Persistence::kOff;
  store_options.dir = ExpandPort(config.String(OptionId::kDir), config.Int(OptionId::kPort));
  store_options.disk_queue_bytes = static_cast<size_t>(config.Int(OptionId::kPersistenceQueueSize));
  store_options.log = [](std::string_view line) { spdlog::warn("storage: {}", line); };
  auto store = crescent::storage::Store::Create(store_options, &clock);
  if (!store.ok()) {
    spdlog::error("cannot open the store: {}", store.status().message());
    return 1;
  }
  if (store_options.persistence != Persistence::kOff) {
    auto stats = (*store)->GetStats();
    spdlog::info("SSD tier at {}: {} objects found again in {} ms", store_options.dir,
                 stats.disk_loaded_objects, stats.disk_load_ms);
  }
  crescent::server::Server server(&config, std::move(store).value(), &clock);
  status = server.Start();
  if (!status.ok()) {
    spdlog::error("{}", status.message());
    return 1;
  }
  server.Run();
  return 0;
}
