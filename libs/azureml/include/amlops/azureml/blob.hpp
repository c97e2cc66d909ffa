#pragma once
// The few Blob REST API calls the registry backend needs: upload a file to a container SAS
// (Put Blob, or Put Block + Put Block List above the block size, each with Content-MD5) and read
// a blob back. Authorization is the caller's choice of transport: a plain transport for SAS
// URLs, or an http::pipeline with a credential and the storage scope
// (https://storage.azure.com/.default) for Entra ID (identity-based datastores); every request
// sends x-ms-version 2023-11-03, which bearer tokens need (>= 2017-11-09).

#include "amlops/http/transport.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace amlops::azureml {

/// Block size and the single-request limit (4 MiB): larger files go up in blocks.
inline constexpr std::size_t default_block_size = 4u * 1024u * 1024u;

/// base64(MD5(data)), the Content-MD5 header value.
std::string content_md5(std::string_view data);

/// URL of blob `path` ('/'-separated, percent-encoded per segment) inside the container that
/// `container_sas` (https://acct/container?sv=...&sig=...) points at, keeping the SAS query.
std::string blob_url(const std::string& container_sas, const std::string& path);

/// Blocks uploaded at once (each on its own connection) for a blob above the block size.
inline constexpr unsigned default_upload_parallelism = 2;

/// Uploads `bytes` to `url` (a blob URL with SAS, or without one when `t` adds a bearer token): one Put Blob up to `block_size` (0 = the
/// default), else Put Block for each block — `parallel` at a time — then Put Block List; every
/// request carries Content-MD5, the block list the whole blob's MD5. `t` must allow concurrent
/// sends (every amlops transport does). Throws amlops::error(service) naming the blob path
/// (never the SAS) on a non-2xx answer.
void upload_blob(http::transport& t, const std::string& url, std::string_view bytes,
                 std::size_t block_size = default_block_size, unsigned parallel = default_upload_parallelism);

/// A service SAS query string (no leading '?') for container `container` of storage account
/// `account`, signed with the base64 account key `account_key` (what Datastores_ListSecrets
/// answers for a key-based datastore): signed version 2023-11-03 (the 16-field string-to-sign
/// of versions 2020-12-06 and later, Azure Storage "Create a service SAS"), resource `c`,
/// `permissions` (e.g. "racwl"), expiry `expiry`, https and http both allowed. Throws
/// error(config) when the key is not base64.
std::string sign_container_sas(const std::string& account, const std::string& container, const std::string& account_key,
                               std::string_view permissions, std::chrono::system_clock::time_point expiry);

/// One blob of a listing: its full name in the container and its size in bytes.
struct blob_item {
    std::string name;
    std::uint64_t size = 0;
};

/// List Blobs (GET {container}?restype=container&comp=list&prefix=P, following NextMarker over
/// every page) for the blobs whose names start with `prefix`. `container_url` may carry a SAS.
/// `page_size` (maxresults) 0 takes the service's default page (5000).
std::vector<blob_item> list_blobs(http::transport& t, const std::string& container_url, const std::string& prefix,
                                  std::size_t page_size = 0);

/// Reads a blob. Throws error(not_found) for 404, error(service) otherwise.
std::string download_blob(http::transport& t, const std::string& url);

}  // namespace amlops::azureml
