#include "amlops/http/pipeline.hpp"

#include <catch2/catch.hpp>

#include <deque>

using namespace amlops;
using namespace std::chrono_literals;

namespace {

/// Answers from a script; each entry is a response or a transport failure.
struct scripted_transport : http::transport {
    struct step {
        int status = 200;
        http::fields headers;
        bool fail = false;
        bool retryable = true;
    };
    static step answer(int status, http::fields headers = {}) { return {status, std::move(headers), false, true}; }
    static step failure(bool retryable = true) { return {0, {}, true, retryable}; }
    std::deque<step> script;
    int calls = 0;
    http::response send(const http::request&) override {
        ++calls;
        if (script.empty()) return {200, "OK", {}, "done"};
        step s = script.front();
        script.pop_front();
        if (s.fail) throw http::transport_error("connection reset", s.retryable);
        return {s.status, "", s.headers, ""};
    }
};

/// A fake clock that advances only when the policy sleeps: no real waiting anywhere.
struct fake_time {
    std::chrono::steady_clock::time_point now{};
    std::vector<std::chrono::milliseconds> sleeps;
    http::retry_options options(double jitter = 1.0) {
        http::retry_options o;
        o.now = [this] { return now; };
        o.wall_now = [] { return std::chrono::system_clock::from_time_t(784111777); };  // Sun, 06 Nov 1994 08:49:37 GMT
        o.sleep = [this](std::chrono::milliseconds d) {
            sleeps.push_back(d);
            now += d;
        };
        o.jitter = [jitter] { return jitter; };
        return o;
    }
};

http::response run(scripted_transport& t, http::retry_options o) {
    http::retry_policy policy(std::move(o));
    http::request req{"GET", "https://example.test/x", {}, "", {}};
    return policy.send(req, http::next_policy([&](http::request& r) { return t.send(r); }));
}

}  // namespace

TEST_CASE("every retryable status is retried, then the success is returned") {
    for (int status : {408, 429, 500, 502, 503, 504}) {
        INFO("status " << status);
        scripted_transport t;
        t.script = {scripted_transport::answer(status), scripted_transport::answer(status)};
        fake_time clock;
        const auto res = run(t, clock.options());
        CHECK(res.status == 200);
        CHECK(t.calls == 3);
        // Exponential backoff without jitter: 0.8 s, then 1.6 s.
        CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>{800ms, 1600ms});
    }
}

TEST_CASE("client errors are not retried") {
    for (int status : {400, 401, 403, 404, 409}) {
        INFO("status " << status);
        scripted_transport t;
        t.script = {scripted_transport::answer(status)};
        fake_time clock;
        CHECK(run(t, clock.options()).status == status);
        CHECK(t.calls == 1);
        CHECK(clock.sleeps.empty());
    }
}

TEST_CASE("server retry hints win over backoff, in the documented order") {
    struct hint {
        http::fields headers;
        std::chrono::milliseconds expected;
    };
    const std::vector<hint> hints{
        {{{"retry-after-ms", "250"}}, 250ms},
        {{{"x-ms-retry-after-ms", "1500"}}, 1500ms},
        {{{"Retry-After", "7"}}, 7000ms},
        {{{"Retry-After", "Sun, 06 Nov 1994 08:49:49 GMT"}}, 12000ms},  // 12 s after the fake wall clock
        {{{"Retry-After", "Sun, 06 Nov 1994 08:49:30 GMT"}}, 0ms},      // in the past: retry at once
        {{{"retry-after-ms", "100"}, {"Retry-After", "9"}}, 100ms},
        {{{"Retry-After", "soon"}}, 800ms},                              // unparseable: backoff
    };
    for (const auto& h : hints) {
        INFO(h.headers.begin()->first << ": " << h.headers.begin()->second);
        scripted_transport t;
        t.script = {scripted_transport::answer(429, h.headers)};
        fake_time clock;
        CHECK(run(t, clock.options()).status == 200);
        REQUIRE(clock.sleeps.size() == 1);
        CHECK(clock.sleeps[0] == h.expected);
    }
}

TEST_CASE("backoff grows exponentially with jitter and is capped") {
    http::retry_options o;
    o.jitter = [] { return 1.0; };
    http::retry_policy p(o);
    CHECK(p.backoff(0, 1.0) == 800ms);
    CHECK(p.backoff(1, 1.0) == 1600ms);
    CHECK(p.backoff(2, 0.8) == 2560ms);
    CHECK(p.backoff(3, 1.3) == 8320ms);
    CHECK(p.backoff(10, 1.3) == 60000ms);  // 0.8 s * 2^10 * 1.3 is far above the 60 s cap

    // The default jitter stays within 0.8-1.3.
    http::retry_policy real{http::retry_options{}};
    scripted_transport t;
    t.script = {scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503)};
    fake_time clock;
    auto opts = clock.options();
    opts.jitter = nullptr;
    run(t, opts);
    REQUIRE(clock.sleeps.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        const double base = 800.0 * (1 << i);
        CHECK(clock.sleeps[i].count() >= static_cast<long>(base * 0.8));
        CHECK(clock.sleeps[i].count() <= static_cast<long>(base * 1.3) + 1);
    }
}

TEST_CASE("max retries returns the last failing response") {
    scripted_transport t;
    t.script = {scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503)};
    fake_time clock;
    auto o = clock.options();
    o.max_retries = 2;
    CHECK(run(t, o).status == 503);
    CHECK(t.calls == 3);
    CHECK(clock.sleeps.size() == 2);
}

TEST_CASE("max elapsed time stops retrying before a wait that would exceed it") {
    scripted_transport t;
    t.script = {scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503), scripted_transport::answer(503)};
    fake_time clock;
    auto o = clock.options();
    o.max_retries = 10;
    o.max_elapsed = 3000ms;  // 0.8 + 1.6 fit, the next 3.2 s would not
    CHECK(run(t, o).status == 503);
    CHECK(t.calls == 3);
    CHECK(clock.sleeps == std::vector<std::chrono::milliseconds>{800ms, 1600ms});

    scripted_transport t2;
    t2.script = {scripted_transport::answer(429, {{"Retry-After", "120"}})};
    fake_time clock2;
    auto o2 = clock2.options();
    o2.max_elapsed = 60'000ms;
    CHECK(run(t2, o2).status == 429);  // the server asks for more than the budget: give up now
    CHECK(clock2.sleeps.empty());
}

TEST_CASE("transport failures are retried, non-retryable ones and exhaustion surface") {
    scripted_transport t;
    t.script = {scripted_transport::failure(), scripted_transport::failure()};
    fake_time clock;
    CHECK(run(t, clock.options()).status == 200);
    CHECK(t.calls == 3);

    scripted_transport t2;
    t2.script = {scripted_transport::failure(false)};
    fake_time clock2;
    CHECK_THROWS_WITH(run(t2, clock2.options()), "connection reset");
    CHECK(t2.calls == 1);

    scripted_transport t3;
    t3.script = {scripted_transport::failure(), scripted_transport::failure(), scripted_transport::failure(), scripted_transport::failure()};
    fake_time clock3;
    try {
        run(t3, clock3.options());
        FAIL("expected a transport error");
    } catch (const http::transport_error& e) {
        CHECK(std::string(e.what()) == "connection reset (gave up after 4 attempts)");
        CHECK(e.kind() == error_kind::network);
    }
    CHECK(t3.calls == 4);
}

TEST_CASE("every attempt starts from the original request") {
    scripted_transport t;
    t.script = {scripted_transport::answer(500)};
    fake_time clock;
    http::retry_policy policy(clock.options());
    http::request req{"PUT", "https://example.test/x", {{"a", "1"}}, "body", {}};
    std::vector<std::size_t> header_counts;
    policy.send(req, http::next_policy([&](http::request& r) {
                    header_counts.push_back(r.headers.size());
                    r.headers.add("added-by-later-policy", "x");
                    return t.send(r);
                }));
    CHECK(header_counts == std::vector<std::size_t>{1, 1});
}
