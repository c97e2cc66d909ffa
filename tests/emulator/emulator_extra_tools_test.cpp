// aml-train, aml-score and aml-compare with MLFLOW_TRACKING_URI pointing at the emulator's Azure
// ML tracking endpoint: the params and metrics they print are the ones stored in the MLflow run.
#include "emulator.hpp"
#include "emulator_clients.hpp"

#include "amlops/arm/resource_id.hpp"
#include "amlops/tracking/mlflow.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "tools-Secret-Value-321";

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

/// Stored data of an MLflow run as maps: metric key -> latest value, param/tag key -> value.
struct stored_run {
    std::map<std::string, double> metrics;
    std::map<std::string, std::string> params, tags;
    std::string status;
};

stored_run read_run(tracking::client& c, const std::string& run_id) {
    const auto run = c.get_run(run_id);
    stored_run out;
    out.status = std::string(run.at("info").at("status").as_string());
    const auto& data = run.at("data").as_object();
    for (const auto& m : data.at("metrics").as_array()) out.metrics[std::string(m.at("key").as_string())] = m.at("value").to_number<double>();
    for (const auto& p : data.at("params").as_array()) out.params[std::string(p.at("key").as_string())] = std::string(p.at("value").as_string());
    for (const auto& t : data.at("tags").as_array()) out.tags[std::string(t.at("key").as_string())] = std::string(t.at("value").as_string());
    return out;
}

}  // namespace

TEST_CASE("train, score and compare log their params and metrics to the Azure ML MLflow endpoint of the emulator") {
    emulator::options eo;
    eo.client_secret = secret;
    emulator::emulator emu(eo);

    // Control plane: resource group + workspace, and a client of the tracking API for assertions.
    const auto credential = test::emulator_credential(emu, secret);
    auto arm_c = test::emulator_arm_client(emu, credential);
    auto pipe = test::emulator_pipeline(emu, credential);
    arm_c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
    arm_c.put(arm::workspace_id("sub-1", "rg-ml", "ws-ml"), json::object{{"location", "westeurope"}});
    const std::string tracking_uri =
        emu.base_url() + "/mlflow/v1.0/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-ml";
    tracking::client mlflow(pipe, tracking_uri);

    // Azure ML compute: the token comes from the compute's MSI endpoint.
    const std::vector<std::string> compute_env{"MLFLOW_TRACKING_URI=" + tracking_uri, "MSI_ENDPOINT=" + emu.base_url() + "/msi/token",
                                               "MSI_SECRET=emulator-msi-secret", "DEFAULT_IDENTITY_CLIENT_ID=emulator-mi-client",
                                               "AZURE_RESOURCE_MANAGER_ENDPOINT=" + emu.base_url() + "/", "OMP_WAIT_POLICY=PASSIVE"};

    test::scratch_dir dir("emulator-mlflow-tools");
    REQUIRE(test::run_tool("aml-datagen", {"--output", (dir / "raw").string(), "--rows", "1500", "--seed", "11"}).exit_code == 0);
    const auto prep = test::run_tool("aml-transform", {"--output", (dir / "prep").string(), (dir / "raw").string()});
    INFO(prep.out << prep.err);
    REQUIRE(prep.exit_code == 0);
    const std::string train_csv = (dir / "prep" / "train.csv").string(), test_csv = (dir / "prep" / "test.csv").string();

    // aml-train without a run id: a run is created in experiment MLFLOW_EXPERIMENT_NAME.
    auto env = compute_env;
    env.push_back("MLFLOW_EXPERIMENT_NAME=taxi-fare");
    const auto train = test::run_tool("aml-train", {"--train", train_csv, "--test", test_csv, "--output", (dir / "model").string(),
                                                    "--nthread", "1", "--n-estimators", "20", "--max-depth", "4"}, env);
    INFO(train.out << train.err);
    REQUIRE(train.exit_code == 0);
    const auto tr = result_of(train);
    const auto& tr_ml = tr.at("mlflow").as_object();
    REQUIRE(tr_ml.at("status").as_string() == "logged");
    const auto train_run = read_run(mlflow, std::string(tr_ml.at("run_id").as_string()));
    CHECK(train_run.status == "FINISHED");
    CHECK(train_run.params.at("n_estimators") == "20");
    CHECK(train_run.params.at("max_depth") == "4");
    CHECK(train_run.metrics.at("test.rmse") == Approx(tr.at("test").at("rmse").to_number<double>()).epsilon(1e-12));
    CHECK(train_run.metrics.at("train.mae") == Approx(tr.at("train").at("mae").to_number<double>()).epsilon(1e-12));
    CHECK(train_run.metrics.at("trees") == tr.at("trees").to_number<double>());
    CHECK(train_run.tags.at("amlops.tool") == "aml-train");

    // aml-score into an existing run (MLFLOW_RUN_ID) with the token Azure ML hands the job.
    const auto score_run_id = mlflow.create_run("0", 1, "score", {});
    env = compute_env;
    env.push_back("MLFLOW_RUN_ID=" + score_run_id);
    env.push_back("MLFLOW_TRACKING_TOKEN=" + credential->get_token(emu.base_url() + "/.default").token);
    const auto score = test::run_tool("aml-score", {"--model", (dir / "model").string(), "--data", test_csv, "--output", (dir / "scored").string()}, env);
    INFO(score.out << score.err);
    REQUIRE(score.exit_code == 0);
    const auto sr = result_of(score);
    CHECK(sr.at("mlflow").at("run_id").as_string() == score_run_id);
    const auto scored = read_run(mlflow, score_run_id);
    CHECK(scored.status == "RUNNING");  // not ours to finish
    CHECK(scored.metrics.at("score.rmse") == Approx(sr.at("metrics").at("rmse").to_number<double>()).epsilon(1e-12));
    CHECK(scored.metrics.at("score.rows") == sr.at("rows").to_number<double>());

    // aml-compare on Azure ML compute: the job's run is AZUREML_RUN_ID.
    const auto compare_run_id = mlflow.create_run("0", 1, "compare", {});
    test::write_text(dir / "gate.yaml", "primary_metric: rmse\nmin_relative_improvement: 0\nmax_rmse: 1000\n");
    env = compute_env;
    env.push_back("AZUREML_RUN_ID=" + compare_run_id);
    const auto cmp = test::run_tool("aml-compare", {"--candidate", (dir / "model").string(), "--test", test_csv, "--policy",
                                                    (dir / "gate.yaml").string(), "--output", (dir / "gate").string()}, env);
    INFO(cmp.out << cmp.err);
    REQUIRE(cmp.exit_code == 0);
    const auto cr = result_of(cmp);
    const auto compared = read_run(mlflow, compare_run_id);
    CHECK(compared.metrics.at("approved") == 1.0);
    CHECK(compared.metrics.at("candidate.rmse") == Approx(cr.at("metrics").at("candidate").at("rmse").to_number<double>()).epsilon(1e-12));
    CHECK(compared.params.at("policy.primary_metric") == "rmse");
    CHECK(compared.params.at("policy.max_rmse") == "1000");
    CHECK(compared.tags.at("amlops.decision") == "approve");
}

TEST_CASE("a misconfigured tracking URI is a visible warning, not a silent skip, AMLOPS_MLFLOW_REQUIRED=1 makes it fail") {
    emulator::options eo;
    eo.client_secret = secret;
    emulator::emulator emu(eo);
    test::scratch_dir dir("emulator-mlflow-bad");
    REQUIRE(test::run_tool("aml-datagen", {"--output", (dir / "raw").string(), "--rows", "600", "--seed", "3"}).exit_code == 0);
    REQUIRE(test::run_tool("aml-transform", {"--output", (dir / "prep").string(), (dir / "raw").string()}).exit_code == 0);
    const std::string test_csv = (dir / "prep" / "test.csv").string();
    REQUIRE(test::run_tool("aml-train", {"--train", (dir / "prep" / "train.csv").string(), "--output", (dir / "model").string(),
                                         "--nthread", "1", "--n-estimators", "5"}).exit_code == 0);
    // The workspace does not exist in the emulator.
    const std::vector<std::string> env{
        "MLFLOW_TRACKING_URI=" + emu.base_url() + "/mlflow/v1.0/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/missing",
        "MLFLOW_TRACKING_TOKEN=whatever", "MLFLOW_RUN_ID=r1"};
    const auto score = test::run_tool("aml-score", {"--model", (dir / "model").string(), "--data", test_csv, "--output", (dir / "scored").string()}, env);
    INFO(score.out << score.err);
    CHECK(score.exit_code == 0);
    CHECK(fs::exists(dir / "scored" / "predictions.csv"));
    CHECK_THAT(score.err, Contains("MLflow logging failed"));
    const auto r = result_of(score);
    CHECK(r.at("mlflow").at("status").as_string() == "failed");
    CHECK_THAT(std::string(r.at("mlflow").at("error").as_string()), Contains("404"));
    CHECK_THAT(score.out + score.err, !Contains("whatever"));  // the token is never printed

    auto strict = env;
    strict.push_back("AMLOPS_MLFLOW_REQUIRED=1");
    const auto failing = test::run_tool("aml-score", {"--model", (dir / "model").string(), "--data", test_csv, "--output", (dir / "scored2").string()}, strict);
    CHECK(failing.exit_code == 1);
    CHECK(fs::exists(dir / "scored2" / "predictions.csv"));  // outputs stay written

    const auto local = test::run_tool("aml-score", {"--model", (dir / "model").string(), "--data", test_csv, "--output", (dir / "scored3").string()},
                                      {"MLFLOW_TRACKING_URI=file:///tmp/mlruns"});
    CHECK(local.exit_code == 0);
    CHECK_THAT(local.err, Contains("not an azureml:// or http(s)://"));
}
