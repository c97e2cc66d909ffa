#pragma once
// One aml-dnscheck run: gather the expected names from every source given, resolve them all
// against the chosen server and judge each. The tool main only parses flags and prints.

#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/dnscheck/azure_discovery.hpp"
#include "amlops/dnscheck/verdict.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace amlops::dnscheck {

struct run_options {
    std::vector<std::string> servers;                 ///< --server IP[:PORT]; empty = resolv.conf
    std::filesystem::path resolv_conf = "/etc/resolv.conf";
    std::vector<std::filesystem::path> expect_files;  ///< --expect FILE
    std::filesystem::path platform_file;              ///< --platform FILE
    azure_scope azure;                                ///< --subscription + --resource-group
    std::vector<std::string> address_spaces;          ///< --address-space CIDR
    std::filesystem::path ca_file;                    ///< --ca-file FILE (TLS to ARM)
    std::chrono::milliseconds timeout{1000};
    int retries = 1;
    int max_cname_hops = 16;
    std::size_t concurrency = 256;
};

/// Throws error(usage) when no source of names is given, error(bad_input) for bad files, ARM and
/// credential errors as they come. The report's failures are the caller's to turn into exit 3.
check_report run_dnscheck(const run_options& options, logger& log, const env_lookup& env);

}  // namespace amlops::dnscheck
