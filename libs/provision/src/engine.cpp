#include "amlops/provision/engine.hpp"

#include "amlops/core/error.hpp"
#include "amlops/http/message.hpp"

#include <algorithm>
#include <condition_variable>
#include <queue>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

namespace amlops::provision {
namespace {

using json::array;
using json::object;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

std::string str_at(const json::value& v, std::initializer_list<std::string_view> path) { return json::string_at(v, path); }

/// The failures a later identical write fixes by itself: a role assignment that ARM has not
/// propagated yet (403 AuthorizationFailed / LinkedAuthorizationFailed) and an identity still
/// being cleaned up after a recent delete (409 FailedIdentityOperation).
bool transient_platform_failure(const arm::arm_error& e, const desired_resource& r) {
    const auto status = e.context().http_status.value_or(0);
    if (status == 409 && e.code() == "FailedIdentityOperation") return true;
    if (status != 403 || (e.code() != "AuthorizationFailed" && e.code() != "LinkedAuthorizationFailed")) return false;
    // Only writes that wait on a role assignment of this platform: anything else is a real denial.
    return std::any_of(r.depends_on.begin(), r.depends_on.end(), [](const std::string& d) { return d.rfind("rbac/", 0) == 0; });
}

}  // namespace

void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& fn) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr first;
    std::mutex mutex;
    auto worker = [&] {
        for (std::size_t i = next++; i < n; i = next++) {
            try {
                fn(i);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!first) first = std::current_exception();
            }
        }
    };
    const auto count = std::max<std::size_t>(1, std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads))));
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < count; ++i) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (first) std::rethrow_exception(first);
}

engine::engine(arm::client& client, const platform_config& platform, engine_options options)
    : client_(client), platform_(platform), options_(std::move(options)) {
    if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    const auto names = derive_names(platform_);
    require_valid_names(names, platform_);
    desired_ = desired_state(platform_, names);
    // Resources of the optional parts that the current options leave out: when they exist and
    // are owned, the plan deletes them (switching Bastion off removes it).
    platform_config all = platform_;
    all.bastion = true;
    all.registry_per_environment = true;
    for (auto& e : all.environments)
        if (e.bastion_prefix.empty()) e.bastion_prefix = "10.255.255.0/26";
    std::set<std::string> keys;
    for (const auto& r : desired_) keys.insert(r.key);
    for (auto& r : desired_state(all, derive_names(all)))
        if (!keys.count(r.key) && r.taggable) retired_.push_back(std::move(r));
}

std::map<std::string, std::optional<json::value>> engine::fetch(const std::vector<const desired_resource*>& which, std::size_t* gets) {
    std::vector<std::optional<json::value>> results(which.size());
    parallel_for(which.size(), options_.threads, [&](std::size_t i) {
        results[i] = client_.find(arm::parse_resource_id(which[i]->id));
    });
    if (gets) *gets += which.size();
    std::map<std::string, std::optional<json::value>> out;
    for (std::size_t i = 0; i < which.size(); ++i) out[which[i]->key] = std::move(results[i]);
    return out;
}

bool engine::owned(const desired_resource& r, const json::value& live) const {
    if (r.taggable) return str_at(live, {"tags", owner_tag_name}) == platform_.owner_tag();
    if (r.kind == "Microsoft.Authorization/roleAssignments")
        return str_at(live, {"properties", "description"}).rfind(std::string(owner_tag_name) + "=" + platform_.owner_tag(), 0) == 0;
    return true;  // children go with their (owned) parent
}

plan_result engine::plan() {
    plan_result out;
    std::vector<const desired_resource*> all;
    for (const auto& r : desired_) all.push_back(&r);
    for (const auto& r : retired_) all.push_back(&r);
    auto live = fetch(all, &out.gets);
    std::map<std::string, json::value> state;
    for (auto& [k, v] : live)
        if (v) state[k] = *v;
    for (const auto& r : desired_) {
        change c{r.key, r.kind, r.id, action::none, {}, {}};
        const auto& l = live[r.key];
        if (!l) {
            c.act = action::create;
        } else {
            // References resolve against the live state; unresolved ones are "known after apply".
            auto resolved = resolve_refs(json::value(r.body), state);
            c.fields = diff_owned(resolved ? *resolved : json::value(r.body), &*l);
            const auto ps = str_at(*l, {"properties", "provisioningState"});
            if (!ps.empty() && !http::iequals(ps, "Succeeded")) c.reason = "provisioningState " + ps + " (an interrupted or failed write)";
            c.act = (c.fields.empty() && c.reason.empty()) ? action::none : action::update;
        }
        out.changes.push_back(std::move(c));
    }
    for (const auto& r : retired_) {
        const auto& l = live[r.key];
        if (l && owned(r, *l)) out.changes.push_back({r.key, r.kind, r.id, action::remove, {}, "no longer in the platform file"});
    }
    out.live = std::move(state);
    return out;
}

json::value engine::put_with_retries(const desired_resource& r, const json::value& body, std::size_t& writes, std::size_t& retries) {
    const auto id = arm::parse_resource_id(r.id);
    auto delay = options_.retry_base;
    const auto start = clock_type::now();
    for (;;) {
        try {
            ++writes;
            return client_.put(id, body);
        } catch (const arm::arm_error& e) {
            const auto waited = clock_type::now() - start;
            if (!transient_platform_failure(e, r) || waited + delay > options_.retry_budget) throw;
            ++retries;
            if (options_.log)
                options_.log->info("waiting " + std::to_string(delay.count()) + " ms to retry " + r.key + " after " + e.code() +
                                   " (role assignment propagation / identity clean-up)");
            options_.sleep(delay);
            delay = std::min(options_.retry_cap, delay * 2);
        }
    }
}

apply_result engine::apply(const plan_result& plan) {
    apply_result out;
    const auto start = clock_type::now();
    std::map<std::string, action> actions;
    for (const auto& c : plan.changes) actions[c.key] = c.act;
    std::map<std::string, json::value> state = plan.live;

    // Deletions of retired resources first (they are leaves of the old graph).
    std::vector<const change*> removals;
    for (const auto& c : plan.changes)
        if (c.act == action::remove) removals.push_back(&c);
    parallel_for(removals.size(), options_.threads, [&](std::size_t i) {
        client_.remove(arm::parse_resource_id(removals[i]->id));
    });
    out.writes += removals.size();

    // Dependency-ordered parallel PUTs: a resource starts when everything it depends on is done.
    const std::size_t n = desired_.size();
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < n; ++i) index[desired_[i].key] = i;
    std::vector<std::vector<std::size_t>> dependents(n);
    std::vector<std::size_t> waiting(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& d : desired_[i].depends_on) {
            dependents[index.at(d)].push_back(i);
            ++waiting[i];
        }
    std::vector<double> duration(n, 0.0);
    std::mutex mutex;
    std::condition_variable cv;
    // Longest chain of dependents below each resource: the ready resource that heads the longest
    // remaining chain starts first (critical-path list scheduling).
    std::vector<std::size_t> height(n, 1);
    for (std::size_t i = n; i-- > 0;)
        for (auto d : dependents[i]) height[i] = std::max(height[i], height[d] + 1);
    auto by_height = [&](std::size_t a, std::size_t b) { return height[a] < height[b]; };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(by_height)> ready(by_height);
    std::size_t finished = 0, running = 0;
    std::exception_ptr failure;
    std::vector<std::string> failures;
    for (std::size_t i = 0; i < n; ++i)
        if (waiting[i] == 0) ready.push(i);

    auto worker = [&] {
        std::unique_lock lock(mutex);
        for (;;) {
            cv.wait(lock, [&] { return !ready.empty() || finished == n || (failure && running == 0); });
            if (finished == n || (failure && ready.empty())) return;
            if (ready.empty()) continue;
            const std::size_t i = ready.top();
            ready.pop();
            const auto& r = desired_[i];
            const auto act = actions.count(r.key) ? actions[r.key] : action::create;
            bool ok = true;
            if (!failure && act != action::none) {
                ++running;
                auto body = resolve_refs(json::value(r.body), state);
                lock.unlock();
                const auto t0 = clock_type::now();
                std::size_t writes = 0, retries = 0;
                std::optional<json::value> result;
                std::string error_text;
                try {
                    if (!body) throw error(error_kind::internal, r.key + ": a referenced value is still unknown after its dependencies were applied");
                    result = put_with_retries(r, *body, writes, retries);
                    if (options_.log) options_.log->info((act == action::create ? "created " : "updated ") + r.key);
                } catch (const std::exception& e) {
                    error_text = r.key + ": " + e.what();
                }
                const double took = ms_since(t0);
                lock.lock();
                --running;
                out.writes += writes;
                out.retries += retries;
                duration[i] = took;
                if (result) {
                    state[r.key] = std::move(*result);
                    out.applied.push_back(r.key);
                } else {
                    ok = false;
                    failures.push_back(error_text);
                    if (!failure) failure = std::make_exception_ptr(error(error_kind::service, error_text));
                }
            }
            ++finished;
            if (ok)
                for (auto d : dependents[i])
                    if (--waiting[d] == 0) ready.push(d);
            cv.notify_all();
        }
    };
    const int threads = std::max(1, options_.threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    if (failure) {
        std::string text = std::to_string(failures.size()) + " resource(s) failed to apply (re-run apply to continue): ";
        for (std::size_t i = 0; i < failures.size() && i < 5; ++i) text += (i ? "; " : "") + failures[i];
        throw error(error_kind::service, text);
    }
    out.wall_ms = ms_since(start);
    std::vector<double> finish(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {  // desired_ is in dependency order
        double before = 0;
        for (const auto& d : desired_[i].depends_on) before = std::max(before, finish[index.at(d)]);
        finish[i] = before + duration[i];
        out.critical_path_ms = std::max(out.critical_path_ms, finish[i]);
        out.serial_sum_ms += duration[i];
    }
    return out;
}

verify_result engine::verify() {
    verify_result out;
    std::vector<const desired_resource*> which;
    for (const auto& r : desired_) which.push_back(&r);
    auto live = fetch(which, nullptr);
    auto add = [&](std::string check, const desired_resource& r, std::string property, std::string expected, std::string actual) {
        const bool ok = http::iequals(expected, actual);
        out.checks.push_back({std::move(check), r.id, std::move(property), std::move(expected), std::move(actual), ok});
    };
    auto prop = [&](const desired_resource& r, std::initializer_list<std::string_view> path) {
        const auto& l = live[r.key];
        return l ? str_at(*l, path) : std::string("(resource missing)");
    };
    std::map<std::string, json::value> state;
    for (auto& [k, v] : live)
        if (v) state[k] = *v;
    for (const auto& r : desired_) {
        const auto& l = live[r.key];
        if (r.kind == "Microsoft.MachineLearningServices/registries") {
            bool found = false;
            if (l)
                if (const auto* ids = l->as_object().if_contains("properties"))
                    if (const auto* s = ids->as_object().if_contains("managedResourceGroupSettings"); s && s->is_object())
                        if (const auto* a = s->as_object().if_contains("assignedIdentities"); a && a->is_array())
                            for (const auto& item : a->as_array())
                                found |= str_at(item, {"principalId"}) == platform_.deployment_principal_id;
            add("registry-preauthorization", r, "properties.managedResourceGroupSettings.assignedIdentities", platform_.deployment_principal_id,
                found ? platform_.deployment_principal_id : (l ? "(not listed)" : "(resource missing)"));
            add("private-only", r, "properties.publicNetworkAccess", "Disabled", prop(r, {"properties", "publicNetworkAccess"}));
        } else if (r.kind == "Microsoft.MachineLearningServices/workspaces/outboundRules") {
            add("outbound-rule", r, "properties.type", "PrivateEndpoint", prop(r, {"properties", "type"}));
            add("outbound-rule", r, "properties.destination.subresourceTarget", "amlregistry",
                prop(r, {"properties", "destination", "subresourceTarget"}));
            add("outbound-rule", r, "properties.destination.serviceResourceId", str_at(json::value(r.body), {"properties", "destination", "serviceResourceId"}),
                prop(r, {"properties", "destination", "serviceResourceId"}));
        } else if (r.kind == "Microsoft.Storage/storageAccounts" || r.kind == "Microsoft.KeyVault/vaults" ||
                   r.kind == "Microsoft.ContainerRegistry/registries") {
            add("private-only", r, "properties.publicNetworkAccess", "Disabled", prop(r, {"properties", "publicNetworkAccess"}));
        } else if (r.kind == "Microsoft.MachineLearningServices/workspaces") {
            add("private-only", r, "properties.publicNetworkAccess", "Disabled", prop(r, {"properties", "publicNetworkAccess"}));
            add("managed-network", r, "properties.managedNetwork.isolationMode", "AllowOnlyApprovedOutbound",
                prop(r, {"properties", "managedNetwork", "isolationMode"}));
        } else if (r.kind == "Microsoft.Authorization/roleAssignments" && r.id.find("/registries/") != std::string::npos) {
            auto desired = resolve_refs(json::value(r.body), state);
            add("registry-rbac", r, "properties.roleDefinitionId", str_at(json::value(r.body), {"properties", "roleDefinitionId"}),
                prop(r, {"properties", "roleDefinitionId"}));
            add("registry-rbac", r, "properties.principalId", desired ? str_at(*desired, {"properties", "principalId"}) : "(principal missing)",
                prop(r, {"properties", "principalId"}));
        } else if (r.kind == "Microsoft.Network/privateDnsZones/virtualNetworkLinks") {
            add("dns-link", r, "properties.virtualNetwork.id", str_at(json::value(r.body), {"properties", "virtualNetwork", "id"}),
                prop(r, {"properties", "virtualNetwork", "id"}));
        }
    }
    return out;
}

destroy_result engine::destroy(bool include_shared) {
    destroy_result out;
    // Only tracked resources and role assignments are deleted one by one; children go with their parent.
    std::vector<const desired_resource*> targets;
    for (const auto& r : desired_)
        if (r.taggable || r.kind == "Microsoft.Authorization/roleAssignments") targets.push_back(&r);
    for (const auto& r : retired_) targets.push_back(&r);
    auto live = fetch(targets, nullptr);
    std::set<std::string> to_delete;
    for (const auto* r : targets) {
        const auto& l = live[r->key];
        const bool shared = r->shared || (r->kind == "Microsoft.Authorization/roleAssignments" && r->depends_on.front() == "shared/rg/dns");
        if (!l) out.absent.push_back(r->key);
        else if (shared && !include_shared) out.kept_shared.push_back(r->key);
        else if (!owned(*r, *l)) out.not_owned.push_back(r->key);
        else to_delete.insert(r->key);
    }
    // A resource group still holding a resource that is not the platform's stays (deleting the
    // group would delete that resource with it).
    const auto foreign_keys = out.not_owned;
    for (const auto& foreign : foreign_keys) {
        const auto* f = std::find_if(targets.begin(), targets.end(), [&](const auto* r) { return r->key == foreign; })[0];
        for (const auto* r : targets)
            if (r->kind == "Microsoft.Resources/resourceGroups" && http::iequals(f->id.substr(0, r->id.size() + 1), r->id + "/") &&
                to_delete.erase(r->key))
                out.not_owned.push_back(r->key + " (holds " + foreign + ")");
    }
    // Reverse dependency order: a resource goes once nothing that depends on it remains.
    std::map<std::string, std::set<std::string>> blockers;  // key -> dependents still to delete
    std::map<std::string, const desired_resource*> by_key;
    for (const auto& r : desired_) by_key[r.key] = &r;
    for (const auto& r : retired_) by_key[r.key] = &r;
    // Dependencies through children (a zone group depends on a zone) count for their parent.
    std::map<std::string, std::string> owner_of;  // child key -> deletable ancestor key
    std::function<std::string(const std::string&)> deletable = [&](const std::string& k) -> std::string {
        if (to_delete.count(k)) return k;
        const auto* r = by_key.count(k) ? by_key[k] : nullptr;
        if (!r || r->taggable || r->depends_on.empty()) return "";
        return deletable(r->depends_on.front());
    };
    for (const auto& [k, r] : by_key) {
        const auto self = deletable(k);
        // A peering ties the two VNets both ways; deleting either VNet removes it, so it orders nothing.
        if (self.empty() || r->kind == "Microsoft.Network/virtualNetworks/virtualNetworkPeerings") continue;
        for (const auto& d : r->depends_on) {
            const auto target = deletable(d);
            if (!target.empty() && target != self) blockers[target].insert(self);
        }
    }
    std::set<std::string> remaining = to_delete;
    while (!remaining.empty()) {
        std::vector<std::string> wave;
        for (const auto& k : remaining) {
            bool free = true;
            for (const auto& b : blockers[k]) free &= !remaining.count(b);
            if (free) wave.push_back(k);
        }
        if (wave.empty()) throw error(error_kind::internal, "destroy: dependency cycle among the remaining resources");
        parallel_for(wave.size(), options_.threads, [&](std::size_t i) {
            client_.remove(arm::parse_resource_id(by_key[wave[i]]->id));
            if (options_.log) options_.log->info("deleted " + wave[i]);
        });
        out.writes += wave.size();
        for (const auto& k : wave) {
            remaining.erase(k);
            out.deleted.push_back(k);
        }
    }
    return out;
}

std::string engine::graph_dot() const {
    std::string out = "digraph platform {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n";
    for (const auto& r : desired_) {
        out += "  \"" + r.key + "\" [label=\"" + r.key + "\\n" + r.kind + "\"];\n";
        for (const auto& d : r.depends_on) out += "  \"" + d + "\" -> \"" + r.key + "\";\n";
    }
    return out + "}\n";
}

std::string engine::graph_mermaid() const {
    std::map<std::string, std::string> ids;
    for (std::size_t i = 0; i < desired_.size(); ++i) ids[desired_[i].key] = "n" + std::to_string(i);
    std::string out = "flowchart LR\n";
    for (const auto& r : desired_) {
        std::string label = r.key;
        std::replace(label.begin(), label.end(), '"', '\'');
        out += "  " + ids[r.key] + "[\"" + label + "\"]\n";
    }
    for (const auto& r : desired_)
        for (const auto& d : r.depends_on) out += "  " + ids[d] + " --> " + ids[r.key] + "\n";
    return out;
}

}  // namespace amlops::provision
