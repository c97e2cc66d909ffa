// local_endpoint against a scripted loopback HTTP server: the requests it sends (method, target,
// body, key and deployment headers) and how admin errors become amlops errors.
#include "amlops/deploy/local_endpoint.hpp"

#include "amlops/core/error.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace amlops;
using namespace amlops::deploy;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

/// What the scripted server saw of one request.
struct seen_request {
    std::string method, target, body, authorization, deployment;
};

/// Serves `responses.size()` connections, one request each, answering them in order.
class scripted_server {
public:
    struct reply {
        int status;
        std::string body;
    };

    explicit scripted_server(std::vector<reply> replies) : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this, replies = std::move(replies)] {
            for (const auto& r : replies) {
                asio::ip::tcp::socket socket(ioc_);
                acceptor_.accept(socket);
                boost::beast::flat_buffer buffer;
                bhttp::request<bhttp::string_body> req;
                bhttp::read(socket, buffer, req);
                {
                    std::lock_guard lock(mutex_);
                    seen_.push_back({std::string(req.method_string()), std::string(req.target()), req.body(),
                                     std::string(req[bhttp::field::authorization]), std::string(req["azureml-model-deployment"])});
                }
                bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
                res.set(bhttp::field::content_type, "application/json");
                res.set("x-request-id", "req-1");
                res.body() = r.body;
                res.prepare_payload();
                bhttp::write(socket, res);
                boost::system::error_code ec;
                socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
            }
        });
    }
    ~scripted_server() { thread_.join(); }
    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;

    std::string uri() const { return "local://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    std::vector<seen_request> seen() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    asio::io_context ioc_;
    asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<seen_request> seen_;
};

}  // namespace

TEST_CASE("local_endpoint speaks the admin API with the key and the deployment header") {
    scripted_server server({
        {200, R"({"traffic": {"blue": 70, "green": 30}, "mirror_traffic": {"green": 10}})"},
        {201, R"({"name": "green", "model": "m2", "model_name": "taxi", "model_version": "2", "traffic": 0})"},
        {200, R"({"traffic": {"blue": 100, "green": 0}, "mirror_traffic": {}})"},
        {200, "[12.5, 13.25]"},
        {200, R"({"deleted": "green"})"},
    });
    endpoint_options options;
    options.key = "k3y";
    auto ep = open_endpoint(server.uri(), options);

    const auto t = ep->get_traffic();
    CHECK(t.traffic == traffic_map{{"blue", 70}, {"green", 30}});
    CHECK(t.mirror == traffic_map{{"green", 10}});
    const auto d = ep->load_deployment("green", "m2");
    CHECK(d.model_version == "2");
    CHECK(ep->set_traffic({{{"blue", 100}, {"green", 0}}, {}}).traffic.at("blue") == 100);
    const auto s = ep->score("green", R"({"data": [[1]]})");
    CHECK(s.status == 200);
    CHECK(s.body == "[12.5, 13.25]");
    CHECK(s.request_id == "req-1");
    ep->unload_deployment("green");

    const auto seen = server.seen();
    REQUIRE(seen.size() == 5);
    CHECK((seen[0].method == "GET" && seen[0].target == "/admin/traffic"));
    CHECK((seen[1].method == "PUT" && seen[1].target == "/admin/deployments/green"));
    CHECK(seen[1].body == R"({"model":"m2"})");
    CHECK((seen[2].method == "PUT" && seen[2].target == "/admin/traffic"));
    CHECK(seen[2].body == R"({"traffic":{"blue":100,"green":0},"mirror_traffic":{}})");
    CHECK((seen[3].method == "POST" && seen[3].target == "/score"));
    CHECK(seen[3].deployment == "green");
    CHECK((seen[4].method == "DELETE" && seen[4].target == "/admin/deployments/green"));
    for (const auto& r : seen) CHECK(r.authorization == "Bearer k3y");
}

TEST_CASE("admin errors become amlops errors with the server's message and status") {
    scripted_server server({
        {400, R"({"error": {"status": 400, "message": "traffic must sum to 100, got 90"}})"},
        {404, R"({"error": {"status": 404, "message": "model version 9 not found"}})"},
        {409, R"({"error": {"status": 409, "message": "'green' still has traffic"}})"},
        {401, R"({"error": {"status": 401, "message": "missing or wrong key"}})"},
        {500, "<html>oops</html>"},
    });
    auto ep = open_endpoint(server.uri());
    const auto kind_and_message = [](const std::function<void()>& f) -> std::pair<error_kind, std::string> {
        try {
            f();
        } catch (const error& e) {
            return {e.kind(), e.describe()};
        }
        return {error_kind::internal, "no error"};
    };
    auto [k1, m1] = kind_and_message([&] { ep->set_traffic({{{"blue", 90}}, {}}); });
    CHECK(k1 == error_kind::bad_input);
    CHECK_THAT(m1, Catch::Contains("sum to 100, got 90") && Catch::Contains("HTTP 400") && Catch::Contains("request-id=req-1"));
    auto [k2, m2] = kind_and_message([&] { ep->load_deployment("green", "azureml://registries/dev/models/x/versions/9"); });
    CHECK(k2 == error_kind::not_found);
    CHECK_THAT(m2, Catch::Contains("version 9 not found"));
    auto [k3, m3] = kind_and_message([&] { ep->unload_deployment("green"); });
    CHECK(k3 == error_kind::bad_input);
    CHECK_THAT(m3, Catch::Contains("still has traffic"));
    auto [k4, m4] = kind_and_message([&] { ep->get_traffic(); });
    CHECK(k4 == error_kind::auth);
    auto [k5, m5] = kind_and_message([&] { ep->deployments(); });
    CHECK(k5 == error_kind::service);
    CHECK_THAT(m5, Catch::Contains("oops"));
}

TEST_CASE("wait_until_ready retries while the server answers 503 and stops at 200") {
    scripted_server server({{503, R"({"error": {"status": 503, "message": "loading"}})"}, {503, "{}"}, {200, "ok"}});
    auto ep = open_endpoint(server.uri());
    ep->wait_until_ready(std::chrono::seconds(30));
    const auto seen = server.seen();
    REQUIRE(seen.size() == 3);
    CHECK(seen[2].target == "/");
}
