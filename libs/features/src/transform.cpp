#include "amlops/features/transform.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/output_set.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/data/csv.hpp"
#include "amlops/data/numbers.hpp"
#include "amlops/data/pipeline.hpp"
#include "amlops/data/table.hpp"
#include "amlops/features/split.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

namespace amlops::features {
namespace fs = std::filesystem;

row_counts& row_counts::operator+=(const row_counts& o) noexcept {
    rows_read += o.rows_read;
    for (std::size_t i = 0; i < drop_rule_count; ++i) dropped[i] += o.dropped[i];
    rejected += o.rejected;
    kept += o.kept;
    train += o.train;
    test += o.test;
    return *this;
}

namespace {

// Output lines of one chunk. Rows are formatted straight into it (write_csv): appending each
// line to a std::string copied it once more and re-checked the capacity per row.
class line_buffer {
public:
    /// Room for one more line; pass its end to commit().
    char* tail() {
        if (capacity_ - size_ < max_csv_line_bytes) grow();
        return bytes_.get() + size_;
    }
    void commit(char* end) noexcept { size_ = static_cast<std::size_t>(end - bytes_.get()); }
    void clear() noexcept { size_ = 0; }
    std::string_view view() const noexcept { return {bytes_.get(), size_}; }

private:
    void grow() {
        const std::size_t capacity = std::max<std::size_t>(2 * capacity_, std::size_t{1} << 20);
        auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
        if (size_) std::memcpy(bigger.get(), bytes_.get(), size_);
        bytes_ = std::move(bigger);
        capacity_ = capacity;
    }
    std::unique_ptr<char[]> bytes_;
    std::size_t size_ = 0, capacity_ = 0;
};

// One chunk of one input on its way through the pipeline; reused, so buffers keep capacity.
struct work_item {
    std::size_t input = 0;
    data::csv_chunk chunk;
    line_buffer train, test;
    std::string rejects;
    row_counts counts;
    std::array<data::csv_record, 4> records;
};

// An output file staged in the run's output set while its bytes are hashed and counted.
struct hashed_output {
    hashed_output(output_set& set, fs::path p) : file(set.stage(p)) { summary.path = std::move(p); }
    void write(std::string_view bytes) {
        file.write(bytes);
        hash.update(bytes);
        summary.bytes += bytes.size();
        // Start writing to disk as we go: the final fsync would otherwise wait for the whole
        // file (~10% of the run for a 100 MB train.csv). What is left at the end is up to
        // writeback_bytes per file: every 8 MiB left ~7 ms of commit waiting for the disk at the
        // end of a 1M-row run, every 4 MiB ~2 ms, for the same CPU (2 and 1 MiB: no shorter
        // commit, slightly more CPU).
        if ((unflushed += bytes.size()) >= writeback_bytes) {
            file.start_writeback();
            unflushed = 0;
        }
    }
    void finish() { summary.sha256 = hash.hex_digest(); }

    static constexpr std::size_t writeback_bytes = std::size_t{4} << 20;
    atomic_file& file;
    sha256 hash;
    output_summary summary;
    std::size_t unflushed = 0;
};

// How much of one input has been read, and its running hash (when hash_inputs).
struct input_reading {
    std::optional<sha256> hash;
    std::size_t bytes = 0;
};

struct plan_entry {
    fs::path path;
    taxi_layout layout;
    // An input that cannot be opened twice (a pipe, /dev/stdin or <(...) from a process): the
    // header check already read its first block, so it is read on from this chunker.
    std::unique_ptr<data::csv_chunker> opened;
};

// Mapped when possible: chunks are views into the file instead of copies (the main thread
// reads, hashes and writes everything; the copy was a quarter of its time).
std::unique_ptr<data::csv_chunker> open_input(const fs::path& file, const transform_options& o, input_reading& reading) {
    if (o.hash_inputs) reading.hash.emplace();
    return std::make_unique<data::csv_chunker>(
        file, o.chunk_bytes,
        [&reading](std::string_view bytes) {
            if (reading.hash) reading.hash->update(bytes);
            reading.bytes += bytes.size();
        },
        ',', data::csv_chunker::source::map_if_possible);
}

void check_options(const transform_options& o) {
    if (!(o.test_ratio >= 0 && o.test_ratio <= 1))
        throw error(error_kind::usage, "must be between 0 and 1, got " + std::to_string(o.test_ratio)).on_field("--test-ratio");
    if (!(o.max_reject_ratio >= 0 && o.max_reject_ratio <= 1))
        throw error(error_kind::usage, "must be between 0 and 1, got " + std::to_string(o.max_reject_ratio))
            .on_field("--max-reject-ratio");
}

// Expands folders and reads every header up front, so a missing column fails before any output.
// `reading` gets one entry per planned input (a deque: the chunkers keep references).
std::vector<plan_entry> plan_inputs(const std::vector<fs::path>& inputs, const transform_options& o,
                                    std::deque<input_reading>& reading) {
    if (inputs.empty()) throw error(error_kind::usage, "no input files given");
    std::vector<plan_entry> plan;
    for (const auto& input : inputs)
        for (auto& file : data::csv_files(input)) {
            input_reading& r = reading.emplace_back();
            std::error_code ec;
            if (fs::is_regular_file(file, ec)) {
                data::csv_reader reader(file, std::size_t{64} << 10);
                plan.push_back({file, taxi_layout::from_header(reader.header(), file), nullptr});
            } else {
                // Reopening a pipe would go on where the header check stopped: its first block
                // (64 kB) of rows was lost without a word.
                auto chunker = open_input(file, o, r);
                auto layout = taxi_layout::from_header(chunker->header(), file);
                plan.push_back({file, layout, std::move(chunker)});
            }
        }
    return plan;
}

void process_chunk(work_item& item, const plan_entry& entry, const transform_options& o) {
    item.train.clear();
    item.test.clear();
    item.rejects.clear();
    item.counts = {};
    data::csv_parser parser;
    parser.reset(item.chunk.text, item.chunk.first_line, true);
    feature_row row;
    const std::string file = entry.path.string();

    auto add_reject = [&](const data::csv_record& rec, std::string_view reason) {
        ++item.counts.rejected;
        data::append_csv_field(item.rejects, file);
        item.rejects += ',';
        char buf[data::max_number_chars];
        item.rejects.append(buf, data::format_int(buf, static_cast<std::int64_t>(rec.line())));
        item.rejects += ',';
        data::append_csv_field(item.rejects, reason);
        item.rejects += '\n';
    };
    auto handle = [&](const data::csv_record& rec, std::uint64_t split_hash) {
        ++item.counts.rows_read;
        if (!rec.problem().empty()) {
            add_reject(rec, rec.problem());
            return;
        }
        row_verdict v = process_row(entry.layout, rec.fields(), row);
        switch (v.outcome) {
        case row_outcome::drop: ++item.counts.dropped[static_cast<std::size_t>(v.rule)]; break;
        case row_outcome::reject: add_reject(rec, describe_reject(v, entry.layout, rec.fields())); break;
        case row_outcome::keep:
            ++item.counts.kept;
            if (split_unit_of_hash(split_hash) < o.test_ratio) {
                ++item.counts.test;
                item.test.commit(write_csv(item.test.tail(), row, entry.layout, rec.fields()));
            } else {
                ++item.counts.train;
                item.train.commit(write_csv(item.train.tail(), row, entry.layout, rec.fields()));
            }
            break;
        }
    };

    // Rows four at a time, in order: the split hash is a latency-bound multiply chain, and four
    // rows' chains interleaved (hash_bytes_lanes) cost about one. A record's views stay valid
    // while the next ones are parsed into the other records.
    auto& records = item.records;
    for (;;) {
        std::size_t got = 0;
        while (got < records.size() && parser.next(records[got]) == data::csv_status::record) ++got;
        if (got == records.size()) {
            const auto hashes = hash_bytes_lanes<4>(
                {records[0].raw(), records[1].raw(), records[2].raw(), records[3].raw()}, o.seed);
            for (std::size_t k = 0; k < records.size(); ++k) handle(records[k], hashes[k]);
            continue;
        }
        for (std::size_t k = 0; k < got; ++k) handle(records[k], hash_bytes(records[k].raw(), o.seed));
        break;
    }
}

std::string percent(double share) {
    std::string s;
    data::append_double(s, std::round(share * 10000.0) / 100.0);
    return s + "%";
}

}  // namespace

transform_summary run_transform(const std::vector<fs::path>& inputs, const fs::path& output_dir,
                                const transform_options& options) {
    const auto started = options.clock();
    check_options(options);
    std::deque<input_reading> reading;
    std::vector<plan_entry> plan = plan_inputs(inputs, options, reading);

    transform_summary summary;
    summary.test_ratio = options.test_ratio;
    summary.seed = options.seed;
    summary.max_reject_ratio = options.max_reject_ratio;
    for (const auto& entry : plan) summary.inputs.push_back({entry.path, entry.layout.schema(), 0, {}, {}});

    const fs::path& train_dir = options.train_dir.empty() ? output_dir : options.train_dir;
    const fs::path& test_dir = options.test_dir.empty() ? output_dir : options.test_dir;
    // One set: train, test, rejects and (last, the commit record) the report are replaced
    // together, or not at all when the run fails before committing (output_set.hpp).
    output_set outputs;
    hashed_output train(outputs, train_dir / "train.csv"), test(outputs, test_dir / "test.csv"),
        rejects(outputs, output_dir / "rejects.csv");
    {
        std::string header;
        append_csv_header(header);
        train.write(header);
        test.write(header);
        rejects.write("file,line,reason\n");
    }

    // Producer state: the input being read.
    std::size_t current = 0;
    std::unique_ptr<data::csv_chunker> chunker;
    std::size_t finished_inputs = 0;  // consumer side: inputs whose last chunk was written

    auto finish_input = [&] {
        input_reading& r = reading[current];
        if (r.hash) summary.inputs[current].sha256 = r.hash->hex_digest();
        summary.inputs[current].bytes = r.bytes;
        chunker.reset();
        ++current;
    };
    auto produce = [&](work_item& item) {
        for (;;) {
            if (current == plan.size()) return false;
            if (!chunker) {
                plan_entry& entry = plan[current];
                chunker = entry.opened ? std::move(entry.opened) : open_input(entry.path, options, reading[current]);
            }
            if (chunker->next(item.chunk)) {
                item.input = current;
                return true;
            }
            finish_input();
        }
    };
    auto report_finished_inputs = [&](std::size_t up_to) {
        // Inputs before `up_to` have all their chunks consumed.
        for (; finished_inputs < up_to; ++finished_inputs)
            if (options.on_input_done) options.on_input_done(summary.inputs[finished_inputs]);
    };
    auto consume = [&](work_item& item) {
        // The chunk was parsed from a mapping: if the file shrank meanwhile, the worker saw
        // zeros instead of rows, and the run must fail instead of writing them.
        item.chunk.check_source();
        report_finished_inputs(item.input);
        train.write(item.train.view());
        test.write(item.test.view());
        rejects.write(item.rejects);
        summary.inputs[item.input].counts += item.counts;
        // Chunks are consumed in file order, and a later chunk never looks back: keeps the
        // process's resident memory at the chunks in flight instead of the whole input.
        item.chunk.release_source();
    };

    const unsigned workers = data::default_workers(options.workers);
    // Two items per worker, plus a dozen for the gaps when this thread (which cuts, hashes and
    // writes) is not scheduled: with it the run has more threads than cores. 1M rows,
    // 2 workers on 2 cores, 20 interleaved runs: 6 items in flight 308.5 ms wall median (min
    // 281.8), 16 items 288.5 ms (min 256.2), same CPU. An item is ~2 MB of output buffers.
    data::run_ordered<work_item>(
        workers, 2 * workers + 12, produce,
        [&](work_item& item) {
            try {
                process_chunk(item, plan[item.input], options);
            } catch (...) {
                item.chunk.check_source();  // a shrunk input explains the failure better
                throw;
            }
        },
        consume);
    report_finished_inputs(plan.size());

    for (const auto& in : summary.inputs) summary.totals += in.counts;
    train.summary.rows = summary.totals.train;
    test.summary.rows = summary.totals.test;
    rejects.summary.rows = summary.totals.rejected;
    train.finish();
    test.finish();
    rejects.finish();
    summary.train = train.summary;
    summary.test = test.summary;
    summary.rejects = rejects.summary;

    const auto& t = summary.totals;
    if (t.rows_read == 0)
        throw error(error_kind::bad_input, "no data rows: every input has a header only (previous outputs left as they were)")
            .in_file(plan.front().path.string());
    // --max-reject-ratio holds per input file as well as overall: one broken file among many
    // good ones must not pass because the others dilute its share.
    auto share = [](const row_counts& c) {
        return c.rows_read ? static_cast<double>(c.rejected) / static_cast<double>(c.rows_read) : 0.0;
    };
    std::string failure;
    const double reject_share = share(t);
    if (reject_share > options.max_reject_ratio)
        failure = std::to_string(t.rejected) + " of " + std::to_string(t.rows_read) + " rows rejected (" +
                  percent(reject_share) + "), above --max-reject-ratio " + percent(options.max_reject_ratio);
    std::string failed_file;
    for (const auto& in : summary.inputs) {
        if (!failure.empty() || share(in.counts) <= options.max_reject_ratio) continue;
        failed_file = in.path.string();
        failure = std::to_string(in.counts.rejected) + " of " + std::to_string(in.counts.rows_read) + " rows of " +
                  failed_file + " rejected (" + percent(share(in.counts)) + "), above --max-reject-ratio " +
                  percent(options.max_reject_ratio) + " for a single input";
    }
    if (!failure.empty()) {
        // The run is replaced as a whole by its failure: the report (status "failed") and the
        // rejects that explain it, and no train/test (previous ones would not match the report).
        outputs.drop(train.summary.path);
        outputs.drop(test.summary.path);
        summary.train = summary.test = {};
        summary.status = "failed";
        summary.failure = failure;
    }
    summary.seconds = std::chrono::duration<double>(options.clock() - started).count();
    outputs.stage(output_dir / "transform_report.json", json::pretty(to_json(summary)));
    outputs.commit();
    if (!failure.empty()) {
        error e(error_kind::bad_input,
                failure + "; see " + summary.rejects.path.string() + " (train.csv/test.csv not written)");
        if (!failed_file.empty()) e.in_file(failed_file);
        throw e;
    }
    return summary;
}

namespace {

json::object counts_json(const row_counts& c) {
    json::object dropped;
    for (std::size_t i = 0; i < drop_rule_count; ++i)
        dropped[to_string(static_cast<drop_rule>(i))] = c.dropped[i];
    return json::object{{"rows_read", c.rows_read}, {"dropped", std::move(dropped)}, {"rejected", c.rejected},
                        {"kept", c.kept},           {"train", c.train},              {"test", c.test}};
}

json::object output_json(const output_summary& o) {
    return json::object{{"path", o.path.string()}, {"sha256", o.sha256}, {"rows", o.rows}, {"bytes", o.bytes}};
}

}  // namespace

json::value to_json(const transform_summary& s) {
    json::array inputs;
    for (const auto& in : s.inputs) {
        json::object o{{"path", in.path.string()}, {"schema", to_string(in.schema)}, {"bytes", in.bytes},
                       {"sha256", in.sha256.empty() ? json::value(nullptr) : json::value(in.sha256)}};
        for (auto& [k, v] : counts_json(in.counts)) o[k] = v;
        inputs.push_back(std::move(o));
    }
    return json::object{
        {"inputs", std::move(inputs)},
        {"totals", counts_json(s.totals)},
        {"outputs", json::object{{"train", output_json(s.train)}, {"test", output_json(s.test)},
                                 {"rejects", output_json(s.rejects)}}},
        {"status", s.status},
        {"failure", s.failure.empty() ? json::value(nullptr) : json::value(s.failure)},
        {"test_ratio", s.test_ratio},
        {"seed", s.seed},
        {"max_reject_ratio", s.max_reject_ratio},
        {"seconds", s.seconds},
    };
}

}  // namespace amlops::features
