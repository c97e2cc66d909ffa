#pragma once
// The release rules of the original workflow (docs/RELEASE.md) as pure functions: which slot a
// new model goes to, the traffic while it is smoke-tested, and the traffic after it passed.
// Deployment names are matched case-insensitively, as Azure ML does.

#include "amlops/core/json.hpp"

#include <map>
#include <string>
#include <string_view>

namespace amlops::deploy {

/// Live (or mirror) traffic of an endpoint: deployment name -> whole percent (0..100).
/// Ordered by name so that results and JSON are deterministic.
using traffic_map = std::map<std::string, int>;

/// The routing state of an endpoint: live traffic and mirrored traffic.
struct endpoint_traffic {
    traffic_map traffic;  ///< live split; sums to 100, or to 0 when nothing is routed
    traffic_map mirror;   ///< copies sent to other deployments; sums to at most 50
    friend bool operator==(const endpoint_traffic&, const endpoint_traffic&) = default;
};

/// The two slots of a blue/green endpoint.
struct slot_names {
    std::string default_slot = "blue";
    std::string alternate_slot = "green";
};

/// Lower-case ASCII copy, the key deployment names are compared by.
std::string fold_case(std::string_view name);

/// Sum of the weights.
int total(const traffic_map& t) noexcept;

/// The entry of `t` whose name equals `name` case-insensitively, or t.end().
traffic_map::const_iterator find_slot(const traffic_map& t, std::string_view name);

/// Chooses the slot for a new deployment (the original's rule):
///   no traffic (empty or all 0)  -> the default slot;
///   default slot absent          -> the default slot;
///   alternate slot absent        -> the alternate slot;
///   else the slot with the lowest weight; ties prefer the alternate, then the default, then
///   the first name in order.
/// Names are compared case-insensitively: `{Blue:10, GREEN:90}` -> "blue". The default and
/// alternate slots are returned as spelled in `names`; any other slot as spelled in `t`.
std::string choose_slot(const traffic_map& t, const slot_names& names = {});

/// Traffic while a new deployment in `slot` is smoke-tested: when `previous` routes nothing,
/// `slot` gets 100% (and every other entry 0); otherwise `previous` unchanged with `slot` at 0
/// (an existing entry of the slot keeps its spelling). Call drain() first when the slot had
/// traffic.
traffic_map initial_traffic(const traffic_map& previous, std::string_view slot);

/// `previous` with `slot` set to 0 and its share given to the largest other entry, so that the
/// slot can be replaced without live requests reaching the untested model. Also returns the
/// mirror without the slot. Unchanged when the slot carries nothing.
endpoint_traffic drain(const endpoint_traffic& previous, std::string_view slot);

/// Traffic after the new deployment in `slot` passed its smoke test (the original's rule):
/// `slot` gets `share` percent and the other slots share the remaining 100 - share in
/// proportion to their previous weights, each rounded half-to-even (Python's round(), which
/// the original uses); the sum is then normalised to 100 by adjusting the largest entry
/// (ties: an old slot before the new one, then name order). The slot's own previous weight is
/// not part of "the other slots" (the original counted it in the denominator, which left its
/// share to the normalisation step). When the other slots had no traffic, `slot` gets 100.
/// Throws error(usage) unless 0 < share <= 100.
traffic_map promote_traffic(const traffic_map& previous, std::string_view slot, int share = 30);

/// Adds 100 - total(t) to the largest entry (ties: name order, unless `avoid` names a tied
/// entry, which then comes last). No-op for an empty map or a total of 100.
void normalise(traffic_map& t, std::string_view avoid = {});

/// Azure's rules: every value 0..100; live traffic sums to 100 (or every entry is 0: nothing
/// routed); mirror sums to at most 50 and names no deployment that is missing from the live
/// map. Throws error(bad_input) naming the rule that is broken and the values.
void validate(const endpoint_traffic& t);

/// {"blue": 70, ...} as a JSON object (name order).
json::object to_json(const traffic_map& t);

/// "blue=70,green=30" (name order; "{}" when empty), for logs and error messages.
std::string to_string(const traffic_map& t);

}  // namespace amlops::deploy
