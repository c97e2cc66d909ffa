#pragma once
// The registries an operation can reach by name (promotion copies between two of them, lineage
// walks all of them). libs/workspace implements it from config.yaml and its backend factories;
// libs/registry only needs this interface, so it knows no backend but its own local one.

#include "amlops/registry/registry.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace amlops::registry {

class registry_set {
public:
    virtual ~registry_set() = default;
    /// Registry names, sorted.
    virtual std::vector<std::string> registry_names() const = 0;
    /// Opens a registry by name. Throws error(not_found) for an unknown name.
    virtual std::unique_ptr<registry> open(const std::string& name) const = 0;
    /// A fresh empty folder for staging files (the caller removes it).
    virtual std::filesystem::path make_temp_dir(const std::string& label) const = 0;
};

}  // namespace amlops::registry
