// libFuzzer target for the scoring payload decoder: any byte string must either decode or throw
// amlops::error(bad_input); never crash, hang, leak or read out of bounds (ASan).
#include "amlops/core/error.hpp"
#include "amlops/serve/payload.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const amlops::serve::column_set columns({"a", "b", "c", "trip_distance"});
    try {
        auto d = amlops::serve::decode_payload(std::string_view(reinterpret_cast<const char*>(data), size), columns);
        if (d.values.size() != d.rows * columns.size()) __builtin_trap();
    } catch (const amlops::error& e) {
        if (e.kind() != amlops::error_kind::bad_input) __builtin_trap();
    }
    return 0;
}
