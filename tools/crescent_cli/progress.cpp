#include "tools/crescent_cli/progress.h"

#include <cstdio>

#include "tools/crescent_cli/format.h"

namespace crescent::cli {
namespace {

constexpr int kWidth = 30;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, Unit unit, bool enabled)
    : label_(std::move(label)),
      total_(total > 0 ? total : 0),
      unit_(unit),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::Amount(int64_t n) const {
  return unit_ == Unit::kBytes ? HumanBytes(static_cast<double>(n)) : Thousands(n);
}

void ProgressBar::Update(int64_t done, bool force) {
  done_ = done;
  if (!enabled_ || closed_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && Seconds(now - last_) < 0.1) return;
  last_ = now;
  double elapsed = std::max(Seconds(now - start_), 1e-6);
  double rate = static_cast<double>(done) / elapsed;
  std::string text;
  if (total_ > 0) {
    double frac = std::min(static_cast<double>(done) / static_cast<double>(total_), 1.0);
    int filled = static_cast<int>(frac * kWidth);
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%5.1f%%", frac * 100);
    text = label_ + " [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " + pct +
           " " + Amount(done) + "/" + Amount(total_);
  } else {
    text = label_ + " " + Amount(done);
  }
  if (unit_ == Unit::kBytes) {
    text += "  " + HumanBytes(rate) + "/s";
  } else {
    text += " objects  " + Thousands(static_cast<int64_t>(rate + 0.5)) + "/s";
  }
  std::fprintf(stderr, "\r%s\x1b[K", text.c_str());
  std::fflush(stderr);
}

void ProgressBar::Close() {
  if (!enabled_ || closed_) return;
  Update(done_, true);
  closed_ = true;
  std::fputs("\n", stderr);
  std::fflush(stderr);
}

Spinner::Spinner(std::string label, bool enabled) : label_(std::move(label)) {
  if (enabled) thread_ = std::thread([this] { Run(); });
}

Spinner::~Spinner() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
}

void Spinner::Run() {
  static const char kFrames[] = "|/-\\";
  auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  for (int i = 0;; ++i) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) return;
    std::fprintf(stderr, "\r%s %c %.1fs\x1b[K", label_.c_str(), kFrames[i % 4],
                 Seconds(std::chrono::steady_clock::now() - start));
    std::fflush(stderr);
  }
}

}  // namespace crescent::cli
