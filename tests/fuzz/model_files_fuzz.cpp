// libFuzzer target for the model-folder readers: the bytes are used as MLmodel (YAML), as
// manifest.json and as model.json. Each reader must accept or throw amlops::error(bad_input),
// never crash, hang or touch a file outside the folder (a manifest naming "../x" is refused).
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/model/model_integrity.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

void expect_bad_input_only(void (*f)(std::string_view, const fs::path&), std::string_view bytes, const fs::path& dir) {
    try {
        f(bytes, dir);
    } catch (const amlops::error& e) {
        if (e.kind() != amlops::error_kind::bad_input) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("amlops-model-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(d);
        amlops::write_file_atomic(d / "model.json", "{\"learner\": {}, \"version\": [1, 7, 4]}");
        amlops::write_file_atomic(d / "MLmodel", "flavors: {}\n");
        return d;
    }();
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    expect_bad_input_only(
        [](std::string_view b, const fs::path& d) {
            YAML::Node doc = amlops::model::parse_mlmodel(b, "MLmodel");
            const fs::path p = amlops::model::mlmodel_data_path(doc, d, "MLmodel");
            if (p.lexically_relative(d).string().starts_with("..")) __builtin_trap();
        },
        bytes, dir);
    expect_bad_input_only([](std::string_view b, const fs::path&) { amlops::model::require_xgboost_json(b, "model.json"); },
                          bytes, dir);
    expect_bad_input_only(
        [](std::string_view b, const fs::path& d) {
            std::ofstream(d / "manifest.json", std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));  // no fsync: speed
            (void)amlops::model::verify_model_folder(d, {{"model.json", "{}"}});
        },
        bytes, dir);
    return 0;
}
