#pragma once
// Reads the parts of an xgboost JSON model (model_format json) that amlops itself uses, in one
// streaming pass and without building a document: a 200-tree model is ~5 MB of JSON, whose
// Boost.JSON document costs more (allocations, page faults) than everything else a scoring run
// does at start. Arrays amlops does not read (base_weights, loss_changes, sum_hessian, ...) are
// only scanned.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::model {

/// One tree's arrays, as written ("learner.gradient_booster.model.trees[i]").
struct xgboost_tree_fields {
    bool is_object = false;
    bool has_left = false, has_right = false, has_conditions = false, has_indices = false, has_default_left = false;
    std::vector<std::int64_t> left, right, split_index, default_left, split_type;
    /// Each read from its decimal text as float, as xgboost's reader does.
    std::vector<float> split_condition;
    std::string size_leaf_vector;  ///< "tree_param.size_leaf_vector" as text; empty when absent
    bool malformed = false;        ///< a value of the wrong kind inside one of the arrays
};

/// The fields amlops reads. Scalars keep their text (xgboost writes most of them as strings,
/// "5E-1"), whether written as a string or as a number; empty when absent.
struct xgboost_model_fields {
    // The document's shape (require_xgboost_json's checks).
    bool learner = false, learner_model_param = false, gradient_booster = false, version = false;
    bool objective_object = false, booster_model = false, gbtree_model_param = false, trees_array = false;
    std::string objective;  ///< learner.objective.name
    std::string booster;    ///< learner.gradient_booster.name
    std::string num_feature, base_score, num_class, num_target;  ///< learner.learner_model_param
    std::string num_parallel_tree;                               ///< ...model.gbtree_model_param
    std::vector<xgboost_tree_fields> trees;
};

/// Reads `bytes`; throws error(bad_input) naming `origin` when it is not JSON (with the line of
/// the syntax error) or not shaped like an xgboost model (see require_xgboost_json).
xgboost_model_fields read_xgboost_json(std::string_view bytes, const std::string& origin);

}  // namespace amlops::model
