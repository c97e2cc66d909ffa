// The library link graph against the layers of docs/ARCHITECTURE.md: every library is listed in
// exactly one layer, no edge goes to a higher layer, and there is no cycle (edges inside one
// layer are allowed as long as they stay acyclic). The graph file is written by CMake at configure
// time from the targets' link properties (tests/architecture/CMakeLists.txt).

#include "amlops/core/atomic_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using graph = std::map<std::string, std::vector<std::string>>;
using layers = std::map<std::string, int>;

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t start = 0;
    while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
    return s.substr(start);
}

// Rows of the layer table: "| <number> | `lib`, `lib` | ... |".
layers parse_layers(const std::string& doc) {
    layers out;
    std::istringstream in(doc);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| ", 0) != 0) continue;
        std::vector<std::string> cells;
        std::istringstream row(line.substr(1));
        for (std::string cell; std::getline(row, cell, '|');) cells.push_back(trim(cell));
        if (cells.size() < 2 || cells[0].empty() ||
            !std::all_of(cells[0].begin(), cells[0].end(), [](unsigned char c) { return std::isdigit(c); }))
            continue;
        const int layer = std::stoi(cells[0]);
        for (std::size_t open = cells[1].find('`'); open != std::string::npos; open = cells[1].find('`', open + 1)) {
            const std::size_t close = cells[1].find('`', open + 1);
            if (close == std::string::npos) break;
            out[cells[1].substr(open + 1, close - open - 1)] = layer;
            open = close;
        }
    }
    return out;
}

// Lines "<lib>: <dep> <dep>...".
graph parse_graph(const std::string& text) {
    graph out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto& deps = out[trim(line.substr(0, colon))];
        std::istringstream rest(line.substr(colon + 1));
        for (std::string dep; rest >> dep;) deps.push_back(dep);
    }
    return out;
}

// Every rule the graph breaks, one readable line each; empty when the graph is fine.
std::vector<std::string> violations(const graph& g, const layers& l) {
    std::vector<std::string> out;
    for (const auto& [lib, deps] : g) {
        if (!l.count(lib)) out.push_back("library '" + lib + "' is in no layer of docs/ARCHITECTURE.md");
        for (const auto& dep : deps) {
            if (!l.count(lib) || !l.count(dep)) continue;
            if (l.at(dep) > l.at(lib))
                out.push_back("upward edge: " + lib + " (layer " + std::to_string(l.at(lib)) + ") links " + dep +
                              " (layer " + std::to_string(l.at(dep)) + ")");
        }
    }
    for (const auto& [lib, layer] : l)
        if (!g.count(lib)) out.push_back("docs/ARCHITECTURE.md lists '" + lib + "', which is not a library");
    // Cycles: depth-first search, reporting each back edge with the path that closes it.
    std::map<std::string, int> state;  // 0 new, 1 on the stack, 2 done
    std::vector<std::string> stack;
    std::set<std::string> reported;
    std::function<void(const std::string&)> visit = [&](const std::string& lib) {
        state[lib] = 1;
        stack.push_back(lib);
        if (auto it = g.find(lib); it != g.end())
            for (const auto& dep : it->second) {
                if (state[dep] == 1) {
                    std::string cycle;
                    for (auto at = std::find(stack.begin(), stack.end(), dep); at != stack.end(); ++at) cycle += *at + " -> ";
                    if (reported.insert(cycle + dep).second) out.push_back("cycle: " + cycle + dep);
                } else if (state[dep] == 0) {
                    visit(dep);
                }
            }
        stack.pop_back();
        state[lib] = 2;
    };
    for (const auto& [lib, deps] : g)
        if (state[lib] == 0) visit(lib);
    return out;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

}  // namespace

TEST_CASE("the library link graph respects the layers of docs/ARCHITECTURE.md") {
    const layers l = parse_layers(amlops::read_file(AMLOPS_ARCHITECTURE_DOC));
    const graph g = parse_graph(amlops::read_file(AMLOPS_LIBRARY_GRAPH));
    REQUIRE(l.size() > 5);
    REQUIRE(g.size() > 5);
    const auto problems = violations(g, l);
    INFO("graph from " AMLOPS_LIBRARY_GRAPH "\n" << joined(problems));
    CHECK(problems.empty());
}

TEST_CASE("the layer check finds upward edges, cycles and unlisted libraries") {
    const layers l = parse_layers("| Layer | Libraries |\n|---|---|\n| 0 | `core` |\n| 1 | `http`, `data` |\n| 2 | `auth` |\n");
    CHECK(l == layers{{"core", 0}, {"http", 1}, {"data", 1}, {"auth", 2}});
    CHECK(violations(parse_graph("core:\nhttp: core\ndata: core http\nauth: http core\n"), l).empty());
    CHECK(violations(parse_graph("core: auth\nhttp: core\ndata: core\nauth: http\n"), l) ==
          std::vector<std::string>{"upward edge: core (layer 0) links auth (layer 2)", "cycle: auth -> http -> core -> auth"});
    CHECK(violations(parse_graph("core:\nhttp: data\ndata: http\nauth:\n"), l) ==
          std::vector<std::string>{"cycle: data -> http -> data"});
    CHECK(violations(parse_graph("core:\nhttp:\ndata:\nauth:\nxgb: core\n"), l) ==
          std::vector<std::string>{"library 'xgb' is in no layer of docs/ARCHITECTURE.md"});
    CHECK(violations(parse_graph("core:\nhttp:\nauth:\n"), l) ==
          std::vector<std::string>{"docs/ARCHITECTURE.md lists 'data', which is not a library"});
}
