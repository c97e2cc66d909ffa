#include "amlops/core/environment.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <random>

namespace amlops {

env_lookup system_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v || !*v) return std::nullopt;
        return std::string(v);
    };
}

namespace {
std::optional<std::string> git_output(const char* args) {
    std::string cmd = std::string("git ") + args + " 2>/dev/null";
    std::unique_ptr<FILE, decltype(&pclose)> p(popen(cmd.c_str(), "r"), &pclose);
    if (!p) return std::nullopt;
    std::array<char, 256> buf{};
    std::string out;
    while (std::fgets(buf.data(), buf.size(), p.get())) out += buf.data();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.empty()) return std::nullopt;
    return out;
}
}  // namespace

std::optional<std::string> detect_commit_sha(const env_lookup& env) {
    if (auto v = env("GITHUB_SHA")) return v;
    return git_output("rev-parse HEAD");
}

std::optional<std::string> detect_branch(const env_lookup& env) {
    if (auto v = env("GITHUB_REF_NAME")) return v;
    return git_output("rev-parse --abbrev-ref HEAD");
}

code_version detect_code_version(const env_lookup& env, std::optional<std::string> fallback_commit) {
    code_version out{env("GITHUB_SHA"), env("GITHUB_REF_NAME")};
    if (!out.commit_sha) out.commit_sha = std::move(fallback_commit);
    if (out.commit_sha && out.branch) return out;
    // One process prints both, one per line: "<sha>\n<branch>".
    const auto both = git_output("rev-parse HEAD --abbrev-ref HEAD");
    if (!both) return out;
    const auto nl = both->find('\n');
    if (nl == std::string::npos) return out;
    if (!out.commit_sha) out.commit_sha = both->substr(0, nl);
    if (!out.branch) {
        std::string b = both->substr(nl + 1);
        while (!b.empty() && (b.back() == '\r' || b.back() == '\n')) b.pop_back();
        if (!b.empty()) out.branch = std::move(b);
    }
    return out;
}

std::string detect_run_id(const env_lookup& env) {
    if (auto v = env("AMLOPS_RUN_ID")) return *v;
    if (auto v = env("AZUREML_RUN_ID")) return *v;
    return random_uuid();
}

std::string random_uuid() {
    std::random_device rd;
    std::array<unsigned char, 16> b{};
    for (auto& x : b) x = static_cast<unsigned char>(rd());
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
        s += hex[b[i] >> 4];
        s += hex[b[i] & 0xF];
    }
    return s;
}

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace amlops
