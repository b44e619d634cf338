// The C++ counterpart of prog.c, to check that libhams-dev's <hams.hpp>
// builds against the installed packages (tests/debian/install-test.sh):
//
//   c++ -std=c++17 prog.cpp $(pkg-config --cflags --libs hams) -o prog-cpp
//   ./prog-cpp ADDRESS SECONDS
//
// Names its runtime (set_runtime(): "C++17", "hams-cpp", hams' version),
// prints "prog-cpp: serving on http://127.0.0.1:PORT/hams/ready", serves for
// SECONDS, then stops and exits 0.
#include <hams.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: prog-cpp ADDRESS SECONDS\n");
        return 2;
    }
    try {
        hamspp::server h("debian-prog-cpp", "1.0.0");
        auto db = h.probe_manual("db", HAMS_READY, true);
        h.set_address(argv[1]);
        h.set_runtime();
        h.start();
        std::printf("prog-cpp: serving on http://127.0.0.1:%d/hams/ready\n", h.port());
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[2])));
        h.stop();
    } catch (const hamspp::error &e) {
        std::fprintf(stderr, "prog-cpp: %s\n", e.what());
        return 1;
    }
    return 0;
}
