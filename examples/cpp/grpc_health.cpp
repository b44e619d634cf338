// A gRPC server whose standard health service (grpc.health.v1.Health)
// follows hams' checks (bindings/cpp/hams_grpc.hpp), beside hams' HTTP
// endpoints. tests/grpc/cpp/run.sh builds it when libgrpc++ is here:
//   c++ -std=c++17 -Iinclude -Ibindings/cpp examples/cpp/grpc_health.cpp
//       $(pkg-config --cflags --libs grpc++) -Ltarget/release -lhams -lpthread
//
// Options: --address HOST:PORT (hams' HTTP, default 0.0.0.0:8079),
// --grpc-address HOST:PORT (default 0.0.0.0:50051), --drain-ms N (5000).
// Commands on stdin: fail-db, heal-db (the "db" probe of the ready check),
// shutdown (as SIGTERM does).
#include "hams_grpc.hpp"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char **argv) {
    std::string address = "0.0.0.0:8079", grpc_address = "0.0.0.0:50051";
    long drain_ms = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--address") address = argv[i + 1];
        else if (a == "--grpc-address") grpc_address = argv[i + 1];
        else if (a == "--drain-ms") drain_ms = std::atol(argv[i + 1]);
    }
    std::string yaml = "service: {name: grpc-health-demo, version: '1.0.0'}\n"
                       "server: {address: '" + address + "'}\n" +
                       "shutdown: {drain_ms: " + std::to_string(drain_ms) + ", handle_signals: true}\n";
    try {
        auto h = hamspp::server::from_yaml(yaml.c_str());
        auto db = h.probe_manual("db", HAMS_READY, true);

        grpc::EnableDefaultHealthCheckService(true);
        grpc::ServerBuilder builder;
        int grpc_port = 0;
        builder.AddListeningPort(grpc_address, grpc::InsecureServerCredentials(), &grpc_port);
        // The application's services go here; this example has none, so a
        // generic one answers UNIMPLEMENTED (gRPC builds no server without one).
        grpc::CallbackGenericService app;
        builder.RegisterCallbackGenericService(&app);
        std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
        if (!grpc_server || grpc_port == 0) {
            std::fprintf(stderr, "grpc_health: cannot serve gRPC on %s\n", grpc_address.c_str());
            return 1;
        }
        // Declared after the gRPC server: destroyed before it.
        hamspp::grpc_health health(h, *grpc_server);
        h.start();
        std::printf("grpc_health: http port %d grpc port %d\n", h.port(), grpc_port);
        std::fflush(stdout);

        std::thread([&] {
            std::string line;
            while (std::getline(std::cin, line)) {
                try {
                    if (line == "fail-db") db.set(false, "connection refused");
                    else if (line == "heal-db") db.set(true);
                    else if (line == "shutdown") h.shutdown();
                } catch (const hamspp::error &e) {
                    std::fprintf(stderr, "grpc_health: %s: %s\n", line.c_str(), e.what());
                }
            }
        }).detach();

        h.wait();  // the drain is over: now stop serving gRPC too
        // Health Watch streams never end by themselves: cancel what is left.
        grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        std::printf("grpc_health: stopped\n");
        std::fflush(stdout);
        std::_Exit(0);  // the stdin thread may still hold db and h
    } catch (const hamspp::error &e) {
        std::fprintf(stderr, "grpc_health: %s (code %d)\n", e.what(), e.code());
        return 1;
    }
}
