// Classification metrics on hand-checked small cases, and the fare-class labels (deciles of the
// training rows' cost) on generated data with hand-computed boundaries.
#include "amlops/core/error.hpp"
#include "amlops/metrics/classification.hpp"
#include "amlops/metrics/fare_classes.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace amlops;
using Catch::Detail::Approx;

namespace {
const std::vector<std::string> abc{"A", "B", "C"};
}

TEST_CASE("accuracy, confusion matrix and log-loss of a three-class case computed by hand") {
    // Rows: actual A, A, B, C; predicted (argmax) A, B, B, C.
    const std::vector<double> actual{0, 0, 1, 2};
    const std::vector<float> p{0.7f, 0.2f, 0.1f,   // A: right, p(actual) 0.7
                               0.3f, 0.6f, 0.1f,   // A: predicted B, p(actual) 0.3
                               0.1f, 0.8f, 0.1f,   // B: right, 0.8
                               0.2f, 0.2f, 0.6f};  // C: right, 0.6
    const auto s = metrics::summarize_classes(actual, p, abc);
    CHECK(s.n == 4);
    CHECK(s.accuracy == Approx(0.75));
    CHECK(s.confusion == std::vector<std::vector<std::size_t>>{{1, 1, 0}, {0, 1, 0}, {0, 0, 1}});
    // F1: A = 2*1/(2+1+0)... per class 2TP/(actual+predicted): A 2/3, B 2/3, C 1.
    CHECK(s.macro_f1 == Approx((2.0 / 3 + 2.0 / 3 + 1.0) / 3));
    const double ll = -(std::log(0.7) + std::log(0.3) + std::log(0.8) + std::log(0.6)) / 4;
    CHECK(s.log_loss == Approx(ll).epsilon(1e-6));  // float inputs: 1e-6 relative
    const auto j = metrics::to_json(s);
    CHECK(j.at("confusion_matrix").at("labels").as_array().size() == 3);
    CHECK(j.at("confusion_matrix").at("rows").as_string() == "actual");
}

TEST_CASE("macro-F1 leaves out a class that is neither present nor predicted, and counts a predicted-only one as 0") {
    // Class C never occurs and is never predicted: F1 over A and B only.
    const std::vector<double> actual{0, 1, 1};
    const std::vector<float> p{0.9f, 0.1f, 0.0f, 0.2f, 0.8f, 0.0f, 0.6f, 0.4f, 0.0f};
    auto s = metrics::summarize_classes(actual, p, abc);
    // A: TP 1, actual 1, predicted 2 -> 2/3. B: TP 1, actual 2, predicted 1 -> 2/3.
    CHECK(s.macro_f1 == Approx(2.0 / 3));
    // Now the last row is predicted C (absent from actual): C's F1 is 0 and counts.
    const std::vector<float> q{0.9f, 0.1f, 0.0f, 0.2f, 0.8f, 0.0f, 0.1f, 0.2f, 0.7f};
    s = metrics::summarize_classes(actual, q, abc);
    // A: 2*1/(1+1) = 1; B: 2*1/(2+1) = 2/3; C: 0.
    CHECK(s.macro_f1 == Approx((1.0 + 2.0 / 3 + 0.0) / 3));
}

TEST_CASE("log-loss clips a zero probability of the actual class to 1e-15") {
    const std::vector<double> actual{0, 1};
    const std::vector<float> p{0.0f, 1.0f, 0.0f, 1.0f};  // row 0: p(A) = 0 -> clipped; row 1: p(B) = 1 -> 1 - 1e-15
    const auto s = metrics::summarize_classes(actual, p, {"A", "B"});
    CHECK(s.log_loss == Approx((-std::log(1e-15) - std::log(1 - 1e-15)) / 2));
    CHECK(std::isfinite(s.log_loss));
    CHECK(s.accuracy == Approx(0.5));
}

TEST_CASE("argmax takes the first class on ties, and bad shapes and classes are bad input") {
    CHECK(metrics::argmax_rows(std::vector<float>{0.5f, 0.5f, 0.2f, 0.8f}, 2) == std::vector<std::size_t>{0, 1});
    CHECK(test::error_of([] { metrics::summarize_classes(std::vector<double>{0}, std::vector<float>{1.0f}, {"A", "B"}); }).kind() ==
          error_kind::bad_input);
    CHECK(test::error_of([] { metrics::summarize_classes(std::vector<double>{2}, std::vector<float>{0.5f, 0.5f}, {"A", "B"}); }).kind() ==
          error_kind::bad_input);
    CHECK(test::error_of([] { metrics::summarize_classes({}, {}, {"A", "B"}); }).kind() == error_kind::bad_input);
    CHECK(test::error_of([] { metrics::summarize_classes(std::vector<double>{0}, std::vector<float>{NAN, 0.5f}, {"A", "B"}); }).kind() ==
          error_kind::bad_input);
}

TEST_CASE("fare deciles of 1..21: boundaries by linear interpolation, classes closed on the right") {
    // Costs 1, 2, ..., 21: n = 21, the quantile at k/10 sits at position 2k, i.e. the value 2k + 1.
    std::vector<double> cost;
    for (int i = 21; i >= 1; --i) cost.push_back(i);  // unsorted input on purpose
    const auto c = metrics::fare_classes::deciles(cost);
    CHECK(c.boundaries() == std::vector<double>{3, 5, 7, 9, 11, 13, 15, 17, 19});
    CHECK(c.labels().front() == "A");
    CHECK(c.labels().back() == "J");
    CHECK(c.classify(1) == 0);
    CHECK(c.classify(3) == 0);        // equal to the first boundary: the lower class
    CHECK(c.classify(3.0001) == 1);
    CHECK(c.classify(19) == 8);
    CHECK(c.classify(19.5) == 9);
    CHECK(c.classify(-5) == 0);      // below the training minimum
    CHECK(c.classify(1000) == 9);    // above the maximum
    CHECK(test::error_of([&] { (void)c.classify(NAN); }).kind() == error_kind::bad_input);
}

TEST_CASE("fare deciles interpolate between order statistics and accept ties (empty classes)") {
    // n = 12: position (n-1)k/10 = 1.1k. k = 1: between v1 = 20 and v2 = 30 at 0.1 -> 21.
    std::vector<double> cost{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
    const auto c = metrics::fare_classes::deciles(cost);
    CHECK(c.boundaries()[0] == Approx(21));
    CHECK(c.boundaries()[4] == Approx(65));  // position 5.5: halfway between 60 and 70
    CHECK(c.boundaries()[8] == Approx(109));  // position 9.9: 100 + 0.9 * 10
    const std::vector<double> flat(50, 7.5);
    const auto t = metrics::fare_classes::deciles(flat);
    CHECK(t.classify(7.5) == 0);  // every boundary is 7.5: all trips are A, B..J empty
    CHECK(t.classify(8) == 9);
}

TEST_CASE("fare classes round-trip through JSON, and a malformed file names the field") {
    const auto c = metrics::fare_classes::deciles(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    const auto back = metrics::fare_classes::from_json(c.to_json(), "fare_classes.json");
    CHECK(back.boundaries() == c.boundaries());
    CHECK(back.labels() == c.labels());
    auto doc = c.to_json();
    doc["boundaries"].as_array().pop_back();
    auto e = test::error_of([&] { metrics::fare_classes::from_json(doc, "f.json"); });
    CHECK(e.kind() == error_kind::bad_input);
    CHECK(e.context().field == "boundaries");
    doc = c.to_json();
    doc["labels"].as_array()[0] = "\"x";
    CHECK(test::error_of([&] { metrics::fare_classes::from_json(doc, "f.json"); }).context().field == "labels");
}
