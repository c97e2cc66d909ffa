#pragma once
// The verdict on one name: OK only when every final address is private, inside the platform's
// address spaces and (when known) the endpoint's own address; otherwise the specific failure with
// the chain that shows it and a hint saying what to fix.

#include "amlops/core/json.hpp"
#include "amlops/dns/resolver.hpp"
#include "amlops/dnscheck/expectations.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::dnscheck {

enum class verdict_kind {
    ok,
    public_answer,   ///< a final address is public: the private zone is not in use here
    nxdomain,        ///< the name (or the chain's end) does not exist
    no_address,      ///< the name exists without A/AAAA records
    wrong_address,   ///< private, but not the endpoint's address or outside the address spaces
    servfail,        ///< SERVFAIL, REFUSED, unreachable server or a broken answer
    timeout,         ///< no answer in time
    cname_loop,      ///< the CNAME chain loops (or is longer than allowed)
};
std::string_view to_string(verdict_kind k) noexcept;

struct verdict {
    expected_name expected;
    dns::lookup lookup;
    verdict_kind kind = verdict_kind::ok;
    std::string reason;  ///< what is wrong, one line
    std::string hint;    ///< what to fix, one line; names Azure resources by id when known
};

/// What the verdicts need to know about the run, for the hints.
struct check_settings {
    std::string server;                       ///< "10.0.0.4:53"
    std::chrono::milliseconds timeout{1000};
    int retries = 1;
};

/// Judges one lookup against its expectation.
verdict judge(const expected_name& expected, const dns::lookup& lookup,
              const std::vector<dns::ip_network>& address_spaces, const check_settings& settings);

/// A whole run.
struct check_report {
    std::vector<verdict> verdicts;
    std::vector<dns::ip_network> address_spaces;
    std::vector<std::string> skipped;
    check_settings settings;
    std::chrono::microseconds elapsed{};
    std::size_t failures() const;
};

/// Resolves every name of the plan with `resolver` and judges each.
check_report run_check(const check_plan& plan, dns::resolver& resolver, const check_settings& settings);

/// "name → cname → … → 10.0.0.4" (at most `max_addresses` addresses, then "(+N)"), or the failure.
std::string chain_text(const verdict& v, std::size_t max_addresses = 3);
/// The human table (verdict, name, chain; hint lines under failures) and a summary line.
std::string render_table(const check_report& report);
/// JUnit XML: one test case per name, a <failure> with the chain and hint for each failure.
std::string render_junit(const check_report& report);
/// The JSON `result` of aml-dnscheck.
json::value to_json(const check_report& report);

}  // namespace amlops::dnscheck
