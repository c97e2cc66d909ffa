#include "amlops/deploy/traffic.hpp"

#include "amlops/core/error.hpp"

#include <cmath>

namespace amlops::deploy {

std::string fold_case(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

int total(const traffic_map& t) noexcept {
    int sum = 0;
    for (const auto& [name, weight] : t) sum += weight;
    return sum;
}

traffic_map::const_iterator find_slot(const traffic_map& t, std::string_view name) {
    const std::string key = fold_case(name);
    for (auto it = t.begin(); it != t.end(); ++it)
        if (fold_case(it->first) == key) return it;
    return t.end();
}

std::string choose_slot(const traffic_map& t, const slot_names& names) {
    if (total(t) == 0) return names.default_slot;
    const auto def = find_slot(t, names.default_slot);
    if (def == t.end()) return names.default_slot;
    const auto alt = find_slot(t, names.alternate_slot);
    if (alt == t.end()) return names.alternate_slot;
    // Lowest weight; visiting the alternate, then the default, then the rest in name order and
    // replacing only on a strictly lower weight gives exactly the tie order of the rule.
    std::string best = names.alternate_slot;
    int best_weight = alt->second;
    if (def->second < best_weight) {
        best = names.default_slot;
        best_weight = def->second;
    }
    for (auto it = t.begin(); it != t.end(); ++it) {
        if (it == def || it == alt) continue;
        if (it->second < best_weight) {
            best = it->first;
            best_weight = it->second;
        }
    }
    return best;
}

traffic_map initial_traffic(const traffic_map& previous, std::string_view slot) {
    traffic_map out = previous;
    const auto existing = find_slot(out, slot);
    const std::string key = existing != out.end() ? existing->first : std::string(slot);
    if (total(previous) == 0) {
        for (auto& [name, weight] : out) weight = 0;
        out[key] = 100;
    } else {
        out[key] = 0;
    }
    return out;
}

void normalise(traffic_map& t, std::string_view avoid) {
    if (t.empty()) return;
    const int diff = 100 - total(t);
    if (diff == 0) return;
    const std::string avoid_key = fold_case(avoid);
    traffic_map::iterator largest = t.end();
    for (auto it = t.begin(); it != t.end(); ++it) {
        if (largest == t.end() || it->second > largest->second) {
            largest = it;
        } else if (it->second == largest->second && !avoid.empty() && fold_case(largest->first) == avoid_key) {
            largest = it;  // a tie with the avoided entry goes to the other one
        }
    }
    largest->second += diff;
}

endpoint_traffic drain(const endpoint_traffic& previous, std::string_view slot) {
    endpoint_traffic out = previous;
    if (const auto m = find_slot(out.mirror, slot); m != out.mirror.end()) out.mirror.erase(m);
    const auto it = find_slot(out.traffic, slot);
    if (it == out.traffic.end() || it->second == 0) return out;
    const std::string key = it->first;
    out.traffic[key] = 0;
    if (total(out.traffic) == 0) {
        // The slot carried everything: nothing else can take its share, so routing stops while it
        // is replaced (the server answers 503 without a deployment header) rather than sending
        // live requests to an untested model.
        return out;
    }
    normalise(out.traffic, key);
    return out;
}

namespace {

/// Python 3's round(): to nearest, halves to even.
int round_half_even(double x) {
    const double lower = std::floor(x);
    const double frac = x - lower;
    double r = lower;
    if (frac > 0.5) {
        r = lower + 1;
    } else if (frac == 0.5) {
        r = std::fmod(lower, 2.0) == 0.0 ? lower : lower + 1;
    }
    return static_cast<int>(r);
}

}  // namespace

traffic_map promote_traffic(const traffic_map& previous, std::string_view slot, int share) {
    if (share <= 0 || share > 100)
        throw error(error_kind::usage, "the new deployment's traffic must be 1..100 percent, got " + std::to_string(share))
            .on_field("traffic");
    const std::string slot_key = fold_case(slot);
    traffic_map out;
    int others = 0;
    std::string new_key(slot);
    for (const auto& [name, weight] : previous) {
        if (fold_case(name) == slot_key) {
            new_key = name;  // keep the endpoint's spelling of the slot
            continue;
        }
        others += weight;
    }
    if (others == 0) {
        for (const auto& [name, weight] : previous) out[name] = 0;
        out[new_key] = 100;
        return out;
    }
    const int remaining = 100 - share;
    for (const auto& [name, weight] : previous) {
        if (fold_case(name) == slot_key) continue;
        out[name] = round_half_even(static_cast<double>(remaining) * weight / others);
    }
    out[new_key] = share;
    normalise(out, new_key);
    return out;
}

void validate(const endpoint_traffic& t) {
    const auto check_range = [](const traffic_map& m, const char* what) {
        for (const auto& [name, weight] : m)
            if (weight < 0 || weight > 100)
                throw error(error_kind::bad_input, std::string(what) + " of '" + name + "' must be 0..100, got " + std::to_string(weight))
                    .on_field(what);
    };
    check_range(t.traffic, "traffic");
    check_range(t.mirror, "mirror_traffic");
    const int live = total(t.traffic);
    if (live != 100 && live != 0)
        throw error(error_kind::bad_input, "traffic must sum to 100, got " + std::to_string(live) + " (" + to_string(t.traffic) + ")")
            .on_field("traffic");
    const int mirrored = total(t.mirror);
    if (mirrored > 50)
        throw error(error_kind::bad_input, "mirror traffic must sum to at most 50, got " + std::to_string(mirrored) + " (" +
                                               to_string(t.mirror) + ")")
            .on_field("mirror_traffic");
    for (const auto& [name, weight] : t.mirror)
        if (find_slot(t.traffic, name) == t.traffic.end())
            throw error(error_kind::bad_input, "mirror traffic names '" + name + "', which is not a deployment of the endpoint")
                .on_field("mirror_traffic");
}

json::object to_json(const traffic_map& t) {
    json::object o;
    for (const auto& [name, weight] : t) o[name] = weight;
    return o;
}

std::string to_string(const traffic_map& t) {
    if (t.empty()) return "{}";
    std::string out;
    for (const auto& [name, weight] : t) {
        if (!out.empty()) out += ',';
        out.append(name).append("=").append(std::to_string(weight));
    }
    return out;
}

}  // namespace amlops::deploy
