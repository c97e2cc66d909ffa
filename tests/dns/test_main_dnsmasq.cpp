// Catch2 main for the tests that need dnsmasq: exit 77 (CTest "skipped") with a message when it is
// not installed, so the suite says why instead of failing.
#define CATCH_CONFIG_RUNNER
#include "dns_servers.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
    if (amlops::test::dnsmasq_binary().empty()) {
        std::fprintf(stderr, "SKIP: dnsmasq is not installed (Debian package dnsmasq-base)\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
