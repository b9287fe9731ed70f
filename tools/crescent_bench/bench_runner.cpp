#include "tools/crescent_bench/bench_runner.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tools/crescent_bench/cpu_usage.h"

namespace crescent::bench {
namespace {

constexpr int kWarmup = 0;
constexpr int kMeasure = 1;
constexpr int kStop = 2;
constexpr uint64_t kStallNs = 30ull * 1000000000ull;  // no reply for this long: give up

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// What the main thread and the client threads share during one run.
struct Control {
  std::atomic<int> phase{kWarmup};
  std::atomic<bool> go{false};
  std::atomic<int> ready{0};     // threads connected
  std::atomic<int> finished{0};  // threads whose connections are all done
  std::atomic<int64_t> budget{0};
  bool limited = false;          // the budget applies while measuring
};

class ClientThread;

struct Connection final : ReplySink {
  ClientThread* owner = nullptr;
  RespConnection io;
  std::unique_ptr<RequestSource> source;
  std::vector<Request> batch;
  size_t replied = 0;
  uint64_t batch_start_ns = 0;
  bool active = false;
  bool want_write = false;

  bool OnReply(const Reply& reply) override;
};

class ClientThread {
 public:
  ClientThread(Workload* w, Control* ctl, int pipeline) : w_(w), ctl_(ctl), pipeline_(pipeline) {}
  ~ClientThread() {
    if (ep_ >= 0) close(ep_);
  }

  void AddConnection(std::unique_ptr<RequestSource> source) {
    auto c = std::make_unique<Connection>();
    c->owner = this;
    c->source = std::move(source);
    c->batch.reserve(static_cast<size_t>(pipeline_));
    conns_.push_back(std::move(c));
  }

  void Run();
  bool HandleReply(Connection* c, const Reply& r);
  const RunStats& stats() const { return stats_; }

 private:
  void StartBatch(Connection* c);
  void Write(Connection* c);
  void OnReadable(Connection* c);
  void Append(Connection* c, const Request& r);
  void Finish(Connection* c);
  void Fail(Connection* c, const std::string& why);
  void NoteError(const std::string& why) {
    if (stats_.first_error.empty()) stats_.first_error = why;
  }
  size_t Claim(size_t want);

  Workload* w_;
  Control* ctl_;
  int pipeline_;
  int ep_ = -1;
  int active_ = 0;
  uint64_t last_progress_ns_ = 0;
  std::vector<std::unique_ptr<Connection>> conns_;
  RunStats stats_;
};

bool Connection::OnReply(const Reply& reply) { return owner->HandleReply(this, reply); }

void ClientThread::Run() {
  const BenchOptions& o = w_->options();
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  for (auto& c : conns_) {
    std::string err;
    if (!c->io.Connect(o.host, o.port, &err)) {
      ++stats_.connection_failures;
      NoteError(err);
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    epoll_ctl(ep_, EPOLL_CTL_ADD, c->io.fd(), &ev);
    c->active = true;
    ++active_;
  }
  ctl_->ready.fetch_add(1);
  while (!ctl_->go.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::microseconds(200));

  last_progress_ns_ = NowNs();
  for (auto& c : conns_) {
    if (c->active) StartBatch(c.get());
  }
  epoll_event events[64];
  while (active_ > 0) {
    int n = epoll_wait(ep_, events, 64, 50);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Connection*>(events[i].data.ptr);
      if (!c->active) continue;
      if (events[i].events & EPOLLOUT) Write(c);
      if (c->active && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) OnReadable(c);
    }
    if (n > 0) {
      last_progress_ns_ = NowNs();
    } else if (NowNs() - last_progress_ns_ > kStallNs) {
      for (auto& c : conns_) {
        if (c->active) Fail(c.get(), "no reply from the server for 30 s");
      }
    }
  }
  ctl_->finished.fetch_add(1);
}

size_t ClientThread::Claim(size_t want) {
  int64_t before = ctl_->budget.fetch_sub(static_cast<int64_t>(want), std::memory_order_relaxed);
  if (before <= 0) return 0;
  return std::min<size_t>(want, static_cast<size_t>(before));
}

void ClientThread::Append(Connection* c, const Request& r) {
  char key[256];
  std::string_view k(key, w_->FormatKey(r.key, r.generation, key));
  switch (r.op) {
    case Op::kGet: c->io.AppendCommand("GET", k); break;
    case Op::kExists: c->io.AppendCommand("EXISTS", k); break;
    case Op::kDel: c->io.AppendCommand("DEL", k); break;
    case Op::kSet: c->io.AppendSet(k, w_->ValueData(r.key, r.value_len), r.value_len); break;
  }
}

void ClientThread::StartBatch(Connection* c) {
  int phase = ctl_->phase.load(std::memory_order_acquire);
  if (phase == kStop) return Finish(c);
  size_t n = static_cast<size_t>(pipeline_);
  if (phase == kMeasure && ctl_->limited) n = Claim(n);
  c->batch.clear();
  c->io.ClearOutput();
  for (size_t i = 0; i < n; ++i) {
    Request r;
    if (!c->source->Next(&r)) break;
    Append(c, r);
    c->batch.push_back(r);
  }
  if (c->batch.empty()) return Finish(c);
  c->replied = 0;
  c->batch_start_ns = NowNs();
  Write(c);
}

void ClientThread::Write(Connection* c) {
  std::string err;
  IoStatus st = c->io.Flush(&err);
  if (st == IoStatus::kError) return Fail(c, err);
  bool want = st == IoStatus::kWouldBlock;
  if (want != c->want_write) {
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c->io.fd(), &ev);
    c->want_write = want;
  }
  if (!want && c->replied == c->batch.size()) StartBatch(c);
}

void ClientThread::OnReadable(Connection* c) {
  std::string err;
  if (c->io.Receive(c, &err) == IoStatus::kError) {
    if (c->active) Fail(c, err);
    return;
  }
  if (c->active && c->replied == c->batch.size() && !c->io.output_pending()) StartBatch(c);
}

bool ClientThread::HandleReply(Connection* c, const Reply& r) {
  if (c->replied >= c->batch.size()) {
    Fail(c, "protocol error: a reply to no request");
    return false;
  }
  const Request& req = c->batch[c->replied++];
  bool ok = false;
  switch (req.op) {
    case Op::kSet: ok = r.type == '+'; break;
    case Op::kGet: ok = r.type == '$'; break;
    case Op::kExists:
    case Op::kDel: ok = r.type == ':'; break;
  }
  if (!ok) {
    ++stats_.errors;
    if (r.type == '-') NoteError(std::string(r.text));
    else NoteError(std::string("unexpected reply type '") + r.type + "'");
  }
  if (ctl_->phase.load(std::memory_order_relaxed) == kMeasure) {
    stats_.latency.Record(NowNs() - c->batch_start_ns);
    ++stats_.requests;
    ++stats_.by_op[static_cast<int>(req.op)];
    if (ok) {
      switch (req.op) {
        case Op::kSet: stats_.payload_bytes += req.value_len; break;
        case Op::kGet:
          if (r.integer >= 0) {
            ++stats_.get_hits;
            stats_.payload_bytes += static_cast<uint64_t>(r.integer);
          } else {
            ++stats_.get_misses;
          }
          break;
        case Op::kExists: ++(r.integer > 0 ? stats_.exists_true : stats_.exists_false); break;
        case Op::kDel: break;
      }
    }
  }
  c->source->OnReply(req, r);
  return true;
}

void ClientThread::Finish(Connection* c) {
  if (!c->active) return;
  c->active = false;
  --active_;
  epoll_ctl(ep_, EPOLL_CTL_DEL, c->io.fd(), nullptr);
}

void ClientThread::Fail(Connection* c, const std::string& why) {
  if (!c->active) return;
  ++stats_.connection_failures;
  NoteError(why);
  Finish(c);
}

}  // namespace

void RunStats::Merge(const RunStats& o) {
  requests += o.requests;
  for (int i = 0; i < kOpCount; ++i) by_op[i] += o.by_op[i];
  errors += o.errors;
  connection_failures += o.connection_failures;
  payload_bytes += o.payload_bytes;
  get_hits += o.get_hits;
  get_misses += o.get_misses;
  exists_true += o.exists_true;
  exists_false += o.exists_false;
  latency.Merge(o.latency);
  if (first_error.empty()) first_error = o.first_error;
}

RunResult BenchRunner::Prefill() {
  PhasePlan plan;
  plan.prefill = true;
  // Enough requests in flight to hide the round trip, without megabytes queued.
  uint64_t per = workload_->options().value_max + 64;
  plan.pipeline = static_cast<int>(std::clamp<uint64_t>((4ull << 20) / per, 1, 64));
  return Run(plan);
}

RunResult BenchRunner::Measure() {
  const BenchOptions& o = workload_->options();
  PhasePlan plan;
  plan.pipeline = o.workload == WorkloadKind::kKvCache ? 1 : o.pipeline;
  plan.warmup_s = o.warmup_s;
  plan.requests = o.requests;
  plan.duration_s = o.requests > 0 ? 0 : o.duration_s;
  return Run(plan);
}

RunResult BenchRunner::Run(const PhasePlan& plan) {
  const BenchOptions& o = workload_->options();
  int connections = o.connections;
  int nthreads = std::min(o.threads, connections);
  Control ctl;
  ctl.limited = plan.requests > 0;
  ctl.budget.store(static_cast<int64_t>(plan.requests));

  std::vector<std::unique_ptr<ClientThread>> clients;
  for (int t = 0; t < nthreads; ++t) clients.push_back(std::make_unique<ClientThread>(workload_, &ctl, plan.pipeline));
  for (int i = 0; i < connections; ++i) {
    clients[static_cast<size_t>(i % nthreads)]->AddConnection(
        plan.prefill ? workload_->NewPrefillSource() : workload_->NewSource(i));
  }
  std::vector<std::thread> threads;
  for (auto& c : clients) threads.emplace_back([p = c.get()] { p->Run(); });
  while (ctl.ready.load() < nthreads) std::this_thread::sleep_for(std::chrono::microseconds(200));

  auto all_finished = [&] { return ctl.finished.load() >= nthreads; };
  auto sleep_until = [&](uint64_t deadline_ns) {
    while (!all_finished() && NowNs() < deadline_ns) {
      uint64_t left = deadline_ns - NowNs();
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(left, 5000000)));
    }
  };

  bool warm = plan.warmup_s > 0 && !plan.prefill;
  ctl.phase.store(warm ? kWarmup : kMeasure);
  RunResult result;
  uint64_t server0 = 0, server1 = 0;
  uint64_t t0 = NowNs();
  if (warm) {
    ctl.go.store(true, std::memory_order_release);
    sleep_until(t0 + static_cast<uint64_t>(plan.warmup_s * 1e9));
    t0 = NowNs();
  }
  uint64_t cpu0 = SelfCpuNs();
  result.server_cpu_known = o.server_pid > 0 && ProcessCpuNs(o.server_pid, &server0);
  ctl.phase.store(kMeasure, std::memory_order_release);
  ctl.go.store(true, std::memory_order_release);

  uint64_t t1 = 0;
  if (plan.duration_s > 0) {
    sleep_until(t0 + static_cast<uint64_t>(plan.duration_s * 1e9));
    ctl.phase.store(kStop, std::memory_order_release);
    t1 = NowNs();
  } else {
    sleep_until(UINT64_MAX);
    t1 = NowNs();
  }
  uint64_t cpu1 = SelfCpuNs();
  if (result.server_cpu_known) result.server_cpu_known = ProcessCpuNs(o.server_pid, &server1);
  for (auto& t : threads) t.join();

  for (auto& c : clients) result.stats.Merge(c->stats());
  result.seconds = static_cast<double>(t1 - t0) / 1e9;
  result.client_cpu_ns = cpu1 - cpu0;
  result.server_cpu_ns = result.server_cpu_known ? server1 - server0 : 0;
  return result;
}

}  // namespace crescent::bench
