// RespConnection against a peer on a real loopback TCP connection: what it sends, how it
// parses replies that arrive in pieces, its receive low-water mark, and its errors.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tools/crescent_bench/resp_connection.h"

using namespace crescent::bench;

namespace {

struct Recorded {
  char type;
  int64_t integer;
  std::string text;
};

struct RecordingSink : ReplySink {
  std::vector<Recorded> replies;
  size_t stop_after = SIZE_MAX;
  bool OnReply(const Reply& r) override {
    replies.push_back({r.type, r.integer, std::string(r.text)});
    return replies.size() < stop_after;
  }
};

// A connected pair: `client` is the RespConnection under test, `peer` the blocking
// server side of the same loopback connection.
struct Pair {
  RespConnection client;
  int peer = -1;

  explicit Pair(size_t input_capacity = 512 * 1024) : client(input_capacity) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(listener, 1) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    std::string error;
    REQUIRE_MESSAGE(client.Connect("127.0.0.1", ntohs(addr.sin_port), &error), error);
    peer = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(peer >= 0);
    close(listener);
  }
  ~Pair() {
    if (peer >= 0) close(peer);
  }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(peer, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Receives until the sink holds `count` replies; fails after 5 s without one (a
  // receive that is never woken up).
  IoStatus ReceiveUntil(RecordingSink* sink, size_t count, std::string* error) {
    while (sink->replies.size() < count) {
      pollfd p{client.fd(), POLLIN, 0};
      if (poll(&p, 1, 5000) != 1) {
        *error = "no reply within 5 s";
        return IoStatus::kError;
      }
      IoStatus s = client.Receive(sink, error);
      if (s == IoStatus::kError) return s;
    }
    return IoStatus::kWouldBlock;
  }

  int WakeMark() const {
    int mark = 0;
    socklen_t len = sizeof(mark);
    getsockopt(client.fd(), SOL_SOCKET, SO_RCVLOWAT, &mark, &len);
    return mark;
  }
};

std::string ReadExactly(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out.data() + got, n - got);
    REQUIRE(r > 0);
    got += static_cast<size_t>(r);
  }
  return out;
}

}  // namespace

TEST_CASE("every reply type, fed one byte at a time") {
  Pair pair;
  const std::string stream = "+OK\r\n-ERR bad thing\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$-1\r\n_\r\n$0\r\n\r\n";
  RecordingSink sink;
  std::string error;
  for (char c : stream) {
    pair.Send(std::string_view(&c, 1));
    // The byte is on the loopback socket once send() returns.
    IoStatus s = pair.client.Receive(&sink, &error);
    REQUIRE_MESSAGE(s == IoStatus::kWouldBlock, error);
  }
  REQUIRE(sink.replies.size() == 8);
  CHECK(sink.replies[0].type == '+');
  CHECK(sink.replies[0].text == "OK");
  CHECK(sink.replies[1].type == '-');
  CHECK(sink.replies[1].text == "ERR bad thing");
  CHECK(sink.replies[2].type == ':');
  CHECK(sink.replies[2].integer == 42);
  CHECK(sink.replies[3].integer == -7);
  CHECK(sink.replies[4].type == '$');
  CHECK(sink.replies[4].integer == 5);
  CHECK(sink.replies[5].type == '$');
  CHECK(sink.replies[5].integer == -1);
  CHECK(sink.replies[6].type == '$');  // RESP3 null, reported as a null bulk
  CHECK(sink.replies[6].integer == -1);
  CHECK(sink.replies[7].integer == 0);
}

TEST_CASE("a large bulk raises the wake mark to what is left of it, and 1 after it") {
  Pair pair;
  constexpr size_t kSize = 3 << 20;
  std::string header = "$" + std::to_string(kSize) + "\r\n";
  std::string payload(kSize, 'v');
  RecordingSink sink;
  std::string error;

  pair.Send(header + payload.substr(0, 1000));
  REQUIRE(pair.ReceiveUntil(&sink, 0, &error) != IoStatus::kError);
  REQUIRE(pair.client.Receive(&sink, &error) == IoStatus::kWouldBlock);
  CHECK(sink.replies.empty());
  CHECK(pair.WakeMark() == 1 << 20);  // at most 1 MiB

  // The writer sends the rest in a thread (more than the socket buffers hold); the last
  // 100 KiB of the bulk plus its CRLF is less than the mark would be without the cap.
  std::thread writer([&] {
    pair.Send(payload.substr(1000) + "\r\n");
    pair.Send("+OK\r\n");
  });
  while (sink.replies.empty()) {
    pollfd p{pair.client.fd(), POLLIN, 0};
    REQUIRE_MESSAGE(poll(&p, 1, 5000) == 1, "the rest of the bulk never woke the reader");
    REQUIRE(pair.client.Receive(&sink, &error) != IoStatus::kError);
    int mark = pair.WakeMark();
    CHECK(mark >= 1);
    CHECK(mark <= 1 << 20);
  }
  writer.join();
  REQUIRE(pair.ReceiveUntil(&sink, 2, &error) != IoStatus::kError);
  CHECK(sink.replies[0].type == '$');
  CHECK(sink.replies[0].integer == static_cast<int64_t>(kSize));
  CHECK(sink.replies[1].text == "OK");  // a short reply after the bulk still wakes it
  CHECK(pair.WakeMark() == 1);
}

TEST_CASE("a batch goes out byte for byte: small values inline, large ones by reference") {
  Pair pair;
  std::string small = "tiny";
  std::string large(200000, 'L');
  large[0] = 'a';
  large.back() = 'z';
  pair.client.ClearOutput();
  pair.client.AppendCommand("GET", "k1");
  pair.client.AppendSet("k2", small.data(), small.size());
  pair.client.AppendSet("k3", large.data(), large.size());
  pair.client.AppendCommand("EXISTS", "k4");
  pair.client.AppendSet("k5", large.data(), large.size());
  const std::string expected = "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n"
                               "*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$4\r\ntiny\r\n"
                               "*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$200000\r\n" + large + "\r\n" +
                               "*2\r\n$6\r\nEXISTS\r\n$2\r\nk4\r\n" +
                               "*3\r\n$3\r\nSET\r\n$2\r\nk5\r\n$200000\r\n" + large + "\r\n";
  // The peer reads nothing at first: the socket buffers fill and Flush must stop and
  // resume where it was.
  std::string error;
  IoStatus s = IoStatus::kWouldBlock;
  int would_block = 0;
  std::string received;
  while ((s = pair.client.Flush(&error)) == IoStatus::kWouldBlock) {
    ++would_block;
    CHECK(pair.client.output_pending());
    char buf[65536];
    ssize_t n = read(pair.peer, buf, sizeof(buf));
    REQUIRE(n > 0);
    received.append(buf, static_cast<size_t>(n));
  }
  REQUIRE_MESSAGE(s == IoStatus::kDone, error);
  CHECK_FALSE(pair.client.output_pending());
  received += ReadExactly(pair.peer, expected.size() - received.size());
  CHECK(received.size() == expected.size());
  CHECK(received == expected);

  // The next batch starts from an empty arena.
  pair.client.ClearOutput();
  pair.client.AppendCommand("DEL", "k6");
  REQUIRE(pair.client.Flush(&error) == IoStatus::kDone);
  const std::string del = "*2\r\n$3\r\nDEL\r\n$2\r\nk6\r\n";
  CHECK(ReadExactly(pair.peer, del.size()) == del);
}

TEST_CASE("malformed replies are protocol errors") {
  struct Case {
    const char* bytes;
    const char* error;
  };
  for (Case c : {Case{"*1\r\n", "protocol error: unexpected reply type '*'"},
                 Case{"$abc\r\n", "protocol error: bad bulk length"},
                 Case{"$-2\r\n", "protocol error: bad bulk length"},
                 Case{":4x\r\n", "protocol error: bad integer reply"},
                 Case{"+OK\n", "protocol error: malformed reply line"},
                 Case{"\r\n", "protocol error: malformed reply line"}}) {
    CAPTURE(c.bytes);
    Pair pair;
    pair.Send(c.bytes);
    RecordingSink sink;
    std::string error;
    CHECK(pair.ReceiveUntil(&sink, 1, &error) == IoStatus::kError);
    CHECK(error == c.error);
    CHECK(sink.replies.empty());
  }
}

TEST_CASE("the server closing the connection is an error, after the replies it sent") {
  Pair pair;
  pair.Send("+OK\r\n");
  shutdown(pair.peer, SHUT_WR);
  RecordingSink sink;
  std::string error;
  CHECK(pair.ReceiveUntil(&sink, 2, &error) == IoStatus::kError);
  CHECK(error == "connection closed by the server");
  REQUIRE(sink.replies.size() == 1);
  CHECK(sink.replies[0].text == "OK");
}

TEST_CASE("a sink that refuses a reply stops the parse") {
  Pair pair;
  pair.Send("+A\r\n+B\r\n");
  RecordingSink sink;
  sink.stop_after = 1;
  std::string error;
  CHECK(pair.ReceiveUntil(&sink, 2, &error) == IoStatus::kError);
  CHECK(sink.replies.size() == 1);
}

TEST_CASE("a reply line longer than the input buffer is an error, not a hang") {
  Pair pair(64);
  pair.Send("+" + std::string(100, 'x') + "\r\n");
  RecordingSink sink;
  std::string error;
  CHECK(pair.ReceiveUntil(&sink, 1, &error) == IoStatus::kError);
  CHECK(error == "reply line longer than the input buffer");
}

TEST_CASE("replies that straddle the end of a small input buffer are reassembled") {
  Pair pair(64);
  std::string stream;
  for (int i = 0; i < 200; ++i) stream += ":" + std::to_string(i * 1000003) + "\r\n$20\r\n" + std::string(20, 'b') + "\r\n";
  pair.Send(stream);
  RecordingSink sink;
  std::string error;
  REQUIRE_MESSAGE(pair.ReceiveUntil(&sink, 400, &error) != IoStatus::kError, error);
  for (int i = 0; i < 200; ++i) {
    CHECK(sink.replies[2 * i].integer == i * 1000003);
    CHECK(sink.replies[2 * i + 1].integer == 20);
  }
}

TEST_CASE("connecting to a port nobody listens on says so") {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(s);  // bound, never listened: the port refuses connections
  RespConnection c;
  std::string error;
  CHECK_FALSE(c.Connect("127.0.0.1", port, &error));
  CHECK(error == "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}
