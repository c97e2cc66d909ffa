#include "amlops/jobs/score_drift.hpp"

#include "amlops/core/error.hpp"
#include "amlops/drift/profile.hpp"

#include <cstdio>
#include <mutex>

namespace amlops::model {
namespace {

// Counts the rows the scoring run parses; the monitor is built from the first piece's columns
// (the model's inputs, in the order the run reads them).
class drift_observer final : public row_observer {
public:
    drift_observer(std::shared_ptr<const drift::profile> p, const drift_check& check, logger& log)
        : profile_(std::move(p)), check_(check), log_(log) {}

    void observe(const data::numeric_table& rows) override {
        if (!check_.enabled || !profile_) return;
        std::call_once(once_, [&] { monitor_.emplace(profile_, rows.columns); });
        monitor_->observe(rows.features, rows.rows);
    }

    void finish(output_set& outputs, const std::filesystem::path& output_dir, json::object& result) override {
        const auto path = output_dir / drift_report_file;
        if (!check_.enabled) {
            outputs.remove_on_commit(path);  // it would describe other predictions
            return;
        }
        json::object doc;
        if (!profile_) {
            doc = drift::no_profile_json();
            log_.warn(std::string("drift: ") + std::string(doc.at("reason").as_string()));
        } else {
            if (!monitor_) monitor_.emplace(profile_, std::vector<std::string>{});  // no rows
            const auto report = monitor_->report(check_.limits);
            doc = drift::to_json(report);
            json::array reasons;
            for (const auto* f : report.drifting())
                for (const auto& why : f->reasons) reasons.push_back(json::value(f->name + ": " + why));
            rejected_ = !reasons.empty();
            log_.log(rejected_ ? log_level::warn : log_level::info,
                     rejected_ ? "drift: " + std::to_string(report.drifting().size()) + " feature(s) over the limit"
                               : "drift: no feature over the limit (" + std::to_string(report.rows) + " rows)");
            for (const auto& r : reasons) log_.warn("drift: " + std::string(r.as_string()));
            if (rejected_) result["reasons"] = std::move(reasons);
        }
        outputs.stage(path, json::pretty(doc));
        result["drift"] = std::move(doc);
        written_ = path;
    }

    bool rejected() const noexcept { return rejected_; }
    const std::filesystem::path& written() const noexcept { return written_; }

private:
    std::shared_ptr<const drift::profile> profile_;
    drift_check check_;
    logger& log_;
    std::once_flag once_;
    std::optional<drift::monitor> monitor_;
    bool rejected_ = false;
    std::filesystem::path written_;
};

}  // namespace

score_outcome run_score_job(const score_request& request, const drift_check& check_in, logger& log, const output_sink& add_output) {
    drift_check check = check_in;
    if (check.limits.psi || check.limits.ks) check.enabled = true;
    std::shared_ptr<const drift::profile> profile;
    if (check.enabled) {
        if (auto p = drift::load_profile(request.model)) profile = std::make_shared<const drift::profile>(std::move(*p));
        if (!profile && (check.limits.psi || check.limits.ks))
            throw error(error_kind::bad_input, std::string("cannot check drift: the model has no training profile (") +
                                                   drift::profile_file + "); retrain it with this aml-train, or score without a drift limit")
                .in_file((request.model / drift::profile_file).string());
    }
    drift_observer observer(profile, check, log);
    score_request r = request;
    r.observer = &observer;
    score_outcome out;
    out.result = run_score_job(r, log, add_output);
    out.rejected = observer.rejected();
    if (add_output && !observer.written().empty()) add_output("drift", observer.written());
    return out;
}

}  // namespace amlops::model
