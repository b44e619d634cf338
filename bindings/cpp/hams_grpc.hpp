// hams_grpc.hpp: gRPC's standard health service (grpc.health.v1.Health)
// driven by hams' status listener, for a C++ gRPC server (grpc++ 1.51 or
// newer). Header-only; link with `pkg-config --libs grpc++` and libhams.
//
//   grpc::EnableDefaultHealthCheckService(true);   // before building the server
//   auto grpc_server = builder.BuildAndStart();
//   hamspp::grpc_health health(h, *grpc_server);    // destroy it before grpc_server
//
// The mapping, the same in every language (hams(3)): service "" is the ready
// check; "alive", "ready" and "startup" are those checks; SERVING while the
// check passes, NOT_SERVING while it fails, and NOT_SERVING for every
// service from the moment the shutdown sequence starts, so that clients and
// Kubernetes stop routing during the drain. Other names are the health
// service's own business: NOT_FOUND for Check, SERVICE_UNKNOWN for Watch.
// Nothing polls: every update comes from hams_on_change(3).
#pragma once

#include "hams.hpp"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace hamspp {

class grpc_health {
public:
    // `health` is the grpc::Server's GetHealthCheckService(): null unless
    // grpc::EnableDefaultHealthCheckService(true) was called before the
    // server was built. The services take the checks' states at once.
    grpc_health(server &h, grpc::HealthCheckServiceInterface *health) : state_(std::make_shared<state>()) {
        if (health == nullptr)
            throw error(HAMS_ERR_NULL, "the gRPC server has no health service: call "
                                       "grpc::EnableDefaultHealthCheckService(true) before building it");
        state_->health = health;
        // Now, not on the listener's first call: "" is SERVING until told.
        state_->changed("alive", h.check_state(HAMS_ALIVE), "");
        state_->changed("ready", h.check_state(HAMS_READY), "");
        state_->changed("startup", h.check_state(HAMS_STARTUP), "");
        auto st = state_;
        h.on_change([st](std::string_view name, bool healthy, std::string_view reason) {
            st->changed(name, healthy, reason);
        });
        // The start of the sequence is reported as the built-in "shutdown";
        // the shutdown callback is a second net (it runs after the drain).
        try {
            h.on_shutdown([st] { st->shutting_down(); });
        } catch (const error &e) {
            if (e.code() != HAMS_ERR_STATE) throw;
            st->shutting_down();  // the callbacks have run: it is over
        }
    }
    grpc_health(server &h, grpc::Server &g) : grpc_health(h, g.GetHealthCheckService()) {}
    grpc_health(const grpc_health &) = delete;
    grpc_health &operator=(const grpc_health &) = delete;
    // The listener stays with the hams server: from now on it does nothing.
    ~grpc_health() {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->health = nullptr;
    }

private:
    struct state {
        std::mutex mu;  // serialises updates with the destructor
        grpc::HealthCheckServiceInterface *health = nullptr;
        bool over = false;

        void changed(std::string_view name, bool healthy, std::string_view reason) {
            std::lock_guard<std::mutex> lock(mu);
            if (health == nullptr || over) return;
            // hams reports its built-in "shutdown" when the sequence starts,
            // even when ready was failing already.
            if ((name == "shutdown" || (name == "ready" && reason.substr(0, 9) == "shutdown:")) && !healthy) {
                shut();
            } else if (name == "ready") {
                health->SetServingStatus("", healthy);
                health->SetServingStatus("ready", healthy);
            } else if (name == "alive" || name == "startup") {
                health->SetServingStatus(std::string(name), healthy);
            }  // probes have no service of their own
        }
        void shutting_down() {
            std::lock_guard<std::mutex> lock(mu);
            if (health != nullptr && !over) shut();
        }
        // NOT_SERVING for every service, for good: the sequence never ends
        // in serving again, and Shutdown() makes the service ignore updates.
        void shut() {
            over = true;
            health->SetServingStatus(false);
            health->Shutdown();
        }
    };
    std::shared_ptr<state> state_;
};

}  // namespace hamspp
