#pragma once
// The admin API of `aml-predict serve`: the contract between the scoring server and its clients
// (aml-deploy, tests). It is modelled on the Azure ML online-endpoint operations so that a local
// endpoint and an Azure one can sit behind the same client interface.
//
// ACCESS
//   Admin routes (everything under /admin/) are served only when
//     - the server runs with --key-file and the request carries `Authorization: Bearer <key>`
//       (the same key as the scoring routes; compared in constant time), from any peer; or
//     - the server runs without --key-file and the peer address is loopback (127.0.0.0/8, ::1).
//   Otherwise: 401 (key configured, missing or wrong) or 403 (no key, non-loopback peer).
//
// ERRORS (every route, scoring routes too)
//   Non-2xx responses carry `Content-Type: application/json` and the body
//     {"error": {"status": <int>, "message": "<what is wrong, naming the field/deployment>"}}
//   and every response echoes `x-request-id` (generated when the request has none).
//
// ROUTES
//   GET /admin/deployments
//     200 {"deployments": [ <deployment>... ]}   (sorted by name)
//     <deployment> = {"name": "blue", "model": "<source as given: registry URI or folder>",
//                     "model_name": "<registry model name or folder name>",
//                     "model_version": "<registry version, or \"\" for a folder>",
//                     "input_columns": ["trip_distance", ...],
//                     "traffic": <int live %>, "mirror_traffic": <int mirror %>}
//
//   PUT /admin/deployments/{name}      body {"model": "<registry URI | model folder>"}
//     Loads the model (synchronously: the response is sent once it is ready to serve) and creates
//     the deployment, or replaces the model of an existing one atomically (requests in flight
//     finish on the old model; none fail). Traffic is NOT changed: a new deployment starts at 0%
//     (set traffic with PUT /admin/traffic). `name` follows Azure deployment naming: 3-32 chars of
//     letters, digits and '-', starting with a letter (case preserved, matched case-insensitively).
//     200 <deployment>        (201 when the deployment was created)
//     400 bad body / bad name / model folder or URI invalid;  404 model folder or version not
//     found;  500 the model could not be loaded for another reason.
//
//   DELETE /admin/deployments/{name}
//     Unloads a deployment once its in-flight requests finish (none fail).
//     200 {"deleted": "<name>"};  404 unknown deployment;
//     409 the deployment still has live or mirror traffic (Azure refuses this too: set its
//         traffic to 0 first).
//
//   GET /admin/traffic
//     200 {"traffic": {"blue": 70, "green": 30}, "mirror_traffic": {"green": 10}}
//     (every loaded deployment appears in "traffic", 0 included; "mirror_traffic" lists only
//      non-zero entries)
//
//   PUT /admin/traffic   body {"traffic": {...}, "mirror_traffic": {...}}   ("mirror_traffic"
//     optional: absent = unchanged; {} = none)
//     Azure's rules: values are integers 0..100; "traffic" names only loaded deployments
//     (deployments not named get 0) and sums to exactly 100 (or to 0 when all entries are 0,
//     which stops routing: scoring requests without a deployment header then get 503);
//     "mirror_traffic" names only loaded deployments and sums to at most 50.
//     Applied atomically; the previous traffic is kept in the state file.
//     200 {"traffic": {...}, "mirror_traffic": {...}}  (the new state, same shape as GET)
//     400 a rule is broken (message names it);  404 an unknown deployment name.
//
// SCORING ROUTING (for reference)
//   A scoring request with header `azureml-model-deployment: <name>` goes to that deployment
//   regardless of traffic (404 if unknown). Otherwise a deployment is drawn with the live traffic
//   weights; with probability mirror% a copy is also sent to each mirror deployment (the copy's
//   result and errors are discarded; it never delays the response). Each response carries
//   `azureml-model-deployment: <name>` naming the deployment that answered.
//
// STATE FILE (--state-file, default <none>)
//   After every successful PUT/DELETE the server writes (atomically) the original workflow's
//   deployment_state.json shape, plus amlops' "deployments" map used to restore on restart:
//     {"endpoint_name": "...", "current_traffic": {...}, "previous_traffic": {...},
//      "mirror_traffic": {...}, "new_deployment": "<last deployment created/replaced>",
//      "has_prior_deployment": <bool: traffic was non-empty before that deployment>,
//      "model_name": "...", "model_version": "...", "model_source": "<uri|folder>",
//      "deployments": {"blue": {"model": "<uri|folder>"}, ...}}
//   When the file exists at startup and no --model/--deployment is given, the deployments and
//   traffic in it are restored.

#include <string_view>

namespace amlops::serve::admin {

/// Route prefix of every admin route.
inline constexpr std::string_view prefix = "/admin/";
inline constexpr std::string_view deployments_route = "/admin/deployments";  ///< + "/{name}"
inline constexpr std::string_view traffic_route = "/admin/traffic";
/// Request header that targets one deployment (Azure ML semantics); also set on responses.
inline constexpr std::string_view deployment_header = "azureml-model-deployment";
/// Request/response header carrying the request id.
inline constexpr std::string_view request_id_header = "x-request-id";
/// Largest total mirror percentage Azure accepts.
inline constexpr int max_mirror_percent = 50;

}  // namespace amlops::serve::admin
