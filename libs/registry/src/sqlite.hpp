#pragma once
// RAII over sqlite3* and sqlite3_stmt*. Every return code is checked; failures become
// amlops::error carrying SQLite's message and the database file.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace amlops::registry::detail {

class database;

/// A prepared statement. bind() uses 1-based indexes; step() returns true while a row is available.
class statement {
public:
    statement(database& db, std::string_view sql);
    ~statement();
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int i, std::int64_t v);
    statement& bind(int i, std::string_view v);
    statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    statement& bind(int i, const std::optional<std::string>& v);
    statement& bind_null(int i);
    /// Advances; true when a row is available, false when done. Throws on error.
    bool step();
    /// Runs a statement that returns no rows.
    void run();
    /// Resets for re-execution with new bindings.
    void reset();

    std::int64_t column_int(int i) const;
    std::string column_text(int i) const;
    std::optional<std::string> column_optional_text(int i) const;
    bool column_is_null(int i) const;
    /// The raw statement, for zero-copy column access in hot loops.
    sqlite3_stmt* handle() const noexcept { return stmt_; }

private:
    database& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

/// An open database connection.
class database {
public:
    database(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    /// Runs SQL without results (may contain several statements).
    void exec(const char* sql);
    /// Throws amlops::error if rc is not one of the ok codes; `what` says which call failed.
    void check(int rc, std::string_view what) const;
    sqlite3* handle() const noexcept { return db_; }
    const std::filesystem::path& file() const noexcept { return file_; }
    std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

private:
    std::filesystem::path file_;
    sqlite3* db_ = nullptr;
};

/// BEGIN IMMEDIATE (takes the write lock up front, so concurrent writers queue on the busy
/// timeout instead of failing on lock upgrade) ... COMMIT; rolls back if not committed.
class write_transaction {
public:
    explicit write_transaction(database& db);
    ~write_transaction();
    write_transaction(const write_transaction&) = delete;
    write_transaction& operator=(const write_transaction&) = delete;
    void commit();

private:
    database& db_;
    bool open_ = true;
};

/// A read transaction: a consistent snapshot across several SELECTs.
class read_transaction {
public:
    explicit read_transaction(database& db);
    ~read_transaction();
    read_transaction(const read_transaction&) = delete;
    read_transaction& operator=(const read_transaction&) = delete;

private:
    database& db_;
};

}  // namespace amlops::registry::detail
