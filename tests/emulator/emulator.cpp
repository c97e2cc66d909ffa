#include "emulator.hpp"

#include "amlops/auth/jwt.hpp"
#include "amlops/core/environment.hpp"
#include "amlops/http/message.hpp"
#include "amlops/http/transport.hpp"
#include "emulator_extra.hpp"
#include "emulator_federated.hpp"
#include "emulator_jobs.hpp"
#include "emulator_online.hpp"
#include "emulator_provision.hpp"
#include "emulator_util.hpp"
#include "loopback_server.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>

namespace amlops::emulator {
namespace {

using json::object;

using detail::arm_error;
using detail::json_reply;
using detail::lower;
using detail::split;

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64_decode(const std::string& text) {
    std::string out(3 * (text.size() / 4) + 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0 || text.size() % 4 != 0) throw std::runtime_error("storage key is not base64");
    out.resize(static_cast<std::size_t>(n));
    // EVP_DecodeBlock counts the bytes that '=' padding stands for: drop them.
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) out.pop_back();
    return out;
}

std::string base64_md5(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr) != 1) throw std::runtime_error("MD5 failed");
    return base64(digest, len);
}

/// base64(HMAC-SHA256(key, message)): the signature of Shared Key requests and of SAS tokens.
std::string hmac_sha256_base64(const std::string& key, std::string_view message) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
              message.size(), mac, &len))
        throw std::runtime_error("HMAC-SHA256 failed");
    return base64(mac, len);
}

std::string utc_format(std::chrono::system_clock::time_point t, const char* format) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

/// Storage service version of our Shared Key requests and SAS tokens (the one libs/azureml sends).
constexpr const char* storage_version = "2023-11-03";

const std::regex resource_name_re("^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$");
// Patterns from the 2025-09-01 specs (registries.json, mfe.json).
const std::regex asset_name_re("^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$");
const std::regex rg_name_re("^[-\\w._()]{1,90}$");

struct dropped_connection {};

}  // namespace

struct emulator::impl {
    options opt;
    mutable std::mutex mutex;
    stats st;
    std::set<std::string> tokens;
    std::set<std::string> storage_tokens;  // issued for https://storage.azure.com/.default
    std::map<std::string, object> resources;  // lower-cased id -> resource JSON
    std::vector<std::string> order;           // insertion order of resource keys
    struct operation {
        int polls_left;
        std::string resource_key;
        bool removes = false;  // a DELETE: the resource goes when the operation completes
    };
    std::map<std::string, operation> operations;
    std::map<std::string, int> polls_by_get;  // resource key -> GETs before "Creating" turns "Succeeded"
    struct container_info {
        std::string sig;        // in-memory store: the signature its SAS carries
        std::string blob_uri;   // what startPendingUpload answered as blobUri
        std::string sas_query;  // external storage: the SAS query string (no '?')
        bool identity = false;  // a workspace datastore container: storage-scoped bearer tokens only
        bool key_based = false; // a key-based datastore container: SAS signed with the account key only
        std::string read_sig;   // in-memory registry storage: the read SAS a data reference handed out
    };
    std::string datastore_key;  // base64 account key of the in-memory datastore account
    std::map<std::string, std::string> datastore_secrets;  // datastore key -> its account key (x-ms-secret, never in GETs)
    std::map<std::string, container_info> containers;
    std::shared_ptr<http::transport> storage_http;  // external storage only
    std::map<std::string, std::string> pending;           // version key + upload id -> container
    std::map<std::string, std::string> blobs;             // account/container/path -> bytes
    std::map<std::string, std::map<std::string, std::string>> blocks;  // blob -> block id -> bytes
    std::uint64_t counter = 0;
    // Declared before `server`: destroyed after the server threads that call it have stopped.
    std::unique_ptr<detail::extra_routes> extra;  // managed identity, online endpoints, MLflow
    std::unique_ptr<detail::job_routes> jobs;     // code/component/environment/data, computes, jobs, run history
    std::unique_ptr<detail::online_routes> online;  // listKeys, scoring through a real aml-predict serve
    std::unique_ptr<detail::provision_routes> provision;  // the platform's generic ARM store
    std::unique_ptr<test::loopback_server> server;

    std::string base() const { return server->base_url(); }
    bool external_storage() const { return !opt.storage.endpoint.empty(); }
    /// "http://host:port" and "/account" parts of the storage endpoint.
    std::pair<std::string, std::string> storage_parts() const {
        const auto& e = opt.storage.endpoint;
        const auto host = e.find("://");
        const auto slash = e.find('/', host == std::string::npos ? 0 : host + 3);
        if (slash == std::string::npos) return {e, ""};
        std::string path = e.substr(slash);
        while (!path.empty() && path.back() == '/') path.pop_back();
        return {e.substr(0, slash), path};
    }

    http::response handle(const http::request& req) {
        const auto q = req.url.find('?');
        const std::string path = req.url.substr(0, q);
        std::map<std::string, std::string> query;
        if (q != std::string::npos)
            for (auto& [k, v] : http::form_decode(std::string_view(req.url).substr(q + 1))) query[k] = v;
        if (path.rfind("/_emulator/", 0) == 0) return control(req, path);

        fault_options faults;
        std::uint64_t n = 0;
        {
            std::lock_guard lock(mutex);
            faults = opt.faults;
            n = ++st.requests;
            st.log.push_back(req.method + " " + path);
        }
        if (faults.delay.count() > 0) std::this_thread::sleep_for(faults.delay);
        if (faults.every_nth > 0 && n % static_cast<std::uint64_t>(faults.every_nth) == 0) {
            std::uint64_t k = 0;
            {
                std::lock_guard lock(mutex);
                k = st.faults++;
                st.log.back() += " [fault]";
            }
            if (faults.drop_connection) throw dropped_connection{};
            const int status = faults.statuses.empty() ? 503 : faults.statuses[k % faults.statuses.size()];
            auto res = arm_error(status, status == 429 ? "TooManyRequests" : "ServiceUnavailable", "injected fault");
            res.headers.set("Retry-After", std::to_string(faults.retry_after_seconds));
            return res;
        }
        // Forwarded outside the lock: blob uploads run in parallel.
        if (path.rfind("/storage/", 0) == 0 && external_storage()) return forward_to_storage(req);
        std::lock_guard lock(mutex);
        try {
            if (auto r = jobs->route(req, path, query)) return std::move(*r);
            if (auto r = online->score(req, path)) return std::move(*r);
            if (auto r = provision->route(req, path, query)) return std::move(*r);
            if (auto r = extra->route(req, path, query)) return std::move(*r);
            if (path.rfind("/blob/", 0) == 0) return blob(req, path, query);
            const auto parts = split(path);
            if (parts.size() == 4 && parts[1] == "oauth2" && parts[3] == "token" && req.method == "POST")
                return token(req, parts[0]);
            if (parts.empty() || lower(parts[0]) != "subscriptions") return arm_error(404, "NotFound", "no route for " + path);
            return arm(req, path, parts, query);
        } catch (const std::exception& e) {
            return arm_error(400, "BadRequest", e.what());
        }
    }

    http::response control(const http::request& req, const std::string& path) {
        if (path != "/_emulator/faults" || req.method != "POST") return arm_error(404, "NotFound", path);
        const auto doc = json::parse(req.body, "fault settings").as_object();
        fault_options f;
        if (auto* v = doc.if_contains("every_nth")) f.every_nth = static_cast<int>(v->to_number<double>());
        if (auto* v = doc.if_contains("retry_after_seconds")) f.retry_after_seconds = static_cast<int>(v->to_number<double>());
        if (auto* v = doc.if_contains("drop_connection")) f.drop_connection = v->as_bool();
        if (auto* v = doc.if_contains("delay_ms")) f.delay = std::chrono::milliseconds(static_cast<long>(v->to_number<double>()));
        if (auto* v = doc.if_contains("statuses")) {
            f.statuses.clear();
            for (auto& s : v->as_array()) f.statuses.push_back(static_cast<int>(s.to_number<double>()));
        }
        std::lock_guard lock(mutex);
        opt.faults = f;
        return json_reply(200, object{{"ok", true}});
    }

    // ---------------------------------------------------------------- Entra ID
    http::response token(const http::request& req, const std::string& tenant) {
        auto fail = [](const std::string& code, const std::string& desc) {
            return json_reply(400, object{{"error", code}, {"error_description", desc}});
        };
        if (tenant != opt.tenant) return fail("invalid_request", "AADSTS90002: Tenant '" + tenant + "' not found.");
        std::map<std::string, std::string> form;
        for (auto& [k, v] : http::form_decode(req.body)) form[k] = v;
        if (form["grant_type"] != "client_credentials") return fail("unsupported_grant_type", "grant_type must be client_credentials");
        if (form["client_id"] != opt.client_id) return fail("unauthorized_client", "AADSTS700016: unknown client");
        if (form["scope"].empty()) return fail("invalid_scope", "scope is required");
        if (form.count("client_secret")) {
            if (opt.client_secret.empty() || form["client_secret"] != opt.client_secret)
                return fail("invalid_client", "AADSTS7000215: Invalid client secret provided.");
        } else if (form.count("client_assertion")) {
            if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                return fail("invalid_request", "client_assertion_type must be jwt-bearer");
            const auto federated = detail::check_federated_assertion(form["client_assertion"], opt, std::chrono::system_clock::now());
            if (!federated.error.empty()) return fail("invalid_client", federated.error);
            if (!federated.applies && opt.certificate_pem.empty()) return fail("invalid_client", "AADSTS700027: no certificate registered");
            if (!federated.applies) try {
                const auto jwt = auth::verify_rs256(form["client_assertion"], opt.certificate_pem);
                const auto aud = jwt.claims.if_contains("aud");
                const std::string want = "/" + tenant + "/oauth2/v2.0/token";
                if (!aud || !aud->is_string() || !std::string(aud->as_string()).ends_with(want))
                    return fail("invalid_client", "AADSTS700024: assertion audience is not the token endpoint");
                const auto iss = jwt.claims.if_contains("iss");
                if (!iss || !iss->is_string() || iss->as_string() != opt.client_id)
                    return fail("invalid_client", "AADSTS700023: assertion issuer is not the client");
            } catch (const std::exception& e) {
                return fail("invalid_client", std::string("AADSTS700027: client assertion failed signature validation: ") + e.what());
            }
        } else {
            return fail("invalid_client", "AADSTS7000218: client_secret or client_assertion required");
        }
        const std::string tok = "emu-token-" + std::to_string(++counter);
        tokens.insert(tok);
        if (form["scope"] == "https://storage.azure.com/.default") storage_tokens.insert(tok);
        return json_reply(200, object{{"token_type", "Bearer"}, {"expires_in", 3600}, {"access_token", tok}});
    }

    bool authorized(const http::request& req) const {
        const auto h = req.headers.get("Authorization");
        return h && h->rfind("Bearer ", 0) == 0 && tokens.count(h->substr(7)) > 0;
    }
    /// A bearer token issued for the storage scope, the only kind Azure Storage accepts.
    bool storage_authorized(const http::request& req) const {
        const auto h = req.headers.get("Authorization");
        return h && h->rfind("Bearer ", 0) == 0 && storage_tokens.count(h->substr(7)) > 0;
    }

    // ---------------------------------------------------------------- ARM / Azure ML
    http::response arm(const http::request& req, const std::string& path, const std::vector<std::string>& parts,
                       std::map<std::string, std::string>& query) {
        if (!authorized(req)) return arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.");
        const bool ml = parts.size() > 4;
        const std::string expected = ml ? "2025-09-01" : "2025-04-01";
        const auto av = query.find("api-version");
        if (av == query.end() || av->second.empty())
            return arm_error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        if (av->second != expected)
            return arm_error(400, "InvalidApiVersionParameter", "The api-version '" + av->second + "' is invalid. The supported versions are '" + expected + "'.");
        // Operation status: /subscriptions/{s}/providers/{ns}/locations/{l}/mfeOperationsStatus/{id}
        if (parts.size() == 8 && lower(parts[2]) == "providers" && parts[6] == "mfeOperationsStatus") return operation_status(parts[7]);
        if (parts.size() == 8 && lower(parts[2]) == "providers" && parts[6] == "mfeOperationsResults") return operation_result(parts[7]);
        if (parts.size() < 4 || lower(parts[2]) != "resourcegroups") return arm_error(404, "NotFound", "no route for " + path);
        if (parts.size() == 4) return resource_group(req, path, parts);
        if (parts.size() < 8 || lower(parts[4]) != "providers" || lower(parts[5]) != lower("Microsoft.MachineLearningServices"))
            return arm_error(404, "NoRegisteredProviderFound", "no provider for " + path);
        const std::string kind = parts[6];  // workspaces | registries
        if (kind != "workspaces" && kind != "registries") return arm_error(404, "NotFound", "unsupported resource type " + kind);
        if (parts.size() == 8) return top_level(req, path, parts);
        const std::string parent_key = lower(join(parts, 8));
        if (!resources.count(parent_key)) return arm_error(404, "ResourceNotFound", "The Resource '" + parts[7] + "' was not found.");
        if (parts[8] == "onlineEndpoints" && kind == "workspaces") {
            if (auto r = online->arm(req, parts)) return std::move(*r);
            return extra->online(req, path, parts, query);
        }
        if (kind == "workspaces")
            if (auto r = jobs->arm(req, path, parts, query)) return std::move(*r);
        if (parts[8] == "datastores" && kind == "workspaces") {
            if (parts.size() == 9 && req.method == "GET") return list(parent_key + "/datastores", query, path);
            if (parts.size() == 10 && req.method == "GET") return get(lower(path), parts[9]);
            if (parts.size() == 10 && req.method == "PUT") return put_datastore(req, path, parts);
            if (parts.size() == 11 && parts[10] == "listSecrets" && req.method == "POST") return list_secrets(path, parts);
            return arm_error(405, "MethodNotAllowed", req.method + " is not supported on " + path);
        }
        if (parts[8] == "datareferences" && kind == "registries" && parts.size() == 12 && parts[10] == "versions" && req.method == "POST")
            return data_reference(req, parts);
        if (parts[8] != "models") return arm_error(404, "NotFound", "no route for " + path);
        if (parts.size() == 9 && req.method == "GET") return list(parent_key + "/models", query, path);
        if (parts.size() == 10 && req.method == "GET") return get(lower(path), parts[9]);
        if (parts.size() == 10 && req.method == "PUT") return put_container(req, path, parts);
        if (parts.size() == 11 && parts[10] == "versions" && req.method == "GET") return list(lower(join(parts, 10)) + "/versions", query, path);
        if (parts.size() == 12 && parts[10] == "versions") {
            if (req.method == "GET") return get(lower(path), parts[11]);
            if (req.method == "PUT") return put_version(req, path, parts, kind == "registries");
            if (req.method == "DELETE") return remove(lower(path), parts, kind == "registries");
        }
        if (parts.size() == 13 && parts[12] == "startPendingUpload" && req.method == "POST" && kind == "registries")
            return start_pending_upload(req, parts);
        return arm_error(405, "MethodNotAllowed", req.method + " is not supported on " + path);
    }

    /// DELETE of a model version: 200 when it existed, 204 when there was nothing to delete
    /// (ModelVersions_Delete). In a registry it is long-running (RegistryModelVersions_Delete:
    /// x-ms-long-running-operation, 202 with Location and Retry-After, final-state-via location):
    /// the version goes when the Location poll reports completion.
    http::response remove(const std::string& key, const std::vector<std::string>& parts, bool registry) {
        if (!resources.count(key)) return {204, "", {}, ""};
        if (registry) {
            const std::string op = "op" + std::to_string(++counter);
            operations[op] = {opt.lro_polls, key, true};
            const std::string at = base() + "/subscriptions/" + parts[1] + "/providers/Microsoft.MachineLearningServices/locations/emu/";
            return {202, "", {{"Location", at + "mfeOperationsResults/" + op + "?api-version=2025-09-01"}, {"Retry-After", "0"}}, ""};
        }
        erase_resource(key);
        return json_reply(200, object{});
    }

    void erase_resource(const std::string& key) {
        resources.erase(key);
        order.erase(std::remove(order.begin(), order.end(), key), order.end());
        if (const auto v = key.find("/versions/"); v != std::string::npos) refresh_container(key.substr(0, v));
    }

    /// GET of an operation's Location (ARM RPC async operations): 202 (with Location and
    /// Retry-After) while running; then a DELETE's resource is removed and 204 answered, a PUT's
    /// resource is answered with 200.
    http::response operation_result(const std::string& id) {
        auto it = operations.find(id);
        if (it == operations.end()) return arm_error(404, "NotFound", "operation " + id);
        if (it->second.polls_left > 0) {
            --it->second.polls_left;
            return {202, "", {{"Location", base() + "/subscriptions/-/providers/Microsoft.MachineLearningServices/locations/emu/mfeOperationsResults/" + id +
                                               "?api-version=2025-09-01"},
                              {"Retry-After", "0"}}, ""};
        }
        if (it->second.removes) {
            if (resources.count(it->second.resource_key)) erase_resource(it->second.resource_key);
            return {204, "", {}, ""};
        }
        auto r = resources.find(it->second.resource_key);
        if (r == resources.end()) return arm_error(404, "ResourceNotFound", "the resource of operation " + id + " is gone");
        r->second["properties"].as_object()["provisioningState"] = "Succeeded";
        return json_reply(200, r->second);
    }

    static std::string join(const std::vector<std::string>& parts, std::size_t count) {
        std::string out;
        for (std::size_t i = 0; i < count && i < parts.size(); ++i) out += "/" + parts[i];
        return out;
    }

    http::response get(const std::string& key, const std::string& name) {
        auto it = resources.find(key);
        if (it == resources.end()) return arm_error(404, "ResourceNotFound", "'" + name + "' was not found.");
        // A version created without a polling header (options.version_put_without_polling_header)
        // reports "Creating" for a few GETs, then "Succeeded".
        if (auto p = polls_by_get.find(key); p != polls_by_get.end() && p->second-- <= 0) {
            it->second["properties"].as_object()["provisioningState"] = "Succeeded";
            polls_by_get.erase(p);
        }
        return json_reply(200, it->second);
    }

    void store(const std::string& key, object value) {
        if (!resources.count(key)) order.push_back(key);
        resources[key] = std::move(value);
    }

    http::response resource_group(const http::request& req, const std::string& path, const std::vector<std::string>& parts) {
        if (req.method == "GET") return get(lower(path), parts[3]);
        if (req.method != "PUT") return arm_error(405, "MethodNotAllowed", req.method);
        if (!std::regex_match(parts[3], rg_name_re)) return arm_error(400, "InvalidResourceGroupName", "invalid resource group name '" + parts[3] + "'", "resourceGroupName");
        const auto body = json::parse(req.body, "request body");
        const auto* loc = body.is_object() ? body.as_object().if_contains("location") : nullptr;
        if (!loc || !loc->is_string()) return arm_error(400, "LocationRequired", "The location property is required for this definition.", "location");
        const bool existed = resources.count(lower(path)) > 0;
        store(lower(path), object{{"id", path}, {"name", parts[3]}, {"type", "Microsoft.Resources/resourceGroups"}, {"location", *loc},
                                  {"properties", object{{"provisioningState", "Succeeded"}}}});
        return json_reply(existed ? 200 : 201, resources[lower(path)]);
    }

    http::response top_level(const http::request& req, const std::string& path, const std::vector<std::string>& parts) {
        if (req.method == "GET") return get(lower(path), parts[7]);
        if (req.method != "PUT") return arm_error(405, "MethodNotAllowed", req.method);
        if (!resources.count(lower(join(parts, 4)))) return arm_error(404, "ResourceGroupNotFound", "Resource group '" + parts[3] + "' could not be found.");
        if (!std::regex_match(parts[7], resource_name_re))
            return arm_error(400, "ValidationError", "The name '" + parts[7] + "' must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$", "name");
        const auto body = json::parse(req.body, "request body");
        if (!body.is_object()) return arm_error(400, "InvalidRequestContent", "body must be an object");
        const auto* loc = body.as_object().if_contains("location");
        if (!loc || !loc->is_string()) return arm_error(400, "LocationRequired", "The location property is required for this definition.", "location");
        object res = body.as_object();
        res["id"] = path;
        res["name"] = parts[7];
        res["type"] = "Microsoft.MachineLearningServices/" + parts[6];
        object props = res.contains("properties") && res["properties"].is_object() ? res["properties"].as_object() : object{};
        props["provisioningState"] = "Succeeded";
        // Workspace.discoveryUrl: where clients find the data-plane hosts (run history).
        if (parts[6] == "workspaces") props["discoveryUrl"] = base() + "/discovery";
        res["properties"] = props;
        const bool existed = resources.count(lower(path)) > 0;
        store(lower(path), res);
        if (!existed && parts[6] == "workspaces") add_default_datastore(path, parts[7]);
        return json_reply(existed ? 200 : 201, res);
    }

    // ---------------------------------------------------------------- Workspace datastores
    /// Account of the in-memory blob store behind workspace datastores.
    static constexpr const char* datastore_account = "emustorage";

    /// Every workspace gets `workspaceblobstore` as Azure ML creates it: an AccountKey datastore
    /// (Azure ML docs, "Create datastores": the default workspaceblobstore uses the storage
    /// account key; credentials are readable with Datastores_ListSecrets). Its container lives in
    /// the in-memory blob store and takes only SAS signed with the account key (the caller's
    /// Entra identity holds no data role on the workspace storage). The datastore names the
    /// real Azure host (clients reach the emulator through their `blob_endpoint` setting, see
    /// workspace_blob_endpoint()).
    void add_default_datastore(const std::string& workspace_path, const std::string& workspace) {
        const std::string container = "azureml-blobstore-" + lower(workspace);
        containers[container].key_based = true;
        object props{{"datastoreType", "AzureBlob"}, {"accountName", datastore_account}, {"containerName", container},
                     {"endpoint", "core.windows.net"}, {"protocol", "https"}, {"isDefault", true},
                     {"credentials", object{{"credentialsType", "AccountKey"}}}};
        const std::string path = workspace_path + "/datastores/workspaceblobstore";
        store(lower(path), object{{"id", path}, {"name", "workspaceblobstore"},
                                  {"type", "Microsoft.MachineLearningServices/workspaces/datastores"}, {"properties", props}});
        datastore_secrets[lower(path)] = datastore_key;
    }

    /// PUT of a datastore (Datastores_CreateOrUpdate): Azure Blob only (accountName +
    /// containerName). credentials.credentialsType None = identity-based (its container in the
    /// in-memory store takes storage-scoped bearer tokens only); AccountKey needs
    /// credentials.secrets.key, which is kept aside (x-ms-secret: never in a GET, only in
    /// listSecrets), and its container takes SAS signed with the account key.
    http::response put_datastore(const http::request& req, const std::string& path, const std::vector<std::string>& parts) {
        const auto body = json::parse(req.body, "request body");
        const auto* props = body.is_object() ? body.as_object().if_contains("properties") : nullptr;
        if (!props || !props->is_object()) return arm_error(400, "UserError", "The properties field is required.", "properties");
        object p = props->as_object();
        for (const char* k : {"accountName", "containerName"})
            if (const auto* v = p.if_contains(k); !v || !v->is_string() || v->as_string().empty())
                return arm_error(400, "UserError", std::string("properties.") + k + " is required.", std::string("properties.") + k);
        const auto* creds = p.if_contains("credentials");
        if (!creds || !creds->is_object() || !creds->as_object().if_contains("credentialsType"))
            return arm_error(400, "UserError", "properties.credentials.credentialsType is required.", "properties.credentials");
        object c = creds->as_object();
        const std::string type(c.at("credentialsType").as_string());
        std::string key;
        if (type == "AccountKey") {
            const auto* sec = c.if_contains("secrets");
            const auto* k = sec && sec->is_object() ? sec->as_object().if_contains("key") : nullptr;
            if (!k || !k->is_string() || k->as_string().empty())
                return arm_error(400, "UserError", "properties.credentials.secrets.key is required.", "properties.credentials.secrets");
            key = std::string(k->as_string());
            c.erase("secrets");
            p["credentials"] = c;
        } else if (type != "None") {
            return arm_error(400, "UserError", "the emulator supports credentialsType None and AccountKey only.", "properties.credentials");
        }
        if (p.at("accountName").as_string() == datastore_account) {
            auto& info = containers[std::string(p.at("containerName").as_string())];
            info.identity = type == "None";
            info.key_based = type == "AccountKey";
        }
        if (!key.empty()) datastore_secrets[lower(path)] = key;
        else datastore_secrets.erase(lower(path));
        const bool existed = resources.count(lower(path)) > 0;
        object res{{"id", path}, {"name", parts[9]}, {"type", "Microsoft.MachineLearningServices/workspaces/datastores"}, {"properties", p}};
        store(lower(path), res);
        return json_reply(existed ? 200 : 201, res);
    }

    /// Datastores_ListSecrets (POST .../datastores/{name}/listSecrets, no body): the secrets of
    /// a key-based datastore, AccountKeyDatastoreSecrets {secretsType: AccountKey, key}. An
    /// identity-based datastore has none: 400 (an assumption, docs/AZURE-ASSUMPTIONS.md).
    http::response list_secrets(const std::string& path, const std::vector<std::string>& parts) {
        const std::string key = lower(join(parts, 10));
        if (!resources.count(key)) return arm_error(404, "ResourceNotFound", "datastore '" + parts[9] + "' was not found.");
        auto it = datastore_secrets.find(key);
        if (it == datastore_secrets.end())
            return arm_error(400, "UserError", "datastore '" + parts[9] + "' is identity-based and has no secrets (" + path + ").");
        return json_reply(200, object{{"secretsType", "AccountKey"}, {"key", it->second}});
    }

    /// RegistryDataReferences_GetBlobReferenceSAS (POST .../registries/{r}/datareferences/{name}/
    /// versions/{version}, body GetBlobReferenceSASRequestDto {assetId, blobUri}, no other
    /// member): a read SAS for a blob folder of the registry's storage, answered as
    /// GetBlobReferenceSASResponseDto -> blobReferenceForConsumption {blobUri,
    /// storageAccountArmId, credential: SASCredential {credentialType SAS, sasUri}}. That the
    /// asset must exist and the blobUri lie in its storage is an assumption.
    http::response data_reference(const http::request& req, const std::vector<std::string>& parts) {
        const auto body = json::parse(req.body, "request body");
        const auto* o = body.if_object();
        if (!o) return arm_error(400, "UserError", "The request body must be a GetBlobReferenceSASRequestDto object.");
        for (const auto& [k, v] : *o)
            if (k != "assetId" && k != "blobUri") return arm_error(400, "UserError", "Unknown property '" + std::string(k) + "'.", std::string(k));
        const auto* uri = o->if_contains("blobUri");
        if (!uri || !uri->is_string() || uri->as_string().empty()) return arm_error(400, "UserError", "blobUri is required.", "blobUri");
        const std::string version_key = lower(join(parts, 8)) + "/models/" + lower(parts[9]) + "/versions/" + lower(parts[11]);
        if (!resources.count(version_key))
            return arm_error(404, "ResourceNotFound", "model " + parts[9] + " version " + parts[11] + " was not found.");
        const std::string u(uri->as_string());
        for (auto& [name, c] : containers) {
            // The container itself or a blob in it: ".../pending-11" must not claim ".../pending-110/x".
            const bool inside = u == c.blob_uri || u.rfind(c.blob_uri + "/", 0) == 0;
            if (c.identity || c.key_based || c.blob_uri.empty() || !inside) continue;
            std::string sas;
            if (external_storage()) {
                sas = container_sas(name, "rl");
            } else {
                if (c.read_sig.empty()) c.read_sig = "emuread" + std::to_string(++counter * 104729 + 7);
                sas = "sv=2023-11-03&sr=c&sp=rl&se=2099-01-01T00%3A00%3A00Z&sig=" + c.read_sig;
            }
            const std::string account = external_storage() ? opt.storage.account : "emuaccount";
            object ref{{"blobUri", u},
                       {"storageAccountArmId", "/subscriptions/" + parts[1] + "/resourceGroups/" + parts[3] +
                                                   "/providers/Microsoft.Storage/storageAccounts/" + account},
                       {"credential", object{{"credentialType", "SAS"}, {"sasUri", u + "?" + sas}}}};
            return json_reply(200, object{{"blobReferenceForConsumption", ref}});
        }
        return arm_error(400, "UserError", "blobUri is not in the storage of registry '" + parts[7] + "'.", "blobUri");
    }

    /// For a workspace version: nullopt when `uri` is no datastore URI (Azure ML takes other
    /// URIs too) or names this workspace's datastore with blobs below the path; else the error.
    std::optional<http::response> check_datastore_uri(const std::string& uri, const std::vector<std::string>& parts) {
        static const std::regex re("^azureml://subscriptions/([^/]+)/resourcegroups/([^/]+)/workspaces/([^/]+)/datastores/([^/]+)/paths/(.+)$",
                                   std::regex::icase);
        std::smatch m;
        if (uri.rfind("azureml://", 0) != 0 || uri.find("/datastores/") == std::string::npos) return std::nullopt;
        auto bad = [](const std::string& why) {
            return arm_error(400, "UserError", "properties.modelUri " + why, "properties.modelUri");
        };
        if (!std::regex_match(uri, m, re)) return bad("is not an azureml://subscriptions/.../datastores/{name}/paths/{path} URI.");
        if (lower(m[1].str()) != lower(parts[1]) || lower(m[2].str()) != lower(parts[3]) || lower(m[3].str()) != lower(parts[7]))
            return bad("names another workspace.");
        const auto ds = resources.find(lower(join(parts, 8)) + "/datastores/" + lower(m[4].str()));
        if (ds == resources.end()) return bad("names datastore '" + m[4].str() + "', which does not exist.");
        const auto& props = ds->second["properties"].as_object();
        std::string prefix = std::string(props.at("accountName").as_string()) + "/" + std::string(props.at("containerName").as_string()) + "/" + m[5].str();
        while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
        prefix += "/";
        for (const auto& [blob_name, bytes] : blobs)
            if (blob_name.rfind(prefix, 0) == 0) return std::nullopt;
        return bad("points at a datastore path without blobs.");
    }

    http::response list(const std::string& prefix, std::map<std::string, std::string>& query, const std::string& path) {
        // ModelContainers_List / ModelVersions_List (and their registry forms) take listViewType
        // ActiveOnly | ArchivedOnly | All, default ActiveOnly (mfe.json 2025-09-01): archived
        // assets (properties.isArchived) are left out unless asked for.
        const bool assets = prefix.ends_with("/models") || prefix.ends_with("/versions");
        std::string view = "ActiveOnly";
        if (auto it = query.find("listViewType"); it != query.end()) view = it->second;
        if (assets && view != "ActiveOnly" && view != "ArchivedOnly" && view != "All")
            return arm_error(400, "UserError", "listViewType must be one of ActiveOnly, ArchivedOnly, All.", "listViewType");
        std::vector<const object*> items;
        for (const auto& key : order) {
            if (key.rfind(prefix + "/", 0) != 0) continue;
            if (key.find('/', prefix.size() + 1) != std::string::npos) continue;  // direct children only
            const object& item = resources[key];
            if (assets && view != "All") {
                const auto* p = item.if_contains("properties");
                const auto* a = p && p->is_object() ? p->as_object().if_contains("isArchived") : nullptr;
                const bool archived = a && a->is_bool() && a->as_bool();
                if (archived != (view == "ArchivedOnly")) continue;
            }
            items.push_back(&item);
        }
        std::size_t skip = 0;
        if (auto it = query.find("$skipToken"); it != query.end()) skip = std::stoul(it->second);
        json::array page;
        for (std::size_t i = skip; i < items.size() && i < skip + opt.page_size; ++i) page.push_back(*items[i]);
        object out{{"value", page}};
        if (skip + opt.page_size < items.size())
            out["nextLink"] = base() + path + "?api-version=" + query["api-version"] + (assets ? "&listViewType=" + view : "") +
                              "&$skipToken=" + std::to_string(skip + opt.page_size);
        return json_reply(200, out);
    }

    /// Read-only members of asset PUT bodies: mfe.json marks AssetContainer.latestVersion /
    /// nextVersion and ModelContainer / ModelVersion provisioningState `readOnly: true`, and
    /// systemData is read-only on every ARM resource (common-types v3 types.json). The service
    /// refuses them (the status and code here are assumptions, docs/AZURE-ASSUMPTIONS.md).
    static std::optional<http::response> reject_read_only(const json::value& body) {
        if (!body.is_object()) return std::nullopt;
        if (body.as_object().contains("systemData"))
            return arm_error(400, "UserError", "The property 'systemData' is read-only and cannot be set.", "systemData");
        const auto* props = body.as_object().if_contains("properties");
        if (!props || !props->is_object()) return std::nullopt;
        for (const char* k : {"provisioningState", "latestVersion", "nextVersion"})
            if (props->as_object().contains(k))
                return arm_error(400, "UserError", std::string("The property 'properties.") + k + "' is read-only and cannot be set.",
                                 std::string("properties.") + k);
        return std::nullopt;
    }

    /// The container's read-only latestVersion / nextVersion after a version change. nextVersion
    /// is one above the highest numeric version ever created under it, archived ones included
    /// (AssetContainer.nextVersion, "the next auto incremental version"; that deleted numbers
    /// are not handed out again is an assumption, docs/AZURE-ASSUMPTIONS.md).
    void refresh_container(const std::string& container_key) {
        auto c = resources.find(container_key);
        if (c == resources.end()) return;
        auto& props = c->second["properties"].as_object();
        std::int64_t highest = 0;
        if (const auto* n = props.if_contains("nextVersion"); n && n->is_string()) highest = std::stoll(std::string(n->as_string())) - 1;
        std::string latest;
        for (const auto& [key, res] : resources) {
            if (key.rfind(container_key + "/versions/", 0) != 0) continue;
            const std::string name(res.at("name").as_string());
            latest = name;  // keys are ordered; numeric versions are compared below
            if (!name.empty() && name.size() < 18 && std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
                highest = std::max<std::int64_t>(highest, std::stoll(name));
        }
        props["nextVersion"] = std::to_string(highest + 1);
        if (highest > 0) props["latestVersion"] = std::to_string(highest);
        else if (!latest.empty()) props["latestVersion"] = latest;
    }

    http::response put_container(const http::request& req, const std::string& path, const std::vector<std::string>& parts) {
        if (!std::regex_match(parts[9], asset_name_re)) return arm_error(400, "UserError", "Invalid model name '" + parts[9] + "'", "name");
        const auto body = json::parse(req.body, "request body");
        if (auto refused = reject_read_only(body)) return std::move(*refused);
        const auto* props = body.is_object() ? body.as_object().if_contains("properties") : nullptr;
        if (!props || !props->is_object()) return arm_error(400, "UserError", "The properties field is required.", "properties");
        const bool existed = resources.count(lower(path)) > 0;
        object p = props->as_object();
        if (existed) {  // the read-only counters stay the service's
            const auto& old = resources[lower(path)]["properties"].as_object();
            for (const char* k : {"latestVersion", "nextVersion"})
                if (const auto* v = old.if_contains(k)) p[k] = *v;
        }
        object res{{"id", path}, {"name", parts[9]}, {"type", "Microsoft.MachineLearningServices/" + parts[6] + "/models"}, {"properties", p}};
        store(lower(path), res);
        refresh_container(lower(path));
        return json_reply(existed ? 200 : 201, resources[lower(path)]);
    }

    http::response put_version(const http::request& req, const std::string& path, const std::vector<std::string>& parts, bool registry) {
        if (!std::regex_match(parts[9], asset_name_re)) return arm_error(400, "UserError", "Invalid model name '" + parts[9] + "'", "name");
        if (parts[11].empty()) return arm_error(400, "UserError", "The model version is required", "version");
        const auto body = json::parse(req.body, "request body");
        if (auto refused = reject_read_only(body)) return std::move(*refused);
        const auto* props = body.is_object() ? body.as_object().if_contains("properties") : nullptr;
        if (!props || !props->is_object()) return arm_error(400, "UserError", "The properties field is required.", "properties");
        const auto* uri = props->as_object().if_contains("modelUri");
        if (!uri || !uri->is_string() || uri->as_string().empty()) return arm_error(400, "UserError", "properties.modelUri is required.", "properties.modelUri");
        if (const auto* t = props->as_object().if_contains("modelType"); t && (!t->is_string() || t->as_string().empty()))
            return arm_error(400, "UserError", "properties.modelType must be a non-empty string.", "properties.modelType");
        const std::string key = lower(path);
        if (auto it = resources.find(key); it != resources.end()) {
            // Versions are immutable: the same modelUri is an idempotent retry, anything else a conflict.
            if (it->second["properties"].as_object()["modelUri"] != *uri)
                return arm_error(409, "Conflict", "Model version " + parts[9] + ":" + parts[11] + " already exists with a different modelUri.");
            // The mutable part of an asset (what archive / tag updates change) is replaced.
            auto& p = it->second["properties"].as_object();
            for (const char* k : {"tags", "description", "isArchived", "stage"}) {
                if (const auto* v = props->as_object().if_contains(k)) p[k] = *v;
                else p.erase(k);
            }
            return json_reply(200, it->second);
        }
        if (!registry)
            if (auto failure = check_datastore_uri(std::string(uri->as_string()), parts)) return std::move(*failure);
        if (registry) {
            const std::string u(uri->as_string());
            bool uploaded = false;
            for (const auto& [name, c] : containers) {
                if (c.identity || (u != c.blob_uri && u.rfind(c.blob_uri + "/", 0) != 0)) continue;
                if (external_storage()) uploaded |= container_has_blobs(name, c);
                else
                    for (const auto& [blob_name, bytes] : blobs) uploaded |= blob_name.rfind("emuaccount/" + name + "/", 0) == 0;
            }
            if (!uploaded) return arm_error(400, "UserError", "properties.modelUri does not point at an uploaded pending blob reference.", "properties.modelUri");
        }
        object res{{"id", path}, {"name", parts[11]}, {"type", std::string("Microsoft.MachineLearningServices/") + parts[6] + "/models/versions"}};
        object p = props->as_object();
        p["provisioningState"] = registry ? "Creating" : "Succeeded";
        res["properties"] = p;
        res["systemData"] = object{{"createdAt", "2026-01-01T00:00:00Z"}, {"createdBy", "emulator"}};
        const std::string container_key = lower(join(parts, 10));
        if (!resources.count(container_key))
            store(container_key, object{{"id", join(parts, 10)}, {"name", parts[9]}, {"properties", object{}}});
        store(key, res);
        refresh_container(container_key);
        if (!registry) return json_reply(201, res);
        if (opt.version_put_without_polling_header) {
            polls_by_get[key] = opt.lro_polls;
            return json_reply(201, res);
        }
        return json_reply(201, res, start_lro(parts[1], key));
    }

    /// A long-running operation that marks resource `key` Succeeded after opt.lro_polls polls.
    http::fields start_lro(const std::string& subscription, const std::string& key) {
        const std::string op = "op" + std::to_string(++counter);
        operations[op] = {opt.lro_polls, key};
        const std::string at = base() + "/subscriptions/" + subscription + "/providers/Microsoft.MachineLearningServices/locations/emu/";
        return {{"Azure-AsyncOperation", at + "mfeOperationsStatus/" + op + "?api-version=2025-09-01"},
                {"Location", at + "mfeOperationsResults/" + op + "?api-version=2025-09-01"},
                {"Retry-After", "0"}};
    }

    http::response operation_status(const std::string& id) {
        auto it = operations.find(id);
        if (it == operations.end()) return arm_error(404, "NotFound", "operation " + id);
        if (it->second.polls_left > 0) {
            --it->second.polls_left;
            return json_reply(200, object{{"name", id}, {"status", "InProgress"}}, {{"Retry-After", "0"}});
        }
        auto& res = resources[it->second.resource_key];
        res["properties"].as_object()["provisioningState"] = "Succeeded";
        return json_reply(200, object{{"name", id}, {"status", "Succeeded"}});
    }

    http::response start_pending_upload(const http::request& req, const std::vector<std::string>& parts) {
        if (!std::regex_match(parts[9], asset_name_re)) return arm_error(400, "UserError", "Invalid model name '" + parts[9] + "'", "name");
        const auto body = json::parse(req.body, "request body");
        const auto* o = body.if_object();
        if (!o) return arm_error(400, "UserError", "The request body must be a PendingUploadRequestDto object.");
        for (const auto& [k, v] : *o)  // additionalProperties: false
            if (k != "pendingUploadId" && k != "pendingUploadType")
                return arm_error(400, "UserError", "Unknown property '" + std::string(k) + "'.", std::string(k));
        // pendingUploadType defaults to TemporaryBlobReference; enum None | TemporaryBlobReference.
        const auto* type = o->if_contains("pendingUploadType");
        if (type && (!type->is_string() || (type->as_string() != "TemporaryBlobReference" && type->as_string() != "None")))
            return arm_error(400, "UserError", "pendingUploadType must be one of None, TemporaryBlobReference.", "pendingUploadType");
        std::string upload_id;
        if (const auto* id = o->if_contains("pendingUploadId"); id && id->is_string()) upload_id = std::string(id->as_string());
        if (upload_id.empty()) upload_id = "upload" + std::to_string(++counter);
        const std::string key = lower(join(parts, 12)) + "#" + upload_id;
        std::string& container = pending[key];
        if (container.empty()) {
            if (external_storage()) {
                // Unique across emulator instances: one Azurite serves a whole test run.
                container = "pending-" + random_uuid();
                if (auto failure = create_container(container)) {
                    pending.erase(key);
                    return arm_error(500, "InternalServerError", "emulator: creating the upload container failed: " + *failure);
                }
                const std::string via = opt.storage.through_emulator ? base() + "/storage" + storage_parts().second : opt.storage.endpoint;
                auto& info = containers[container];
                info.blob_uri = via + "/" + container;
                info.sas_query = container_sas(container);
            } else {
                container = "pending-" + std::to_string(++counter);
                auto& info = containers[container];
                info.sig = "emusig" + std::to_string(counter * 7919 + 17);
                info.blob_uri = base() + "/blob/emuaccount/" + container;
                info.sas_query = "sv=2023-11-03&sr=c&sp=racwl&se=2099-01-01T00%3A00%3A00Z&sig=" + info.sig;
            }
        }
        const auto& info = containers[container];
        const std::string account = external_storage() ? opt.storage.account : "emuaccount";
        object ref{{"blobUri", info.blob_uri},
                   {"storageAccountArmId", "/subscriptions/" + parts[1] + "/resourceGroups/" + parts[3] + "/providers/Microsoft.Storage/storageAccounts/" + account},
                   {"credential", object{{"credentialType", "SAS"}, {"sasUri", info.blob_uri + "?" + info.sas_query}}}};
        return json_reply(200, object{{"blobReferenceForConsumption", ref}, {"pendingUploadId", upload_id},
                                      {"pendingUploadType", "TemporaryBlobReference"}});
    }

    // ---------------------------------------------------------------- External storage (Azurite)
    /// Create Container with Shared Key authorization; public read access for blobs, because
    /// Azurite has no Entra ID over plain http and the backend reads with a bearer token (what
    /// the Storage Blob Data Reader role grants on Azure). Returns an error text, or nullopt.
    std::optional<std::string> create_container(const std::string& name) {
        const auto [origin, account_path] = storage_parts();
        http::request r;
        r.method = "PUT";
        r.url = opt.storage.endpoint + "/" + name + "?restype=container";
        const std::string date = utc_format(std::chrono::system_clock::now(), "%a, %d %b %Y %H:%M:%S GMT");
        // Canonicalized headers: every x-ms-* header, lower-case, sorted, "name:value\n".
        const std::vector<std::pair<std::string, std::string>> ms{
            {"x-ms-blob-public-access", "blob"}, {"x-ms-date", date}, {"x-ms-version", storage_version}};
        std::string to_sign = "PUT\n\n\n\n\n\n\n\n\n\n\n\n";  // verb + 11 empty standard headers
        for (const auto& [k, v] : ms) {
            r.headers.set(k, v);
            to_sign.append(k).append(":").append(v).append("\n");
        }
        to_sign.append("/").append(opt.storage.account).append(account_path).append("/").append(name).append("\nrestype:container");
        r.headers.set("Authorization", "SharedKey " + opt.storage.account + ":" + hmac_sha256_base64(base64_decode(opt.storage.key), to_sign));
        try {
            const auto res = storage_http->send(r);
            if (res.ok() || res.status == 409) return std::nullopt;  // 409: ContainerAlreadyExists
            return "HTTP " + std::to_string(res.status) + " " + res.headers.get("x-ms-error-code").value_or("");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
    }

    /// The string-to-sign of a service SAS, signed version 2020-12-06 and later (Azure Storage
    /// "Create a service SAS"): permissions, start, expiry, canonicalized resource
    /// (/blob/{account}/{container}), identifier, IP, protocol, version, resource, snapshot time,
    /// encryption scope, then the five response-header overrides, one per line.
    static std::string sas_string_to_sign(std::map<std::string, std::string> q, const std::string& account, const std::string& container) {
        return q["sp"] + "\n" + q["st"] + "\n" + q["se"] + "\n/blob/" + account + "/" + container + "\n" + q["si"] + "\n" + q["sip"] +
               "\n" + q["spr"] + "\n" + q["sv"] + "\n" + q["sr"] + "\n\n" + q["ses"] + "\n" + q["rscc"] + "\n" + q["rscd"] + "\n" +
               q["rsce"] + "\n" + q["rscl"] + "\n" + q["rsct"];
    }

    /// Service SAS for a container, `permissions` (default read/add/create/write/list), valid for a day.
    std::string container_sas(const std::string& name, const std::string& permissions = "racwl") const {
        const std::string se = utc_format(std::chrono::system_clock::now() + std::chrono::hours(24), "%Y-%m-%dT%H:%M:%SZ");
        const std::map<std::string, std::string> q{{"sp", permissions}, {"se", se}, {"sv", storage_version}, {"sr", "c"}};
        const std::string sig = hmac_sha256_base64(base64_decode(opt.storage.key), sas_string_to_sign(q, opt.storage.account, name));
        return "sv=" + std::string(storage_version) + "&sr=c&sp=" + permissions + "&se=" + http::percent_encode(se) +
               "&sig=" + http::percent_encode(sig);
    }

    /// Whether `query` is a valid container SAS for `container` of the in-memory datastore
    /// account, signed with its key, unexpired, allowing `method` (GET needs r; PUT w, c or a).
    /// Only the 2020-12-06+ layout is accepted (older versions sign fewer fields).
    bool valid_datastore_sas(std::map<std::string, std::string> query, const std::string& container, const std::string& method,
                             bool listing = false) const {
        if (query["sig"].empty() || query["sr"] != "c" || query["sv"] < "2020-12-06") return false;
        const std::string now = utc_format(std::chrono::system_clock::now(), "%Y-%m-%dT%H:%M:%SZ");
        if (query["se"].size() != now.size() || query["se"] <= now) return false;
        const std::string& sp = query["sp"];
        // Service SAS permissions: r reads a blob, l lists a container, w/c/a write.
        const bool allowed = listing ? sp.find('l') != std::string::npos
                             : method == "GET" ? sp.find('r') != std::string::npos
                                               : sp.find_first_of("wca") != std::string::npos;
        return allowed && hmac_sha256_base64(base64_decode(datastore_key), sas_string_to_sign(query, datastore_account, container)) == query["sig"];
    }

    /// True when List Blobs (with the container's SAS) finds at least one blob.
    bool container_has_blobs(const std::string& name, const container_info& c) {
        http::request r;
        r.url = opt.storage.endpoint + "/" + name + "?restype=container&comp=list&maxresults=1&" + c.sas_query;
        r.headers.set("x-ms-version", storage_version);
        try {
            const auto res = storage_http->send(r);
            return res.ok() && res.body.find("<Blob>") != std::string::npos;
        } catch (const std::exception&) {
            return false;
        }
    }

    /// `/storage/<account>/...` -> the storage endpoint, same path, query, headers and body.
    http::response forward_to_storage(const http::request& req) {
        http::request out = req;
        out.url = storage_parts().first + req.url.substr(std::string("/storage").size());
        http::fields headers;
        for (const auto& [k, v] : req.headers)
            if (lower(k) != "host" && lower(k) != "content-length" && lower(k) != "connection") headers.add(k, v);
        out.headers = headers;
        try {
            return storage_http->send(out);
        } catch (const std::exception& e) {
            return blob_error(502, "BadGateway", std::string("emulator: forwarding to storage failed: ") + e.what());
        }
    }

    // ---------------------------------------------------------------- Blob storage (in memory)
    static http::response blob_error(int status, const std::string& code, const std::string& message) {
        http::fields h{{"Content-Type", "application/xml"}, {"x-ms-error-code", code}};
        return {status, "", h, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>" + message + "</Message></Error>"};
    }

    /// List Blobs (Blob service REST API, "List Blobs": GET {container}?restype=container&comp=list
    /// with prefix, marker and maxresults, default and maximum 5000): an EnumerationResults
    /// document, blobs in name order, each <Blob> with <Name> and <Properties><Content-Length>,
    /// and <NextMarker> (empty on the last page) to continue from. Names are XML-escaped.
    http::response list_blobs(const std::string& container_key, std::map<std::string, std::string>& query) {
        const std::string prefix = query["prefix"];
        long max = 5000;
        if (!query["maxresults"].empty()) max = std::clamp(std::stol(query["maxresults"]), 1L, 5000L);
        const auto escape = [](const std::string& t) {
            std::string out;
            for (char ch : t) out += ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : std::string(1, ch);
            return out;
        };
        std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Prefix>" + escape(prefix) + "</Prefix><Blobs>";
        std::string next;
        long n = 0;
        for (auto it = blobs.lower_bound(container_key + std::max(prefix, query["marker"])); it != blobs.end(); ++it) {
            if (it->first.compare(0, container_key.size() + prefix.size(), container_key + prefix) != 0) break;
            const std::string blob_name = it->first.substr(container_key.size());
            if (n == max) {
                next = blob_name;
                break;
            }
            xml += "<Blob><Name>" + escape(blob_name) + "</Name><Properties><Content-Length>" + std::to_string(it->second.size()) +
                   "</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>";
            ++n;
        }
        xml += "</Blobs><NextMarker>" + escape(next) + "</NextMarker></EnumerationResults>";
        return {200, "", {{"Content-Type", "application/xml"}}, xml};
    }

    http::response blob(const http::request& req, const std::string& path, std::map<std::string, std::string>& query) {
        const auto parts = split(path);  // blob, account, container, path...
        const bool listing = parts.size() == 3 && req.method == "GET" && query["restype"] == "container" && query["comp"] == "list";
        if (parts.size() < 4 && !listing) return blob_error(400, "InvalidUri", "expected /blob/{account}/{container}/{blob}");
        auto c = containers.find(parts[2]);
        if (c == containers.end()) return blob_error(404, "ContainerNotFound", "The specified container does not exist.");
        // Identity-based datastore containers take only storage-scoped bearer tokens; key-based
        // ones only SAS signed with the account key; the registry's storage (pending uploads,
        // in a managed resource group where callers hold no data role) only the SAS it issued:
        // the upload SAS of startPendingUpload, or for reading the data-reference SAS.
        const auto& info = c->second;
        bool ok = false;
        if (info.identity) ok = storage_authorized(req);
        else if (info.key_based) ok = valid_datastore_sas(query, parts[2], req.method, listing);
        else ok = (!info.sig.empty() && query["sig"] == info.sig) || (req.method == "GET" && !info.read_sig.empty() && query["sig"] == info.read_sig);
        if (!ok && req.headers.get("Authorization"))  // a valid token, but no data role (Azure Storage error codes)
            return blob_error(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
        if (!ok) return blob_error(403, "AuthenticationFailed", "Server failed to authenticate the request.");
        const std::string name = path.substr(std::string("/blob/").size());
        if (listing) return list_blobs(name + "/", query);
        if (req.method == "GET") {
            auto it = blobs.find(name);
            if (it == blobs.end()) return blob_error(404, "BlobNotFound", "The specified blob does not exist.");
            return {200, "", {{"Content-Type", "application/octet-stream"}, {"Content-MD5", base64_md5(it->second)}}, it->second};
        }
        if (req.method != "PUT") return blob_error(405, "UnsupportedHttpVerb", req.method);
        if (auto md5 = req.headers.get("Content-MD5"); md5 && *md5 != base64_md5(req.body))
            return blob_error(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.");
        const auto comp = query["comp"];
        if (comp == "block") {
            if (query["blockid"].empty()) return blob_error(400, "InvalidQueryParameterValue", "blockid is required");
            blocks[name][query["blockid"]] = req.body;
            return {201, "", {{"Content-MD5", base64_md5(req.body)}}, ""};
        }
        if (comp == "blocklist") {
            std::string data;
            static const std::regex item("<(Latest|Uncommitted|Committed)>([^<]*)</\\1>");
            auto& staged = blocks[name];
            for (auto it = std::sregex_iterator(req.body.begin(), req.body.end(), item); it != std::sregex_iterator(); ++it) {
                const auto id = (*it)[2].str();
                auto b = staged.find(id);
                if (b == staged.end()) return blob_error(400, "InvalidBlockList", "The specified block list is invalid (unknown block " + id + ").");
                data += b->second;
            }
            blobs[name] = data;
            blocks.erase(name);
            return {201, "", {{"ETag", "\"" + std::to_string(++counter) + "\""}}, ""};
        }
        if (!comp.empty()) return blob_error(400, "InvalidQueryParameterValue", "comp=" + comp);
        if (req.headers.get("x-ms-blob-type") != std::optional<std::string>("BlockBlob"))
            return blob_error(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type");
        blobs[name] = req.body;
        return {201, "", {{"Content-MD5", base64_md5(req.body)}, {"ETag", "\"" + std::to_string(++counter) + "\""}}, ""};
    }
};

emulator::emulator(options o) : impl_(std::make_unique<impl>()) {
    impl_->opt = std::move(o);
    auto* d = impl_.get();
    {
        const std::string raw = random_uuid() + random_uuid();  // 72 bytes of key material per emulator
        impl_->datastore_key = base64(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    }
    const detail::extra_context ctx{
        [d] { return d->base(); }, d->tokens, d->resources,
        [d](const std::string& key, json::object value) { d->store(key, std::move(value)); },
        [d](const std::string& key) {
            d->resources.erase(key);
            d->order.erase(std::remove(d->order.begin(), d->order.end(), key), d->order.end());
        },
        [d](const std::string& sub, const std::string& key) { return d->start_lro(sub, key); },
        [d](const std::string& prefix, std::map<std::string, std::string>& q, const std::string& path) { return d->list(prefix, q, path); },
        [d] { return std::to_string(++d->counter); }, d->opt};
    impl_->extra = std::make_unique<detail::extra_routes>(ctx);
    impl_->provision = std::make_unique<detail::provision_routes>(ctx);
    impl_->online = std::make_unique<detail::online_routes>(detail::online_context{d->tokens, d->resources, d->opt});
    impl_->jobs = std::make_unique<detail::job_routes>(detail::jobs_context{
        [d] { return d->base(); }, d->mutex, d->tokens, d->resources, d->blobs,
        [d](const std::string& key, json::object value) { d->store(key, std::move(value)); },
        [d](const std::string& prefix, std::map<std::string, std::string>& q, const std::string& path) { return d->list(prefix, q, path); },
        [d](const http::request& req, const std::vector<std::string>& parts) { return d->start_pending_upload(req, parts); }});
    if (impl_->external_storage()) impl_->storage_http = http::make_transport();
    impl_->server = std::make_unique<test::loopback_server>([this](const http::request& req) {
        try {
            return impl_->handle(req);
        } catch (const dropped_connection&) {
            throw;  // the loopback server closes the connection without answering
        } catch (const std::exception& e) {
            return arm_error(500, "InternalServerError", std::string("emulator: ") + e.what());
        }
    });
}

emulator::~emulator() = default;
std::uint16_t emulator::port() const noexcept { return impl_->server->port(); }
std::string emulator::base_url() const { return impl_->server->base_url(); }

void emulator::set_faults(const fault_options& f) {
    std::lock_guard lock(impl_->mutex);
    impl_->opt.faults = f;
}

stats emulator::snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->st;
}

std::optional<std::string> emulator::blob(const std::string& name) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->blobs.find(name);
    if (it == impl_->blobs.end()) return std::nullopt;
    return it->second;
}

std::string emulator::workspace_blob_endpoint() const { return impl_->base() + "/blob/" + impl::datastore_account; }
std::string emulator::workspace_account_key() const { return impl_->datastore_key; }

std::vector<std::string> emulator::container_sas_uris() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<std::string> out;
    if (!impl_->external_storage()) return out;
    for (const auto& [name, c] : impl_->containers) out.push_back(impl_->opt.storage.endpoint + "/" + name + "?" + c.sas_query);
    return out;
}

std::vector<std::string> emulator::blob_names() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<std::string> out;
    for (const auto& [k, v] : impl_->blobs) out.push_back(k);
    return out;
}

}  // namespace amlops::emulator
