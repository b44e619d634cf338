// Tests of hams.hpp against the built library, over real sockets on
// 127.0.0.1:0. No test framework: prints one line per failed check and ends
// with "cpp: N passed, N failed" (tests/bindings/run.sh builds and runs it).
//   c++ -std=c++17 -Iinclude -Ibindings/cpp bindings/cpp/test/test_hams.cpp -Ltarget/release -lhams -lpthread
#include "hams.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

namespace {

int passed = 0, failed = 0;

void expect(bool ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        failed++;
        std::printf("FAIL line %d: %s\n", line, what);
    }
}
#define EXPECT(cond) expect((cond), #cond, __LINE__)

struct response {
    int status = 0;
    std::string body;
};

// GET path on 127.0.0.1:port, HTTP/1.1 with Connection: close.
response get(int port, const std::string &path) {
    response r;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return r;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        close(fd);
        return r;
    }
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        close(fd);
        return r;
    }
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
    close(fd);
    if (all.compare(0, 9, "HTTP/1.1 ") == 0) r.status = std::atoi(all.c_str() + 9);
    auto end = all.find("\r\n\r\n");
    if (end != std::string::npos) r.body = all.substr(end + 4);
    return r;
}

bool contains(const std::string &s, const char *part) { return s.find(part) != std::string::npos; }

// Whether cond() becomes true within 5 s (callback probes run on hams' schedule).
template <class F> bool eventually(F cond) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void test_probes() {
    hamspp::server h("cpp-test", "1");
    h.set_address("127.0.0.1:0");
    auto db = h.probe_manual("db", HAMS_READY, false);
    auto loop = h.probe_kick("loop", HAMS_ALIVE, std::chrono::milliseconds(60000));
    std::atomic<bool> disk_ok{true};
    auto disk = h.check(
        "disk", HAMS_READY, [&] { return hamspp::check_result{disk_ok.load(), "disk full"}; },
        std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
    h.start();
    int port = h.port();
    EXPECT(port > 0);
    EXPECT(get(port, "/hams/ready").status == 503);
    db.set(true);
    loop.kick();
    EXPECT(get(port, "/hams/alive").status == 200);
    EXPECT(eventually([&] { return get(port, "/hams/ready").status == 200; }));
    disk_ok = false;
    EXPECT(eventually([&] { return contains(get(port, "/hams/ready?verbose").body, "[-]disk failed: disk full"); }));
    EXPECT(get(port, "/hams/ready").status == 503);
    // Destroying a probe unregisters it.
    { auto gone = std::move(disk); }
    EXPECT(!contains(get(port, "/hams/ready?verbose").body, "disk"));
    EXPECT(get(port, "/hams/ready").status == 200);
    h.stop();
}

void test_metrics() {
    hamspp::server h("cpp-test", "1");
    h.set_address("127.0.0.1:0");
    auto jobs = h.counter("jobs_total", "Jobs done.", {"queue", "mail"});
    auto depth = h.gauge("queue_depth", "Queued jobs.");
    auto latency = h.histogram("latency_seconds", "Job latency.", {0.1, 1.0});
    jobs.inc();
    jobs.inc(2);
    depth.set(5);
    depth.add(-2);
    latency.observe(0.5);
    h.start();
    auto m = get(h.port(), "/hams/metrics");
    EXPECT(m.status == 200);
    EXPECT(contains(m.body, "jobs_total{queue=\"mail\"} 3"));
    EXPECT(contains(m.body, "queue_depth 3"));
    EXPECT(contains(m.body, "latency_seconds_bucket{le=\"1\"} 1"));
    { auto gone = std::move(depth); }
    EXPECT(!contains(get(h.port(), "/hams/metrics").body, "queue_depth"));
}

void test_errors() {
    hamspp::server h("cpp-test", "1");
    h.set_address("127.0.0.1:0");
    // An exception in a check fails the probe with its text; it never reaches C.
    auto boom = h.check(
        "boom", HAMS_READY, []() -> hamspp::check_result { throw std::runtime_error("exploded"); },
        std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
    h.start();
    EXPECT(eventually([&] { return contains(get(h.port(), "/hams/ready?verbose").body, "[-]boom failed: exploded"); }));
    h.stop();
    try {
        h.probe_manual("bad name", HAMS_READY, true);
        EXPECT(!"an invalid probe name throws");
    } catch (const hamspp::error &e) {
        EXPECT(contains(e.what(), "has the character ' '"));
        EXPECT(e.code() == HAMS_ERR_INVALID);
    }
    try {
        h.port();
        EXPECT(!"port() of a stopped server throws");
    } catch (const hamspp::error &e) {
        EXPECT(e.code() < 0);
        EXPECT(std::string(e.what()).size() > 0);
    }
    try {
        hamspp::server::from_yaml("service: [");
        EXPECT(!"invalid YAML throws");
    } catch (const hamspp::error &e) {
        EXPECT(std::string(e.what()).size() > 0);
    }
}

void test_configuration_and_shutdown() {
    auto h = hamspp::server::from_yaml(
        "service: {name: cpp-test, version: '1'}\n"
        "server: {address: '127.0.0.1:0'}\n"
        "shutdown: {drain_ms: 50}\n"
        "probes:\n"
        "  - {name: warmup, type: manual, checks: [ready], healthy: false}\n");
    hams_probe_t *warmup = h.declared("warmup");
    EXPECT(warmup != nullptr);
    std::atomic<int> ran{0};
    h.on_shutdown([&] { ran++; });
    h.on_shutdown([] { throw std::runtime_error("ignored"); });
    h.start();
    int port = h.port();
    EXPECT(get(port, "/hams/ready").status == 503);
    EXPECT(hams_probe_set(warmup, true, nullptr) == HAMS_OK);
    EXPECT(get(port, "/hams/ready").status == 200);
    EXPECT(!h.wait(std::chrono::milliseconds(10)));
    h.shutdown();
    EXPECT(get(port, "/hams/ready").status == 503);
    EXPECT(h.wait(std::chrono::milliseconds(5000)));
    EXPECT(ran.load() == 1);
}

}  // namespace

int main() {
    EXPECT(std::string(hamspp::version()).size() > 0);
    try {
        test_probes();
        test_metrics();
        test_errors();
        test_configuration_and_shutdown();
    } catch (const hamspp::error &e) {
        failed++;
        std::printf("FAIL: uncaught hamspp::error: %s (code %d)\n", e.what(), e.code());
    }
    std::printf("cpp: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
