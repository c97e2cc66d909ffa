#pragma once
// The sweep inside aml-train (--sweep FILE): reads the sweep file before any data is loaded, runs
// the cross-validated search on the training rows, logs the trial table, and hands back the
// parameters the final model is trained with plus sweep.json.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/data/table.hpp"
#include "amlops/model/params.hpp"

#include <filesystem>
#include <memory>

namespace amlops::model {

class sweep_step {
public:
    /// Loads and checks `file` against the resolved parameters `base` (error(config) naming file
    /// and field). `base.nthread` is the sweep's core budget.
    sweep_step(const std::filesystem::path& file, const train_params& base);
    ~sweep_step();
    sweep_step(sweep_step&&) noexcept;
    sweep_step& operator=(sweep_step&&) noexcept;

    /// Runs every trial and returns the best trial's parameters for the retrain on all rows.
    train_params run(const data::numeric_table& train, logger& log);
    /// sweep.json's content (after run()).
    json::object report() const;
    /// The short form for the tool's result: best trial, its CV metric, counts, seconds.
    json::object summary() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace amlops::model
