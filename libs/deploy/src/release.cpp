#include "amlops/deploy/release.hpp"

#include "amlops/core/error.hpp"

#include <algorithm>

namespace amlops::deploy {

namespace {

std::optional<deployment_info> find_deployment(const std::vector<deployment_info>& ds, const std::string& slot) {
    const std::string key = fold_case(slot);
    for (const auto& d : ds)
        if (fold_case(d.name) == key) return d;
    return std::nullopt;
}

/// Puts the endpoint back as it was: the slot's previous model (or no slot), then the previous
/// traffic exactly. Returns an empty string on success, else what failed.
std::string restore(endpoint& ep, const release_outcome& o, bool slot_loaded, bool delete_new_slot, logger& log) {
    std::string problems;
    const auto attempt = [&](const std::string& what, auto&& step) {
        try {
            step();
        } catch (const std::exception& e) {
            log.error("rollback: " + what + " failed: " + e.what());
            if (!problems.empty()) problems += "; ";
            problems += what + ": " + e.what();
        }
    };
    if (o.replaced) {
        // The slot had live traffic routed to it before (or could get it back from the previous
        // state), so its previous model must be serving again before that traffic returns.
        attempt("reloading " + o.replaced->model + " into '" + o.slot + "'", [&] { ep.load_deployment(o.slot, o.replaced->model); });
    }
    attempt("restoring traffic " + to_string(o.previous.traffic), [&] { ep.set_traffic(o.previous); });
    if (!o.replaced && slot_loaded && delete_new_slot) attempt("unloading '" + o.slot + "'", [&] { ep.unload_deployment(o.slot); });
    return problems;
}

/// Equal live and mirror routing; a deployment kept at 0% routes nothing, like an absent one.
bool same_routing(const endpoint_traffic& a, const endpoint_traffic& b) {
    const auto routed = [](const traffic_map& t) {
        traffic_map out;
        for (const auto& [name, w] : t)
            if (w != 0) out[fold_case(name)] = w;
        return out;
    };
    return routed(a.traffic) == routed(b.traffic) && routed(a.mirror) == routed(b.mirror);
}

}  // namespace

release_outcome release(endpoint& ep, const release_request& r, logger& log) {
    release_outcome o;
    ep.wait_until_ready(r.ready_timeout);
    o.previous = ep.get_traffic();
    const auto existing = ep.deployments();
    o.slot = r.slot ? *r.slot : choose_slot(o.previous.traffic, r.names);
    if (!is_valid_deployment_name(o.slot))
        throw error(error_kind::usage, "deployment name '" + o.slot + "' is invalid (3-32 letters, digits or '-', starting with a letter)")
            .on_field("slot");
    o.replaced = find_deployment(existing, o.slot);
    o.slot_existed = o.replaced.has_value();
    if (o.replaced) o.slot = o.replaced->name;  // the endpoint's spelling
    log.info("endpoint " + ep.name() + ": traffic " + to_string(o.previous.traffic) + "; releasing into slot '" + o.slot + "'" +
             (o.slot_existed ? " (replacing " + o.replaced->model + ")" : " (new deployment)"));

    bool changed = false, slot_loaded = false;
    try {
        // 2. Drain the slot so live requests never reach the model before it passed.
        const auto drained = drain(o.previous, o.slot);
        if (drained != o.previous) {
            log.info("draining '" + o.slot + "' before replacing it: traffic " + to_string(drained.traffic));
            changed = true;
            ep.set_traffic(drained);
        }
        // 3. Deploy at 0% (100% when the endpoint routed nothing).
        changed = true;
        o.deployed = ep.load_deployment(o.slot, r.model);
        slot_loaded = true;
        // 100% only when the endpoint routed nothing before; a drained sole slot stays at 0%
        // (routing pauses) rather than sending live requests to an untested model.
        o.during = endpoint_traffic{total(o.previous.traffic) == 0 ? initial_traffic(drained.traffic, o.slot) : drained.traffic,
                                    drained.mirror};
        if (find_slot(o.during.traffic, o.slot) == o.during.traffic.end()) o.during.traffic[o.slot] = 0;
        validate(o.during);
        if (o.during != drained) {
            ep.set_traffic(o.during);
        }
        log.info("deployed " + r.model + " to '" + o.slot + "' at " + std::to_string(find_slot(o.during.traffic, o.slot)->second) + "%");

        // 4. Smoke test straight through the slot.
        score_response response;
        try {
            const auto payload = smoke_payload(r.smoke);
            log.debug("smoke request to '" + o.slot + "': " + payload.substr(0, 2000));
            response = ep.score(o.slot, payload);
            o.smoke = evaluate_smoke(r.smoke, response.status, response.body, r.max_rmse);
        } catch (const error& e) {
            if (e.kind() != error_kind::network) throw;
            o.smoke = smoke_result{};
            o.smoke.rows = r.smoke.rows.size();
            o.smoke.reason = std::string("the smoke request failed: ") + e.what();
        }
        if (o.smoke.passed) {
            // 5a. Shift traffic by the original's proportional rule.
            endpoint_traffic target{promote_traffic(o.previous.traffic, o.slot, r.traffic_share), o.previous.mirror};
            if (auto m = find_slot(target.mirror, o.slot); m != target.mirror.end()) target.mirror.erase(m);
            validate(target);
            o.current = ep.set_traffic(target);
            o.promoted = true;
            log.info("smoke test passed (" + std::to_string(o.smoke.rows) + " rows" +
                     (o.smoke.rmse ? ", RMSE " + std::to_string(*o.smoke.rmse) : std::string()) + "); traffic now " +
                     to_string(o.current.traffic));
            return o;
        }
    } catch (const error& e) {
        if (!changed) throw;
        log.error("release failed (" + std::string(e.what()) + "); rolling back");
        const auto problems = restore(ep, o, slot_loaded, r.delete_on_rollback, log);
        if (!problems.empty()) {
            error wrapped(e.kind(), std::string(e.what()) + "; the rollback also failed: " + problems);
            throw wrapped;
        }
        throw;
    }

    // 5b. Roll back.
    log.warn("smoke test of '" + o.slot + "' failed: " + o.smoke.reason + "; rolling back");
    if (const auto problems = restore(ep, o, slot_loaded, r.delete_on_rollback, log); !problems.empty())
        throw error(error_kind::service, "smoke test failed (" + o.smoke.reason + ") and the rollback failed: " + problems);
    o.current = ep.get_traffic();
    o.rolled_back = true;
    if (!same_routing(o.current, o.previous))
        throw error(error_kind::service, "rollback did not restore the traffic: expected " + to_string(o.previous.traffic) + ", the endpoint reports " +
                                             to_string(o.current.traffic));
    log.info("rolled back: traffic " + to_string(o.current.traffic) +
             (o.slot_existed ? ", '" + o.slot + "' serves its previous model again"
                             : r.delete_on_rollback ? ", '" + o.slot + "' unloaded" : ", '" + o.slot + "' kept at 0% for inspection"));
    return o;
}

json::object state_json(const release_outcome& o, const std::string& endpoint_name, const model_identity& model) {
    return json::object{
        {"previous_traffic", to_json(o.previous.traffic)},
        {"updated_traffic", to_json(o.during.traffic)},
        {"current_traffic", to_json(o.current.traffic)},
        {"previous_mirror_traffic", to_json(o.previous.mirror)},
        {"mirror_traffic", to_json(o.current.mirror)},
        {"new_deployment", o.slot},
        {"endpoint_name", endpoint_name},
        {"has_prior_deployment", o.has_prior_deployment()},
        {"model_name", model.name},
        {"model_version", model.version},
        {"model_source", model.source},
        {"model_uri", model.uri},
        {"status", o.promoted ? "promoted" : "rolled_back"},
        {"replaced_model", o.replaced ? json::value(o.replaced->model) : json::value(nullptr)},
        {"smoke", o.smoke.to_json()},
    };
}

}  // namespace amlops::deploy
