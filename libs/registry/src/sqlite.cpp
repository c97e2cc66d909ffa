#include "sqlite.hpp"

#include "amlops/core/error.hpp"

namespace amlops::registry::detail {

namespace {

/// Storage-level failures (locked, full disk, corrupt file) are io; anything else is a bug in
/// our SQL or a failing library, i.e. internal. Both exit 1.
error_kind kind_for(int rc) {
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_READONLY:
    case SQLITE_PERM: return error_kind::io;
    default: return error_kind::internal;
    }
}

}  // namespace

database::database(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout) : file_(file) {
    const int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw error(kind_for(rc), "cannot open registry database: " + msg).in_file(file.string());
    }
    sqlite3_extended_result_codes(db_, 1);
    check(sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count())), "busy_timeout");
    // Every tool run is a short-lived process; checkpointing the WAL when it closes costs two
    // more syncs per run (and re-creating the WAL next time another one plus a directory sync).
    // SQLite's automatic checkpoint (every ~1000 pages) keeps the WAL bounded instead; committed
    // transactions are durable in the WAL either way.
    check(sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr), "no_ckpt_on_close");
}

database::~database() {
    // Statements are RAII-finalized before the database, so close cannot be refused for them.
    sqlite3_close(db_);
}

void database::check(int rc, std::string_view what) const {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    std::string msg = sqlite3_errmsg(db_);
    if (msg.empty() || msg == "not an error") msg = sqlite3_errstr(rc);
    throw error(kind_for(rc), "registry database: " + std::string(what) + ": " + msg).in_file(file_.string());
}

void database::exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw error(kind_for(rc), "registry database: " + msg).in_file(file_.string());
    }
}

statement::statement(database& db, std::string_view sql) : db_(db) {
    db_.check(sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr), "prepare");
}

statement::~statement() { sqlite3_finalize(stmt_); }

statement& statement::bind(int i, std::int64_t v) {
    db_.check(sqlite3_bind_int64(stmt_, i, v), "bind");
    return *this;
}

statement& statement::bind(int i, std::string_view v) {
    db_.check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT), "bind");
    return *this;
}

statement& statement::bind(int i, const std::optional<std::string>& v) {
    return v ? bind(i, std::string_view(*v)) : bind_null(i);
}

statement& statement::bind_null(int i) {
    db_.check(sqlite3_bind_null(stmt_, i), "bind");
    return *this;
}

bool statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_.check(rc, "step");
    return false;
}

void statement::run() {
    while (step()) {
    }
    reset();
}

void statement::reset() {
    db_.check(sqlite3_reset(stmt_), "reset");
    db_.check(sqlite3_clear_bindings(stmt_), "clear_bindings");
}

std::int64_t statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }

std::string statement::column_text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    const int n = sqlite3_column_bytes(stmt_, i);
    return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::optional<std::string> statement::column_optional_text(int i) const {
    if (column_is_null(i)) return std::nullopt;
    return column_text(i);
}

bool statement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

write_transaction::write_transaction(database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

write_transaction::~write_transaction() {
    if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void write_transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

read_transaction::read_transaction(database& db) : db_(db) { db_.exec("BEGIN DEFERRED"); }

read_transaction::~read_transaction() { sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); }

}  // namespace amlops::registry::detail
