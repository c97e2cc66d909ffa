#include "amlops/azureml/blob.hpp"

#include "amlops/core/error.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace amlops::azureml {
namespace {

std::string without_query(const std::string& url) { return url.substr(0, url.find('?')); }

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

void check(const http::response& res, const std::string& what, const std::string& url) {
    if (res.ok()) return;
    const auto code = res.headers.get("x-ms-error-code");
    // Built with append(): GCC 12 reports false -Wrestrict positives on operator+ chains.
    std::string message = what;
    message.append(" ").append(without_query(url)).append(" failed with HTTP ").append(std::to_string(res.status));
    if (code) message.append(" ").append(*code);
    error e(res.status == 404 ? error_kind::not_found : res.status == 403 ? error_kind::auth : error_kind::service, message);
    e.with_http_status(res.status);
    if (code) e.with_service_code(*code);
    if (auto rid = res.headers.get("x-ms-request-id")) e.with_request_id(*rid);
    throw e;
}

http::response put(http::transport& t, const std::string& url, std::string_view body, http::fields headers) {
    http::request req;
    req.method = "PUT";
    req.url = url;
    req.headers = std::move(headers);
    req.headers.set("x-ms-version", "2023-11-03");
    req.headers.set("Content-MD5", content_md5(body));
    req.body = std::string(body);
    return t.send(req);
}

}  // namespace

std::string content_md5(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr) != 1)
        throw error(error_kind::internal, "OpenSSL MD5 failed");
    return base64(digest, len);
}

std::string blob_url(const std::string& container_sas, const std::string& path) {
    const auto q = container_sas.find('?');
    std::string base = container_sas.substr(0, q);
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string encoded;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto slash = path.find('/', pos);
        if (slash == std::string::npos) slash = path.size();
        encoded.append("/").append(http::percent_encode(path.substr(pos, slash - pos)));
        pos = slash + 1;
    }
    base.append(encoded);
    if (q != std::string::npos) base.append(container_sas.substr(q));
    return base;
}

void upload_blob(http::transport& t, const std::string& url, std::string_view bytes, std::size_t block_size, unsigned parallel) {
    if (block_size == 0) block_size = default_block_size;
    if (bytes.size() <= block_size) {
        check(put(t, url, bytes, {{"x-ms-blob-type", "BlockBlob"}, {"Content-Type", "application/octet-stream"}}), "Put Blob", url);
        return;
    }
    const char sep = url.find('?') == std::string::npos ? '?' : '&';
    const std::size_t count = (bytes.size() + block_size - 1) / block_size;
    std::vector<std::string> ids(count);
    for (std::size_t index = 0; index < count; ++index) {
        // Block ids must all have the same length within a blob: a fixed-width counter.
        char raw[32];
        std::snprintf(raw, sizeof raw, "block-%08zu", index);
        ids[index] = base64(reinterpret_cast<const unsigned char*>(raw), 14);
    }
    // Blocks are independent until Put Block List: `parallel` workers (each on its own pooled
    // connection) take the next block index; the first failure stops the others and is rethrown.
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto worker = [&] {
        for (std::size_t index = next++; index < count && !failed; index = next++) {
            try {
                std::string block_url = url;
                block_url.append(1, sep).append("comp=block&blockid=").append(http::percent_encode(ids[index]));
                check(put(t, block_url, bytes.substr(index * block_size, block_size), {}), "Put Block", url);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!first_error) first_error = std::current_exception();
                failed = true;
            }
        }
    };
    const unsigned workers = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, parallel), count));
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < workers; ++i) threads.emplace_back(worker);
    worker();
    for (auto& th : threads) th.join();
    if (first_error) std::rethrow_exception(first_error);

    std::string list = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : ids) list.append("<Latest>").append(id).append("</Latest>");
    list += "</BlockList>";
    std::string list_url = url;
    list_url.append(1, sep).append("comp=blocklist");
    check(put(t, list_url, list, {{"x-ms-blob-content-md5", content_md5(bytes)}, {"Content-Type", "application/xml"}}),
          "Put Block List", url);
}

std::string sign_container_sas(const std::string& account, const std::string& container, const std::string& account_key,
                               std::string_view permissions, std::chrono::system_clock::time_point expiry) {
    std::string key(3 * (account_key.size() / 4) + 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()), reinterpret_cast<const unsigned char*>(account_key.data()),
                                  static_cast<int>(account_key.size()));
    if (n < 0 || account_key.empty() || account_key.size() % 4 != 0)
        throw error(error_kind::config, "the storage account key of '" + account + "' is not base64");
    key.resize(static_cast<std::size_t>(n));
    for (std::size_t i = account_key.size(); i > 0 && account_key[i - 1] == '='; --i) key.pop_back();  // padding bytes
    const std::time_t tt = std::chrono::system_clock::to_time_t(expiry);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char se[32];
    se[std::strftime(se, sizeof se, "%Y-%m-%dT%H:%M:%SZ", &tm)] = '\0';
    const std::string version = "2023-11-03";
    // permissions, start, expiry, canonicalized resource, identifier, IP, protocol, version,
    // resource, snapshot time, encryption scope, then the five response-header overrides.
    std::string to_sign;
    to_sign.append(permissions).append("\n\n").append(se).append("\n/blob/").append(account).append("/").append(container);
    to_sign.append("\n\n\n\n").append(version).append("\nc\n\n\n\n\n\n\n");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(to_sign.data()),
              to_sign.size(), mac, &len))
        throw error(error_kind::internal, "OpenSSL HMAC-SHA256 failed");
    std::string query = "sv=" + version + "&sr=c&sp=";
    query.append(permissions).append("&se=").append(http::percent_encode(se)).append("&sig=").append(http::percent_encode(base64(mac, len)));
    return query;
}

std::string download_blob(http::transport& t, const std::string& url) {
    http::request req;
    req.url = url;
    req.headers.set("x-ms-version", "2023-11-03");
    auto res = t.send(req);
    check(res, "Get Blob", url);
    return std::move(res.body);
}

namespace {

// The text of the first <tag>...</tag> in `xml` from `from`; nullopt when absent. List Blobs
// answers are flat enough (Name, Content-Length, NextMarker never nest) that this suffices
// without an XML library; entities are decoded by xml_text.
std::optional<std::string> element(std::string_view xml, std::string_view tag, std::size_t from = 0, std::size_t to = std::string_view::npos) {
    // append(), not operator+: GCC 12 reports a false -Wrestrict on the operator+ chain.
    std::string open("<"), close("</");
    open.append(tag).append(">");
    close.append(tag).append(">");
    const auto b = xml.find(open, from);
    if (b == std::string_view::npos || b >= to) return std::nullopt;
    const auto e = xml.find(close, b + open.size());
    if (e == std::string_view::npos || e > to) return std::nullopt;
    return std::string(xml.substr(b + open.size(), e - b - open.size()));
}

std::string xml_text(const std::string& s) {
    static const std::pair<std::string_view, char> entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        bool replaced = false;
        if (s[i] == '&')
            for (const auto& [entity, c] : entities)
                if (s.compare(i, entity.size(), entity) == 0) {
                    out += c;
                    i += entity.size();
                    replaced = true;
                    break;
                }
        if (!replaced) out += s[i++];
    }
    return out;
}

}  // namespace

std::vector<blob_item> list_blobs(http::transport& t, const std::string& container_url, const std::string& prefix, std::size_t page_size) {
    const auto q = container_url.find('?');
    std::string base = container_url.substr(0, q);
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string query = "restype=container&comp=list&prefix=" + http::percent_encode(prefix);
    if (page_size) query += "&maxresults=" + std::to_string(page_size);
    if (q != std::string::npos && q + 1 < container_url.size()) query += "&" + container_url.substr(q + 1);
    std::vector<blob_item> out;
    std::string marker;
    for (int page = 0; page < 100'000; ++page) {
        http::request req;
        req.url = base + "?" + query + (marker.empty() ? "" : "&marker=" + http::percent_encode(marker));
        req.headers.set("x-ms-version", "2023-11-03");
        const auto res = t.send(req);
        check(res, "List Blobs", req.url);
        const std::string_view xml = res.body;
        for (std::size_t at = xml.find("<Blob>"); at != std::string_view::npos; at = xml.find("<Blob>", at + 1)) {
            const auto end = xml.find("</Blob>", at);
            auto name = element(xml, "Name", at, end);
            if (!name) throw error(error_kind::service, "List Blobs of " + base + ": a <Blob> without <Name>");
            blob_item item{xml_text(*name), 0};
            if (auto size = element(xml, "Content-Length", at, end)) item.size = std::strtoull(size->c_str(), nullptr, 10);
            out.push_back(std::move(item));
        }
        auto next = element(xml, "NextMarker");
        if (!next || next->empty()) return out;
        marker = xml_text(*next);
    }
    throw error(error_kind::service, "List Blobs of " + base + ": too many pages");
}

}  // namespace amlops::azureml
