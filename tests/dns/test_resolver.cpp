// The resolver against a real dnsmasq (see test_zone.hpp); exits 77 when dnsmasq is missing.
#include "dns_servers.hpp"
#include "test_support.hpp"
#include "test_zone.hpp"

#include "amlops/dns/resolver.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace amlops;
using namespace amlops::test;

namespace {


dns::resolver_options options_for(const std::string& server) {
    dns::resolver_options o;
    o.servers = {dns::parse_server(server)};
    o.timeout = std::chrono::milliseconds(300);
    o.retries = 1;
    return o;
}

const dns::lookup& find(const std::vector<dns::lookup>& all, const std::string& name) {
    auto it = std::find_if(all.begin(), all.end(), [&](const dns::lookup& l) { return l.name == name; });
    REQUIRE(it != all.end());
    return *it;
}

std::vector<std::string> texts(const std::vector<dns::ip_address>& as) {
    std::vector<std::string> out;
    for (const auto& a : as) out.push_back(a.str());
    return out;
}

}  // namespace

TEST_CASE("every way a private-link name resolves or fails, against dnsmasq") {
    test_zone_servers servers("dns-resolver");
    dns::resolver r(options_for(servers.main.address()));
    using namespace zone;
    const auto all = r.resolve({blob, vault, acr, file, queue, table, workspace, notebooks, instance, txt_only});

    const auto& ok = find(all, blob);
    CHECK(ok.result == dns::outcome::answer);
    CHECK(ok.chain == std::vector<std::string>{blob_pl});
    CHECK(texts(ok.addresses) == std::vector<std::string>{"10.10.1.4"});
    CHECK_FALSE(ok.tcp);

    const auto& v6 = find(all, vault);
    CHECK(v6.result == dns::outcome::answer);
    CHECK(texts(v6.addresses) == std::vector<std::string>{"10.10.1.5", "fd10:10::5"});

    const auto& big = find(all, acr);
    CHECK(big.result == dns::outcome::answer);
    CHECK(big.addresses.size() == 60);
    CHECK(big.tcp);

    const auto& pub = find(all, file);
    CHECK(pub.result == dns::outcome::answer);
    CHECK(pub.chain == std::vector<std::string>{file_pl, "file.bn9prdstr01a.store.core.windows.net"});
    CHECK(texts(pub.addresses) == std::vector<std::string>{"20.60.1.1"});

    const auto& missing = find(all, queue);
    CHECK(missing.result == dns::outcome::nxdomain);
    CHECK(missing.chain == std::vector<std::string>{queue_pl});
    CHECK(missing.detail == "NXDOMAIN for " + queue_pl);

    CHECK(texts(find(all, table).addresses) == std::vector<std::string>{"10.10.1.99"});

    const auto& loop = find(all, workspace);
    CHECK(loop.result == dns::outcome::cname_loop);
    CHECK(loop.chain == std::vector<std::string>{workspace_pl, workspace});

    INFO(find(all, notebooks).detail);
    CHECK(find(all, notebooks).result == dns::outcome::servfail);
    CHECK(find(all, txt_only).result == dns::outcome::no_data);
    CHECK(find(all, txt_only).detail == "no A record for " + txt_only);
    CHECK(find(all, instance).result == dns::outcome::timeout);
}

TEST_CASE("a server that never answers times out after the retries, not before") {
    fake_dns_server mute(fake_dns_server::mode::mute);
    auto o = options_for(mute.address());
    o.timeout = std::chrono::milliseconds(100);
    o.retries = 2;
    dns::resolver r(o);
    const auto all = r.resolve({"a.example.test", "b.example.test"});
    for (const auto& l : all) {
        CHECK(l.result == dns::outcome::timeout);
        CHECK(l.queries == 2);  // one query per type; c-ares retries inside it
    }
    // 3 attempts of at least 100 ms each.
    CHECK(all[0].elapsed >= std::chrono::milliseconds(300));
}

TEST_CASE("a CNAME chain longer than allowed stops with chain_too_long") {
    scratch_dir dir("dns-chain");
    std::vector<std::string> conf{"local=/chain.test/"};
    for (int i = 0; i < 6; ++i)
        conf.push_back("cname=n" + std::to_string(i) + ".chain.test,n" + std::to_string(i + 1) + ".chain.test");
    conf.push_back("host-record=n6.chain.test,10.0.0.6");
    dnsmasq_server server(dir / "d", conf);
    auto o = options_for(server.address());
    o.max_cname_hops = 3;
    dns::resolver r(o);
    const auto all = r.resolve({"N0.chain.test."});
    CHECK(all[0].name == "n0.chain.test");
    CHECK(all[0].result == dns::outcome::chain_too_long);
    o.max_cname_hops = 6;
    dns::resolver r6(o);
    CHECK(r6.resolve({"n0.chain.test"})[0].result == dns::outcome::answer);
}

TEST_CASE("without --server the nameservers of resolv.conf are used") {
    scratch_dir dir("dns-resolvconf");
    write_text(dir / "resolv.conf", "# test\nnameserver 127.0.0.53\nnameserver ::1\n");
    dns::resolver_options o;
    o.resolv_conf = dir / "resolv.conf";
    dns::resolver r(o);
    const auto servers = r.servers();
    REQUIRE(servers.size() == 2);
    CHECK(servers[0].str() == "127.0.0.53:53");
    CHECK(servers[1].str() == "[::1]:53");
}
