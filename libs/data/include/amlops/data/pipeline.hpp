#pragma once
// A bounded, ordered produce -> work (in parallel) -> consume pipeline: the shape of every
// "read a big file in chunks, crunch chunks on all cores, write results in input order" job.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace amlops::data {

/// Number of worker threads to use when the caller says 0: the hardware's, at least 1.
inline unsigned default_workers(unsigned requested = 0) noexcept {
    if (requested > 0) return requested;
    return std::max(1u, std::thread::hardware_concurrency());
}

/// Runs the pipeline until `produce` returns false.
///
/// - `produce(Item&) -> bool` fills the next item; called on the calling thread, in order.
/// - `work(Item&)` processes one item in place on one of `workers` threads, concurrently with
///   other items (so it must only touch its item and shared read-only state).
/// - `consume(Item&)` is called on the calling thread, in production order.
///
/// At most `in_flight` items exist (they are reused, so their buffers keep their capacity):
/// memory stays bounded however long the input. An exception from `work` on item k is rethrown
/// by the step that would have consumed item k, so the earliest failing item in input order
/// wins, as in a sequential loop; exceptions from produce/consume propagate after the workers
/// have stopped.
template <class Item, class Produce, class Work, class Consume>
void run_ordered(unsigned workers, std::size_t in_flight, Produce&& produce, Work&& work, Consume&& consume) {
    workers = default_workers(workers);
    in_flight = std::max<std::size_t>(in_flight, 1);
    enum class slot_state { free, queued, done };
    std::vector<Item> items(in_flight);
    std::vector<slot_state> state(in_flight, slot_state::free);
    std::vector<std::exception_ptr> failure(in_flight);
    std::deque<std::size_t> queue;
    std::mutex mutex;
    std::condition_variable work_ready, item_done;
    bool stopping = false;

    auto worker_loop = [&] {
        for (;;) {
            std::size_t slot;
            {
                std::unique_lock lock(mutex);
                work_ready.wait(lock, [&] { return stopping || !queue.empty(); });
                if (stopping) return;
                slot = queue.front();
                queue.pop_front();
            }
            try {
                work(items[slot]);
            } catch (...) {
                failure[slot] = std::current_exception();
            }
            {
                std::lock_guard lock(mutex);
                state[slot] = slot_state::done;
            }
            item_done.notify_all();
        }
    };

    std::vector<std::thread> threads;
    auto stop_all = [&] {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        work_ready.notify_all();
        for (auto& t : threads)
            if (t.joinable()) t.join();
    };

    std::size_t produced = 0, consumed = 0;
    auto consume_next = [&] {
        std::size_t slot = consumed % in_flight;
        {
            std::unique_lock lock(mutex);
            item_done.wait(lock, [&] { return state[slot] == slot_state::done; });
            state[slot] = slot_state::free;
        }
        ++consumed;
        if (failure[slot]) {
            auto e = failure[slot];
            failure[slot] = nullptr;
            std::rethrow_exception(e);
        }
        consume(items[slot]);
    };

    try {
        threads.reserve(workers);
        for (unsigned i = 0; i < workers; ++i) threads.emplace_back(worker_loop);
        for (;;) {
            if (produced - consumed == in_flight) consume_next();
            std::size_t slot = produced % in_flight;
            if (!produce(items[slot])) break;
            {
                std::lock_guard lock(mutex);
                state[slot] = slot_state::queued;
                queue.push_back(slot);
            }
            work_ready.notify_one();
            ++produced;
        }
        while (consumed < produced) consume_next();
    } catch (...) {
        stop_all();
        throw;
    }
    stop_all();
}

}  // namespace amlops::data
