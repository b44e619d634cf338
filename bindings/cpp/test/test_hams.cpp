// Tests of hams.hpp against the built library, over real sockets on
// 127.0.0.1:0. No test framework: prints one line per failed check and ends
// with "cpp: N passed, N failed" (tests/bindings/run.sh builds and runs it).
//   c++ -std=c++17 -Iinclude -Ibindings/cpp bindings/cpp/test/test_hams.cpp -Ltarget/release -lhams -lpthread
#include "hams.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>
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

// GET path on 127.0.0.1:port, HTTP/1.1 with Connection: close (and `headers`, "Name: value\r\n" lines).
response get(int port, const std::string &path, const std::string &headers = "") {
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
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n";
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

// Whether call() throws hamspp::error with this code (0: any) and text.
template <class F> bool throws(F call, int code = 0, const char *text = "") {
    try {
        call();
    } catch (const hamspp::error &e) {
        if (code != 0 && e.code() != code) std::printf("  code %d, wanted %d: %s\n", e.code(), code, e.what());
        return (code == 0 || e.code() == code) && contains(e.what(), text);
    }
    return false;
}

void test_vecs() {
    hamspp::server h("cpp-test", "1");
    h.set_address("127.0.0.1:0");
    auto req = h.counter_vec("requests_total", "Requests.", {"path", "code"});
    auto temp = h.gauge_vec("temperature", "T.", {"room"});
    auto lat = h.histogram_vec("latency_seconds", "L.", {0.1, 1.0}, {"op"});
    auto dflt = h.histogram_vec("default_seconds", "D.", {"op"});
    auto plain = h.histogram("plain_seconds", "P.");
    auto native = h.histogram_native("native_seconds", "N.", 1.1);
    auto native_vec = h.histogram_native_vec("native_vec_seconds", "NV.", 2.0, 10, {"op"});
    req.with({"/", "200"}).inc();
    req.labels("/", std::string("200")).inc(2);
    EXPECT(req.labels("/", "200").get() == req.with({"/", "200"}).get());
    EXPECT(req.with(std::vector<std::string>{"/x", "500"}).get() != req.labels("/", "200").get());
    temp.labels("kitchen").set(21.5);
    temp.labels("hall").add(-2);
    lat.labels("get").observe(0.5);
    dflt.labels("put").observe(0.3);
    plain.observe(0.3);
    native.observe(0.25);
    native.observe(3);
    native_vec.labels("get").observe(1.5);
    h.start();
    auto m = get(h.port(), "/hams/metrics").body;
    EXPECT(contains(m, "requests_total{path=\"/\",code=\"200\"} 3\n"));
    EXPECT(contains(m, "requests_total{path=\"/x\",code=\"500\"} 0\n"));
    EXPECT(contains(m, "temperature{room=\"kitchen\"} 21.5\n"));
    EXPECT(contains(m, "temperature{room=\"hall\"} -2\n"));
    EXPECT(contains(m, "latency_seconds_bucket{op=\"get\",le=\"1\"} 1\n"));
    EXPECT(contains(m, "default_seconds_bucket{op=\"put\",le=\"0.25\"} 0\n"));
    EXPECT(contains(m, "default_seconds_bucket{op=\"put\",le=\"0.5\"} 1\n"));
    EXPECT(contains(m, "plain_seconds_bucket{le=\"0.005\"} 0\n"));
    EXPECT(contains(m, "plain_seconds_bucket{le=\"10\"} 1\n"));
    EXPECT(contains(m, "native_seconds_count 2\n"));
    EXPECT(contains(m, "native_seconds_sum 3.25\n"));
    EXPECT(contains(m, "native_vec_seconds_count{op=\"get\"} 1\n"));

    // remove: the series leaves the exposition; removing it again is an error.
    req.remove({"/x", "500"});
    EXPECT(!contains(get(h.port(), "/hams/metrics").body, "path=\"/x\""));
    EXPECT(throws([&] { req.remove(std::vector<std::string>{"/x", "500"}); }, HAMS_ERR_INVALID, "/x"));
    EXPECT(contains(get(h.port(), "/hams/metrics").body, "requests_total{path=\"/\",code=\"200\"} 3\n"));

    // Bad input: libhams' text, or HAMS_ERR_NULL for a NULL value.
    EXPECT(throws([&] { req.labels("/"); }, HAMS_ERR_INVALID, "1 label values for 2 label names"));
    EXPECT(throws([&] { req.labels("/", "200", "x"); }, HAMS_ERR_INVALID, "more label values"));
    EXPECT(throws([&] { req.with({"/", nullptr}); }, HAMS_ERR_NULL));
    EXPECT(throws([&] { req.remove({nullptr, "200"}); }, HAMS_ERR_NULL));
    EXPECT(throws([&] { h.histogram_vec("le_seconds", "L.", {"le"}); }, 0, "le"));
    EXPECT(throws([&] { h.counter_vec("n_total", "N.", {"a", nullptr}); }, HAMS_ERR_NULL));
    EXPECT(throws([&] { h.counter_vec("requests_total", "again", {"path"}); }));
    EXPECT(throws([&] { h.histogram_native("bad_seconds", "B.", 1.0); }, 0, "bucket_factor"));
    EXPECT(throws([&] { h.histogram("empty_seconds", "E.", std::vector<double>{}); }, 0, "bucket"));

    // Destroying a vec frees the family.
    { auto gone = std::move(temp); }
    EXPECT(!contains(get(h.port(), "/hams/metrics").body, "temperature"));
    h.stop();
}

void test_buckets() {
    EXPECT((hamspp::buckets_linear(1, 2, 4) == std::vector<double>{1, 3, 5, 7}));
    EXPECT((hamspp::buckets_exponential(0.5, 2, 4) == std::vector<double>{0.5, 1, 2, 4}));
    EXPECT(hamspp::buckets_linear(0, 1, 1024).size() == 1024);
    EXPECT(throws([] { hamspp::buckets_linear(1, 0, 3); }, HAMS_ERR_INVALID));
    EXPECT(throws([] { hamspp::buckets_linear(1, 1, 0); }, HAMS_ERR_INVALID));
    EXPECT(throws([] { hamspp::buckets_linear(1, 1, 1025); }, HAMS_ERR_INVALID));
    EXPECT(throws([] { hamspp::buckets_exponential(0, 2, 3); }, HAMS_ERR_INVALID));
    EXPECT(throws([] { hamspp::buckets_exponential(1, 1e300, 3); }, HAMS_ERR_INVALID));
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

void test_runtime() {
    hamspp::server h("cpp-test", "1");
    h.set_address("127.0.0.1:0");
    h.start();
    EXPECT(!contains(get(h.port(), "/hams/version").body, "\"runtime\""));
    EXPECT(throws([&] { h.set_runtime(); }, HAMS_ERR_STATE, "before hams_start"));
    h.stop();
    EXPECT(throws([&] { h.set_runtime("C++17", "", "1"); }, HAMS_ERR_INVALID));
    EXPECT(throws([&] { h.set_runtime("C++17", nullptr, "1"); }, HAMS_ERR_NULL));
    h.set_runtime();
    h.start();
    std::string want = std::string("\"runtime\":\"") + hamspp::detail::cpp_standard() +
                       "\",\"library\":\"hams-cpp\",\"library_version\":\"" + hamspp::version() + "\"";
    EXPECT(contains(get(h.port(), "/hams/version").body, want.c_str()));
    EXPECT(contains(get(h.port(), "/hams/metrics").body, "library=\"hams-cpp\""));
}

// The value of the sample line "series value" in the exposition, or -1.
double sample(const std::string &text, const std::string &series) {
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::atof(text.c_str() + at + series.size() + 2);
}

// A worker process: attach(), a summed gauge, a counter vec, a probe; tells
// the parent through `up`, then waits until the parent closes `down`. Its
// exit status counts what went wrong (it must not print).
int attached_worker(int up, int down) {
    int bad = 0;
    try {
        auto a = hamspp::attach();
        auto level = a.gauge("cpp_level", "Summed over workers.");
        level.set_aggregation(hamspp::aggregation::sum);
        level.set(2);
        auto jobs = a.counter_vec("cpp_jobs_total", "Jobs.", {"queue"});
        jobs.labels("mail").inc(3);
        auto p = a.probe_manual("child", HAMS_READY, true);
        if (!throws([&] { a.start(); }, HAMS_ERR_STATE)) bad++;
        if (!throws([&] { level.set_aggregation(hamspp::aggregation::max); })) bad++;
        char b = 'r';
        if (write(up, &b, 1) != 1) bad++;
        while (read(down, &b, 1) > 0) {
        }
        p.release();
    } catch (...) {
        bad += 100;
    }
    return bad;
}

void test_workers() {
    // Outside workers mode attach() throws with the C message.
    unsetenv("HAMS_WORKERS");
    EXPECT(throws([] { hamspp::attach(); }, HAMS_ERR_STATE, "HAMS_WORKERS"));

    hamspp::server h("cpp-primary", "1");
    h.set_address("127.0.0.1:0");
    h.set_workers(true);
    EXPECT(std::getenv("HAMS_WORKERS") != nullptr);
    h.start();
    // Once on, workers mode stays on (on again is harmless).
    EXPECT(throws([&] { h.set_workers(false); }, HAMS_ERR_STATE));

    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) {
        EXPECT(!"pipe");
        return;
    }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        _exit(attached_worker(up[1], down[0]));
    }
    close(up[1]);
    close(down[0]);
    char b = 0;
    EXPECT(read(up[0], &b, 1) == 1 && b == 'r');
    // Metrics are shared memory: exact at once.
    auto metrics = get(h.port(), "/hams/metrics").body;
    EXPECT(sample(metrics, "cpp_level") == 2);
    EXPECT(sample(metrics, "cpp_jobs_total{queue=\"mail\"}") == 3);
    // The parent sees the new worker and its probe within a second.
    EXPECT(eventually([&] { return sample(get(h.port(), "/hams/metrics").body, "hams_workers") == 1; }));
    auto probe = "[+]child@" + std::to_string(pid) + " ok";
    EXPECT(eventually([&] { return contains(get(h.port(), "/hams/ready?verbose").body, probe.c_str()); }));
    close(down[1]);
    int status = -1;
    waitpid(pid, &status, 0);
    close(up[0]);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    // The worker left: its probe goes (within a second), its count stays.
    EXPECT(eventually([&] { return !contains(get(h.port(), "/hams/ready?verbose").body, probe.c_str()); }));
    EXPECT(sample(get(h.port(), "/hams/metrics").body, "cpp_jobs_total{queue=\"mail\"}") == 3);
}

struct change {
    std::string name;
    bool healthy;
    std::string reason;
};

// What a listener was told, shared with the thread it runs on.
struct changes {
    std::mutex mu;
    std::vector<change> seen;
    void add(std::string_view name, bool healthy, std::string_view reason) {
        std::lock_guard<std::mutex> lock(mu);
        seen.push_back({std::string(name), healthy, std::string(reason)});
    }
    // The index of the first change at or after `from` of name to healthy, or -1.
    int find(size_t from, const char *name, bool healthy) {
        std::lock_guard<std::mutex> lock(mu);
        for (size_t i = from; i < seen.size(); i++)
            if (seen[i].name == name && seen[i].healthy == healthy) return static_cast<int>(i);
        return -1;
    }
    size_t size() {
        std::lock_guard<std::mutex> lock(mu);
        return seen.size();
    }
    change at(size_t i) {
        std::lock_guard<std::mutex> lock(mu);
        return seen.at(i);
    }
};

void test_listener() {
    auto seen = std::make_shared<changes>();
    hamspp::server h("cpp-listen", "1.0");
    auto db = h.probe_manual("db", HAMS_READY, true);
    h.on_change([seen](std::string_view name, bool healthy, std::string_view reason) {
        seen->add(name, healthy, reason);
    });
    // First the current state of every probe, then alive, ready, startup.
    EXPECT(eventually([&] { return seen->size() >= 4; }));
    const char *first[] = {"db", "alive", "ready", "startup"};
    for (size_t i = 0; i < 4 && i < seen->size(); i++) EXPECT(seen->at(i).name == first[i] && seen->at(i).healthy);
    size_t from = seen->size();
    db.set(false, "connection refused");
    EXPECT(eventually([&] { return seen->find(from, "ready", false) >= 0; }));
    int p = seen->find(from, "db", false), r = seen->find(from, "ready", false);
    EXPECT(p >= 0 && p < r);
    if (r >= 0) EXPECT(seen->at(static_cast<size_t>(r)).reason == "probe db: connection refused");
    EXPECT(!h.check_state(HAMS_READY));
    EXPECT(h.check_state(HAMS_ALIVE) && h.check_state(HAMS_STARTUP));
    try {
        h.check_state(HAMS_READY | HAMS_ALIVE);
        EXPECT(!"check_state of two checks throws");
    } catch (const hamspp::error &e) {
        EXPECT(e.code() == HAMS_ERR_INVALID);
    }

    // Thresholds: two failures in a row are tolerated, the third turns it.
    from = seen->size();
    db.set(true);
    db.set_thresholds(3, 1);
    EXPECT(h.check_state(HAMS_READY));
    // Told before the next change (or both would coalesce into none).
    EXPECT(eventually([&] { return seen->find(from, "ready", true) >= 0; }));
    from = seen->size();
    db.set(false, "a");
    db.set(false, "b");
    EXPECT(h.check_state(HAMS_READY));
    db.set(false, "c");
    EXPECT(!h.check_state(HAMS_READY));
    EXPECT(eventually([&] { return seen->find(from, "db", false) >= 0; }));
    int c = seen->find(from, "db", false);
    if (c >= 0) EXPECT(seen->at(static_cast<size_t>(c)).reason == "c");
    try {
        db.set_thresholds(0, 1);
        EXPECT(!"a threshold of 0 throws");
    } catch (const hamspp::error &e) {
        EXPECT(e.code() == HAMS_ERR_INVALID);
    }
    auto loop = h.probe_kick("loop", HAMS_ALIVE, std::chrono::milliseconds(1000));
    try {
        loop.set_thresholds(2, 2);
        EXPECT(!"thresholds of a kick probe throw");
    } catch (const hamspp::error &e) {
        EXPECT(e.code() == HAMS_ERR_INVALID);
    }

    // An exception in a listener stays in the wrapper.
    h.on_change([](std::string_view, bool, std::string_view) { throw std::runtime_error("listener"); });
    from = seen->size();
    db.set(true);
    EXPECT(eventually([&] { return seen->find(from, "ready", true) >= 0; }));
}

// A listener may destroy its own server: the function it runs stays alive.
void test_listener_destroys_server() {
    auto holder = std::make_shared<std::unique_ptr<hamspp::server>>(std::make_unique<hamspp::server>("cpp-free", "1"));
    auto done = std::make_shared<std::atomic<bool>>(false);
    auto after = std::make_shared<std::atomic<int>>(0);
    auto probe = (*holder)->probe_manual("bye", HAMS_READY, true);
    probe.release();  // owned by the server, freed with it
    hamspp::server &h = **holder;
    h.on_change([holder, done, after, keep = std::string("a capture that must outlive the call")](
                    std::string_view name, bool healthy, std::string_view) {
        if (*done) (*after)++;
        if (name == "bye" && !healthy && !*done) {
            holder->reset();  // destroys the server and this function's list
            *done = keep.size() > 0;
        }
    });
    EXPECT(eventually([&] { return h.check_state(HAMS_STARTUP); }));
    hams_probe_set(hams_probe_get(h.get(), "bye"), false, "go");
    EXPECT(eventually([&] { return done->load(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT(*after == 0);
}

}  // namespace

// Exemplars on counters, histograms and vec series: in the OpenMetrics
// scrape only; a bad one throws and counts nothing.
void test_exemplars() {
    hamspp::server h("cpp-test", "1");
    h.set_address("127.0.0.1:0");
    auto jobs = h.counter("jobs_total", "Jobs.");
    auto lat = h.histogram("work_seconds", "Work.");
    auto req = h.counter_vec("requests_total", "Requests.", {"path", "code"});
    auto rpc = h.histogram_vec("rpc_seconds", "RPCs.", {1.0}, {"method"});
    std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    jobs.inc(1, {{"trace_id", trace}});
    jobs.inc(2);
    lat.observe(0.3, {{"trace_id", trace}});
    req.labels("/b", "500").inc(1, {{"trace_id", "b7ad6b7169203331"}});
    rpc.labels("get").observe(0.5, {});
    // 128 characters in all: the limit; one more is refused.
    std::string ok(128 - 8, 'x');
    jobs.inc(1, {{"trace_id", ok}});
    std::string long_value = ok + "x";
    EXPECT(throws([&] { jobs.inc(1, {{"trace_id", long_value}}); }, HAMS_ERR_INVALID, "128"));
    EXPECT(throws([&] { lat.observe(0.1, {{"trace_id", long_value}}); }, HAMS_ERR_INVALID, "128"));
    EXPECT(throws([&] { jobs.inc(1, {{"bad name", "v"}}); }, HAMS_ERR_INVALID, "bad name"));
    EXPECT(throws([&] { req.labels("/b", "500").inc(1, {{"1st", "v"}}); }, HAMS_ERR_INVALID, "1st"));
    EXPECT(throws([&] { rpc.labels("get").observe(0.1, {{"a", "1"}, {"a", "2"}}); }, HAMS_ERR_INVALID, "a"));
    EXPECT(throws([&] { jobs.inc(1, {{std::string_view("a\0b", 3), "v"}}); }, HAMS_ERR_INVALID, "NUL"));
    h.start();
    auto om = get(h.port(), "/hams/metrics", "Accept: application/openmetrics-text; version=1.0.0\r\n").body;
    EXPECT(contains(om, ("jobs_total 4 # {trace_id=\"" + ok + "\"} 1 ").c_str()));
    EXPECT(contains(om, ("work_seconds_bucket{le=\"0.5\"} 1 # {trace_id=\"" + trace + "\"} 0.3 ").c_str()));
    EXPECT(contains(om, "work_seconds_bucket{le=\"0.25\"} 0\n"));
    EXPECT(contains(om, "work_seconds_count 1\n"));
    EXPECT(contains(om, "requests_total{path=\"/b\",code=\"500\"} 1 # {trace_id=\"b7ad6b7169203331\"} 1 "));
    EXPECT(contains(om, "rpc_seconds_bucket{method=\"get\",le=\"1.0\"} 1 # {} 0.5 "));
    auto text = get(h.port(), "/hams/metrics").body;
    EXPECT(contains(text, "jobs_total 4\n"));
    EXPECT(!contains(text, "trace_id"));
    h.stop();
}

int main() {
    EXPECT(std::string(hamspp::version()).size() > 0);
    try {
        test_probes();
        test_metrics();
        test_vecs();
        test_exemplars();
        test_buckets();
        test_errors();
        test_configuration_and_shutdown();
        test_runtime();
        test_workers();
        test_listener();
        test_listener_destroys_server();
    } catch (const hamspp::error &e) {
        failed++;
        std::printf("FAIL: uncaught hamspp::error: %s (code %d)\n", e.what(), e.code());
    }
    std::printf("cpp: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
