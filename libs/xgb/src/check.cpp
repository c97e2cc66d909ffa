#include "check.hpp"

#include "amlops/core/error.hpp"
#include "amlops/xgb/log.hpp"

#include <xgboost/c_api.h>

#include <functional>
#include <mutex>
#include <string>

namespace amlops::xgb {
namespace detail {

void check(int rc, std::string_view what) {
    if (rc == 0) return;
    throw error(error_kind::internal, std::string("xgboost ").append(what).append(" failed: ").append(last_error()));
}

std::string last_error() {
    const char* last = XGBGetLastError();
    std::string text = last != nullptr && *last != '\0' ? last : "unknown error";
    // xgboost appends a native stack trace; users need the message, not libxgboost's frames.
    if (auto pos = text.find("Stack trace:"); pos != std::string::npos) text.erase(pos);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace detail

namespace {

std::mutex& sink_mutex() {
    static std::mutex m;
    return m;
}

std::function<void(std::string_view)>& sink() {
    static std::function<void(std::string_view)> s;
    return s;
}

// xgboost calls this from whatever thread logs; the sink is looked up under the mutex so a
// concurrent set_log_handler() is safe.
void forward(const char* message) {
    std::lock_guard lock(sink_mutex());
    if (sink() && message != nullptr) sink()(message);
}

}  // namespace

void set_log_handler(std::function<void(std::string_view)> handler) {
    {
        std::lock_guard lock(sink_mutex());
        sink() = std::move(handler);
    }
    detail::check(XGBRegisterLogCallback(&forward), "register log callback");
}

}  // namespace amlops::xgb
