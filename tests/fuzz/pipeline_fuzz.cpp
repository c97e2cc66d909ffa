// libFuzzer target for the pipeline YAML loader: any bytes as a job file must load or throw
// amlops::error of a user-facing kind (config/usage/not_found/bad_input), never crash, hang or
// escape as another exception type (a yaml-cpp exception would be an exit-1 "internal" error).
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/pipeline/loader.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("amlops-pipeline-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    const fs::path file = dir / "job.yaml";
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    try {
        (void)amlops::pipeline::load_job(file);
    } catch (const amlops::error& e) {
        if (e.exit_code() != 2) __builtin_trap();
    }
    return 0;
}
