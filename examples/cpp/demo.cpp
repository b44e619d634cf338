// The hams demo service in C++, following the contract in tests/tck/README.md.
//   c++ -std=c++17 -Iinclude -Ibindings/cpp examples/cpp/demo.cpp -Ltarget/release -lhams -lpthread
#include "hams.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char **argv) {
    std::string address = "0.0.0.0:8079";
    long warmup_ms = 2000, drain_ms = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--address") address = argv[i + 1];
        else if (a == "--warmup-ms") warmup_ms = std::atol(argv[i + 1]);
        else if (a == "--drain-ms") drain_ms = std::atol(argv[i + 1]);
    }
    std::string yaml = "service: {name: hams-demo, version: '" + std::string(hamspp::version()) + "'}\n" +
                       "server: {address: '" + address + "'}\n" +
                       "shutdown: {drain_ms: " + std::to_string(drain_ms) + ", handle_signals: true}\n";
    try {
        auto h = hamspp::server::from_yaml(yaml.c_str());
        auto warm = h.probe_manual("warmup", HAMS_READY | HAMS_STARTUP, false);
        auto loop = h.probe_kick("loop", HAMS_ALIVE, std::chrono::milliseconds(1000));
        std::atomic<bool> disk_fails{false}, kicking{true}, invalid{false};
        auto disk = h.check(
            "disk", HAMS_READY,
            [&] { return hamspp::check_result{!disk_fails.load(), "disk full (tck)"}; },
            std::chrono::milliseconds(200), std::chrono::milliseconds(1000));
        auto loops = h.counter("demo_loops_total", "Main-loop iterations of the demo.");
        h.on_shutdown([] { std::printf("hams demo: shutdown callback ran\n"); std::fflush(stdout); });
        h.on_change([](std::string_view name, bool healthy, std::string_view) {
            std::printf("hams demo: change %.*s %s\n", static_cast<int>(name.size()), name.data(),
                        healthy ? "healthy" : "unhealthy");
            std::fflush(stdout);
        });
        // The kit's vector counter and default-bucket histogram, known values.
        auto requests = h.counter_vec("tck_requests_total", "Requests by path and code (tck).", {"path", "code"});
        requests.with({"/a", "200"}).inc();
        requests.with({"/a", "200"}).inc();
        requests.with({"/b", "500"}).inc(1, {{"trace_id", "b7ad6b7169203331"}});
        auto latency = h.histogram("tck_latency_seconds", "Latency (tck), default buckets.");
        latency.observe(0.3, {{"trace_id", "0af7651916cd43dd8448eb211c80319c"}});
        h.set_runtime(); // "C++17", "hams-cpp", the library's version
        h.start();
        std::printf("hams demo: serving on http://127.0.0.1:%d/hams/ready\n", h.port());
        std::fflush(stdout);

        std::thread([&] {
            std::string line;
            while (std::getline(std::cin, line)) {
                if (line == "stop-kicking") kicking = false;
                else if (line == "start-kicking") kicking = true;
                else if (line == "fail-disk") disk_fails = true;
                else if (line == "heal-disk") disk_fails = false;
                else if (line == "invalid-call") invalid = true;
            }
        }).detach();

        auto start = std::chrono::steady_clock::now();
        while (!h.wait(std::chrono::milliseconds(100))) {
            if (kicking) loop.kick();
            if (std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(warmup_ms)) warm.set(true);
            loops.inc();
            if (invalid.exchange(false)) {
                try {
                    h.probe_manual("bad name", HAMS_READY, true);
                } catch (const hamspp::error &e) {
                    std::printf("hams demo: error: %s\n", e.what());
                    std::fflush(stdout);
                }
            }
        }
        std::printf("hams demo: stopped\n");
        std::fflush(stdout);
    } catch (const hamspp::error &e) {
        std::fprintf(stderr, "hams demo: %s (code %d)\n", e.what(), e.code());
        return 1;
    }
    return 0;
}
