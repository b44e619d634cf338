// hams.hpp: a header-only C++17 RAII wrapper over the hams C API.
//
// Handles are move-only; errors throw hamspp::error carrying
// hams_last_error() and the code. Callbacks are std::function objects owned
// by the wrapper for as long as hams may call them. The namespace is hamspp
// because C++ already knows `hams` as the C API's struct tag.
//
//   hamspp::server h("orders", "1.0");
//   h.set_address("0.0.0.0:8079");
//   auto db = h.probe_manual("db", HAMS_READY, false);
//   h.start();
//   db.set(true);
#pragma once

#include <hams.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hamspp {

// Workers mode: how the primary shows a gauge of many worker processes.
enum class aggregation : int {
    per_worker = HAMS_AGG_PER_WORKER,  // one series per worker, label pid (the default)
    sum = HAMS_AGG_SUM,
    max = HAMS_AGG_MAX,
    min = HAMS_AGG_MIN,
};

class error : public std::runtime_error {
public:
    error(int code, const char *message) : std::runtime_error(message), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

namespace detail {
inline int check(int rc) {
    if (rc < 0) throw error(rc, hams_last_error());
    return rc;
}
template <class T> T *check(T *p) {
    if (p == nullptr) throw error(HAMS_ERR_INVALID, hams_last_error());
    return p;
}
inline const char *c_str(const char *s) noexcept { return s; }
inline const char *c_str(const std::string &s) noexcept { return s.c_str(); }
// A NULL-terminated array of C strings; a NULL inside would end it early.
template <class It> std::vector<const char *> terminated(It first, It last, const char *what) {
    std::vector<const char *> v;
    for (; first != last; ++first) {
        const char *s = c_str(*first);
        if (s == nullptr) throw error(HAMS_ERR_NULL, (std::string(what) + " is NULL").c_str());
        v.push_back(s);
    }
    v.push_back(nullptr);
    return v;
}
// A non-empty bounds array for the explicit-buckets overloads: an empty
// vector's data() may be NULL, which with n == 0 would mean the defaults.
inline const double *bounds(const std::vector<double> &b) noexcept {
    static const double none = 0;
    return b.empty() ? &none : b.data();
}
// The language standard this translation unit is compiled as, for
// server::set_runtime(): "C++17", "C++20", "C++23" (newer shows as "C++26").
constexpr const char *cpp_standard() noexcept {
    return __cplusplus > 202302L ? "C++26" : __cplusplus > 202002L ? "C++23" : __cplusplus > 201703L ? "C++20" : "C++17";
}
}  // namespace detail

// An exemplar's labels, e.g. {{"trace_id", id}}: name/value pairs, at most 128
// UTF-8 characters in all (OpenMetrics); {} is an exemplar without labels.
using exemplar = std::initializer_list<std::pair<std::string_view, std::string_view>>;

namespace detail {
// The exemplar as C wants it: NUL-terminated copies (a view need not end in
// NUL) and a NULL-terminated array of pointers to them.
class exemplar_strings {
public:
    explicit exemplar_strings(exemplar labels) {
        strings_.reserve(labels.size() * 2);
        for (const auto &[name, value] : labels) {
            if (name.find('\0') != std::string_view::npos || value.find('\0') != std::string_view::npos) {
                throw error(HAMS_ERR_INVALID, "an exemplar label contains a NUL character");
            }
            strings_.emplace_back(name);
            strings_.emplace_back(value);
        }
        for (const auto &s : strings_) pointers_.push_back(s.c_str());
        pointers_.push_back(nullptr);
    }
    const char *const *get() const noexcept { return pointers_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<const char *> pointers_;
};
}  // namespace detail

// A probe handle; owned by its server. Moving transfers it; destruction frees it.
class probe {
public:
    probe() = default;
    explicit probe(hams_probe_t *p) : p_(p) {}
    probe(probe &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    probe &operator=(probe &&o) noexcept {
        if (this != &o) {
            reset();
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    probe(const probe &) = delete;
    probe &operator=(const probe &) = delete;
    ~probe() { reset(); }

    void set(bool healthy, const char *reason = nullptr) { detail::check(hams_probe_set(p_, healthy, reason)); }
    void kick() { detail::check(hams_probe_kick(p_)); }
    // Manual and callback probes: turn unhealthy only after `failures` failed
    // results in a row, healthy again after `successes` good ones (both >= 1).
    void set_thresholds(uint32_t failures, uint32_t successes) {
        detail::check(hams_probe_set_thresholds(p_, failures, successes));
    }
    // Gives the handle back to its server (which frees it with itself).
    hams_probe_t *release() noexcept { return std::exchange(p_, nullptr); }

private:
    void reset() noexcept {
        if (p_ != nullptr) hams_probe_free(std::exchange(p_, nullptr));
    }
    hams_probe_t *p_ = nullptr;
};

// A metric handle (counter, gauge or histogram).
class metric {
public:
    metric() = default;
    explicit metric(hams_metric_t *m) : m_(m) {}
    metric(metric &&o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    metric &operator=(metric &&o) noexcept {
        if (this != &o) {
            reset();
            m_ = std::exchange(o.m_, nullptr);
        }
        return *this;
    }
    metric(const metric &) = delete;
    metric &operator=(const metric &) = delete;
    ~metric() { reset(); }

    void inc(double v = 1.0) { detail::check(hams_counter_add(m_, v)); }
    void set(double v) { detail::check(hams_gauge_set(m_, v)); }
    void add(double v) { detail::check(hams_gauge_add(m_, v)); }
    void observe(double v) { detail::check(hams_histogram_observe(m_, v)); }
    // With an exemplar (inc(1, {{"trace_id", id}})): the counter's latest
    // exemplar, or that of the bucket v falls in, shown in OpenMetrics. A bad
    // exemplar throws hamspp::error (HAMS_ERR_INVALID) and counts nothing.
    void inc(double v, exemplar ex) {
        detail::exemplar_strings e(ex);
        detail::check(hams_counter_add_exemplar(m_, v, e.get()));
    }
    void observe(double v, exemplar ex) {
        detail::exemplar_strings e(ex);
        detail::check(hams_histogram_observe_exemplar(m_, v, e.get()));
    }
    // Gauges in workers mode, before the first update.
    void set_aggregation(aggregation how) { detail::check(hams_gauge_set_aggregation(m_, static_cast<int>(how))); }

private:
    void reset() noexcept {
        if (m_ != nullptr) hams_metric_free(std::exchange(m_, nullptr));
    }
    hams_metric_t *m_ = nullptr;
};

// One series of a vec: a reference, not an owner. It stays valid until the
// vec removes it (vec::remove) or is destroyed.
class metric_ref {
public:
    explicit metric_ref(hams_metric_t *m) noexcept : m_(m) {}
    void inc(double v = 1.0) const { detail::check(hams_counter_add(m_, v)); }
    void set(double v) const { detail::check(hams_gauge_set(m_, v)); }
    void add(double v) const { detail::check(hams_gauge_add(m_, v)); }
    void observe(double v) const { detail::check(hams_histogram_observe(m_, v)); }
    // With an exemplar, as metric::inc and metric::observe.
    void inc(double v, exemplar ex) const {
        detail::exemplar_strings e(ex);
        detail::check(hams_counter_add_exemplar(m_, v, e.get()));
    }
    void observe(double v, exemplar ex) const {
        detail::exemplar_strings e(ex);
        detail::check(hams_histogram_observe_exemplar(m_, v, e.get()));
    }
    hams_metric_t *get() const noexcept { return m_; }

private:
    hams_metric_t *m_;
};

// A metric family with label names (hams_vec_t): with({"/", "200"}) or
// labels("/", "200") gives the series of those values, made on first use
// (found again without allocating). Move-only; destruction frees the family
// and its series.
class vec {
public:
    vec() = default;
    explicit vec(hams_vec_t *v) : v_(v) {}
    vec(vec &&o) noexcept : v_(std::exchange(o.v_, nullptr)) {}
    vec &operator=(vec &&o) noexcept {
        if (this != &o) {
            reset();
            v_ = std::exchange(o.v_, nullptr);
        }
        return *this;
    }
    vec(const vec &) = delete;
    vec &operator=(const vec &) = delete;
    ~vec() { reset(); }

    metric_ref with(std::initializer_list<const char *> values) const {
        return find(values.begin(), values.end());
    }
    metric_ref with(const std::vector<std::string> &values) const { return find(values.begin(), values.end()); }
    // labels("/", std::string("200")): const char * or std::string values.
    template <class... S> metric_ref labels(const S &...values) const {
        return with({detail::c_str(values)...});
    }
    // Removes the series of these values; its metric_ref becomes invalid.
    void remove(std::initializer_list<const char *> values) const {
        auto v = detail::terminated(values.begin(), values.end(), "a label value");
        detail::check(hams_vec_remove(v_, v.data()));
    }
    void remove(const std::vector<std::string> &values) const {
        auto v = detail::terminated(values.begin(), values.end(), "a label value");
        detail::check(hams_vec_remove(v_, v.data()));
    }
    // Gauge vecs in workers mode: for every series, before the first update.
    void set_aggregation(aggregation how) const {
        detail::check(hams_vec_set_aggregation(v_, static_cast<int>(how)));
    }
    hams_vec_t *get() const noexcept { return v_; }
    // Gives the family back to its server (which frees it with itself).
    hams_vec_t *release() noexcept { return std::exchange(v_, nullptr); }

private:
    template <class It> metric_ref find(It first, It last) const {
        auto v = detail::terminated(first, last, "a label value");
        return metric_ref(detail::check(hams_vec_with(v_, v.data())));
    }
    void reset() noexcept {
        if (v_ != nullptr) hams_vec_free(std::exchange(v_, nullptr));
    }
    hams_vec_t *v_ = nullptr;
};

// count (1 to 1024) bounds: start, start + width, ... (client_golang's LinearBuckets).
inline std::vector<double> buckets_linear(double start, double width, size_t count) {
    std::vector<double> out(count == 0 || count > 1024 ? 1 : count);
    detail::check(hams_buckets_linear(start, width, count, out.data()));
    return out;
}
// count (1 to 1024) bounds: start, start * factor, ... (client_golang's ExponentialBuckets).
inline std::vector<double> buckets_exponential(double start, double factor, size_t count) {
    std::vector<double> out(count == 0 || count > 1024 ? 1 : count);
    detail::check(hams_buckets_exponential(start, factor, count, out.data()));
    return out;
}

struct check_result {
    bool healthy;
    std::string reason;
};

// A status listener: a check ("alive", "ready", "startup") or probe turned
// healthy or unhealthy; `reason` is empty when healthy. Both views are valid
// only during the call.
using change_fn = std::function<void(std::string_view name, bool healthy, std::string_view reason)>;

// One health server. Destruction stops and frees it, after the probes and
// metrics this object handed out have been destroyed or released.
class server {
public:
    server(const char *name, const char *version) : h_(detail::check(hams_new(name, version))) {}
    static server from_yaml(const char *text) { return server(detail::check(hams_new_from_yaml(text))); }
    static server from_file(const char *path) { return server(detail::check(hams_new_from_file(path))); }
    // In a worker process: joins the primary's server named by $HAMS_WORKERS.
    // Its probes and metrics show in the primary's endpoints; start(),
    // stop(), shutdown() and wait() throw HAMS_ERR_STATE.
    static server attach() {
        hams_t *h = hams_attach();
        if (h == nullptr) throw error(hams_last_error_code(), hams_last_error());
        return server(h);
    }
    server(server &&) noexcept = default;
    server &operator=(server &&) noexcept = default;
    server(const server &) = delete;
    server &operator=(const server &) = delete;
    ~server() = default;

    hams_t *get() const noexcept { return h_.get(); }
    void set_address(const char *host_port) { detail::check(hams_set_address(get(), host_port)); }
    // Names the runtime and library in /hams/version and hams_build_info;
    // only while stopped. A C++ program is a native program, so nothing is
    // set unless asked: set_runtime() says "C++17" (the standard compiled
    // as), "hams-cpp" and the library's version.
    void set_runtime(const char *runtime, const char *library, const char *library_version) {
        detail::check(hams_set_runtime(get(), runtime, library, library_version));
    }
    void set_runtime() { set_runtime(detail::cpp_standard(), "hams-cpp", hams_version()); }
    // Workers mode: the primary of worker processes (forked, or spawned and
    // joining with attach()); before start() and any probe or metric.
    void set_workers(bool on) { detail::check(hams_set_workers(get(), on)); }
    void start() { detail::check(hams_start(get())); }
    void stop() { detail::check(hams_stop(get())); }
    int port() const { return detail::check(hams_port(get())); }
    void handle_signals(bool on) { detail::check(hams_handle_signals(get(), on)); }
    void shutdown() { detail::check(hams_shutdown(get())); }
    // True when the shutdown sequence is done; false on timeout.
    bool wait(std::chrono::milliseconds timeout) { return detail::check(hams_wait(get(), timeout.count())) == 1; }
    bool wait() { return detail::check(hams_wait(get(), -1)) == 1; }

    probe probe_manual(const char *name, unsigned checks, bool healthy) {
        return probe(detail::check(hams_probe_new_manual(get(), name, checks, healthy)));
    }
    probe probe_kick(const char *name, unsigned checks, std::chrono::milliseconds margin) {
        return probe(detail::check(hams_probe_new_kick(get(), name, checks, static_cast<uint64_t>(margin.count()))));
    }
    // A declared probe (from a configuration); it stays owned by the server.
    hams_probe_t *declared(const char *name) { return detail::check(hams_probe_get(get(), name)); }

    probe check(const char *name, unsigned checks, std::function<check_result()> fn,
                std::chrono::milliseconds interval, std::chrono::milliseconds timeout) {
        auto &slot = state_->checks.emplace_back(std::move(fn));
        return probe(detail::check(hams_probe_new_callback(get(), name, checks, &server::run_check, &slot,
                                                           static_cast<uint64_t>(interval.count()),
                                                           static_cast<uint64_t>(timeout.count()))));
    }

    // Adds a status listener (hams_on_change(3)): called on a hams thread,
    // first once with the state of every probe and check, then on each
    // change. It may call the server, and even destroy it.
    void on_change(change_fn fn) {
        auto &slot = state_->listeners.emplace_back(std::make_shared<change_fn>(std::move(fn)));
        detail::check(hams_on_change(get(), &server::run_change, &slot));
    }
    // Whether a check (HAMS_ALIVE, HAMS_READY or HAMS_STARTUP) passes now.
    bool check_state(unsigned check) const { return detail::check(hams_check_state(get(), check)) == 1; }

    void on_shutdown(std::function<void()> fn) {
        auto &slot = state_->shutdowns.emplace_back(std::move(fn));
        detail::check(hams_on_shutdown(get(), &server::run_shutdown, &slot));
    }

    metric counter(const char *name, const char *help, std::initializer_list<const char *> labels = {}) {
        auto l = terminated(labels);
        return metric(detail::check(hams_counter_new_labeled(get(), name, help, l.data())));
    }
    metric gauge(const char *name, const char *help, std::initializer_list<const char *> labels = {}) {
        auto l = terminated(labels);
        return metric(detail::check(hams_gauge_new_labeled(get(), name, help, l.data())));
    }
    metric histogram(const char *name, const char *help, const std::vector<double> &buckets,
                     std::initializer_list<const char *> labels = {}) {
        auto l = terminated(labels);
        return metric(detail::check(
            hams_histogram_new_labeled(get(), name, help, detail::bounds(buckets), buckets.size(), l.data())));
    }
    // A histogram with Prometheus' default buckets (0.005 to 10).
    metric histogram(const char *name, const char *help) {
        return metric(detail::check(hams_histogram_new(get(), name, help, nullptr, 0)));
    }
    // A native histogram: each bucket at most bucket_factor (> 1) times as
    // wide as the one below, at most max_buckets of them (0: no cap).
    metric histogram_native(const char *name, const char *help, double bucket_factor, uint32_t max_buckets = 0) {
        return metric(detail::check(hams_histogram_native_new(get(), name, help, bucket_factor, max_buckets)));
    }

    // Vecs: families by label names, e.g. counter_vec("requests_total", "...", {"path", "code"}).
    vec counter_vec(const char *name, const char *help, std::initializer_list<const char *> label_names) {
        auto l = detail::terminated(label_names.begin(), label_names.end(), "a label name");
        return vec(detail::check(hams_counter_vec_new(get(), name, help, l.data())));
    }
    vec gauge_vec(const char *name, const char *help, std::initializer_list<const char *> label_names) {
        auto l = detail::terminated(label_names.begin(), label_names.end(), "a label name");
        return vec(detail::check(hams_gauge_vec_new(get(), name, help, l.data())));
    }
    vec histogram_vec(const char *name, const char *help, const std::vector<double> &buckets,
                      std::initializer_list<const char *> label_names) {
        auto l = detail::terminated(label_names.begin(), label_names.end(), "a label name");
        return vec(detail::check(
            hams_histogram_vec_new(get(), name, help, detail::bounds(buckets), buckets.size(), l.data())));
    }
    // With Prometheus' default buckets.
    vec histogram_vec(const char *name, const char *help, std::initializer_list<const char *> label_names) {
        auto l = detail::terminated(label_names.begin(), label_names.end(), "a label name");
        return vec(detail::check(hams_histogram_vec_new(get(), name, help, nullptr, 0, l.data())));
    }
    vec histogram_native_vec(const char *name, const char *help, double bucket_factor, uint32_t max_buckets,
                             std::initializer_list<const char *> label_names) {
        auto l = detail::terminated(label_names.begin(), label_names.end(), "a label name");
        return vec(detail::check(
            hams_histogram_native_vec_new(get(), name, help, bucket_factor, max_buckets, l.data())));
    }

private:
    explicit server(hams_t *h) : h_(h) {}
    struct deleter {
        void operator()(hams_t *h) const noexcept { hams_free(h); }
    };
    // Callbacks live in lists (stable addresses) in a heap block that moves
    // with the server; it is destroyed after hams_free (members are
    // destroyed in reverse order of declaration).
    struct callbacks {
        std::list<std::function<check_result()>> checks;
        std::list<std::function<void()>> shutdowns;
        std::list<std::shared_ptr<change_fn>> listeners;
    };
    std::unique_ptr<callbacks> state_ = std::make_unique<callbacks>();
    std::unique_ptr<hams_t, deleter> h_;

    static std::vector<const char *> terminated(std::initializer_list<const char *> labels) {
        std::vector<const char *> v(labels);
        v.push_back(nullptr);
        return v;
    }
    static bool run_check(void *user, char *reason, size_t len) {
        try {
            auto r = (*static_cast<std::function<check_result()> *>(user))();
            if (!r.healthy && len > 0) {
                std::strncpy(reason, r.reason.c_str(), len - 1);
                reason[len - 1] = '\0';
            }
            return r.healthy;
        } catch (const std::exception &e) {  // never let an exception cross into C
            std::strncpy(reason, e.what(), len - 1);
            reason[len - 1] = '\0';
            return false;
        } catch (...) {
            return false;
        }
    }
    static void run_change(void *user, const char *name, bool healthy, const char *reason) {
        // A copy: a listener that destroys its server (hams_free then returns
        // at once) destroys the list, not the function it is running.
        std::shared_ptr<change_fn> fn = *static_cast<std::shared_ptr<change_fn> *>(user);
        try {
            (*fn)(name != nullptr ? name : "", healthy, reason != nullptr ? reason : "");
        } catch (...) {  // never let an exception cross into C
        }
    }
    static void run_shutdown(void *user) {
        try {
            (*static_cast<std::function<void()> *>(user))();
        } catch (...) {
        }
    }
};

inline const char *version() noexcept { return hams_version(); }
// In a worker process: server::attach().
inline server attach() { return server::attach(); }

}  // namespace hamspp
