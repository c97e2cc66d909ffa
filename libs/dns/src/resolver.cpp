#include "amlops/dns/resolver.hpp"

#include "amlops/core/error.hpp"

#include <ares.h>
#include <ldns/ldns.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace amlops::dns {

std::string server_address::str() const {
    return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
}

server_address parse_server(std::string_view text, std::string_view flag) {
    auto bad = [&](const std::string& why) -> error {
        return error(error_kind::usage, "expected IP[:PORT] or [IPv6]:PORT, got '" + std::string(text) + "': " + why)
            .on_field(std::string(flag));
    };
    server_address out;
    std::string_view host = text, port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) throw bad("missing ']'");
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') throw bad("expected ':' after ']'");
            port = rest.substr(1);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const auto colon = text.find(':');
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (!ip_address::parse(host)) throw bad("not an IP address (a DNS server is given by address)");
    out.host = std::string(host);
    if (port.data() != nullptr) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            throw bad("the port must be 1-65535");
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

std::string_view to_string(outcome o) noexcept {
    switch (o) {
    case outcome::answer: return "answer";
    case outcome::no_data: return "no_data";
    case outcome::nxdomain: return "nxdomain";
    case outcome::servfail: return "servfail";
    case outcome::refused: return "refused";
    case outcome::timeout: return "timeout";
    case outcome::unreachable: return "unreachable";
    case outcome::cname_loop: return "cname_loop";
    case outcome::chain_too_long: return "chain_too_long";
    case outcome::error: return "error";
    }
    return "error";
}

std::string normalize_name(std::string_view name) {
    std::string out(name);
    while (!out.empty() && out.back() == '.') out.pop_back();
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

namespace {

// c-ares keeps process-wide state that must be initialised once before any channel exists.
void init_cares_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (int rc = ::ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS)
            throw error(error_kind::internal, std::string("c-ares initialisation failed: ") + ::ares_strerror(rc));
    });
}

struct channel_deleter {
    void operator()(ares_channeldata* c) const noexcept { ::ares_destroy(c); }
};
using channel_ptr = std::unique_ptr<ares_channeldata, channel_deleter>;

struct packet_deleter {
    void operator()(ldns_pkt* p) const noexcept { ::ldns_pkt_free(p); }
};
using packet_ptr = std::unique_ptr<ldns_pkt, packet_deleter>;

struct c_string_deleter {
    void operator()(char* s) const noexcept { std::free(s); }
};

struct server_list_deleter {
    void operator()(ares_addr_port_node* n) const noexcept { ::ares_free_data(n); }
};

std::string rdf_name(const ldns_rdf* rdf) {
    std::unique_ptr<char, c_string_deleter> text(::ldns_rdf2str(rdf));
    return text ? normalize_name(text.get()) : std::string();
}

// One name followed for one record type: the current name moves along the CNAME chain, possibly
// over several queries when a server answers a CNAME without its target's records.
struct walk {
    std::size_t index = 0;       // into the names
    ldns_rr_type type = LDNS_RR_TYPE_A;
    std::string current;
    std::vector<std::string> chain;
    std::set<std::string> seen;
    std::vector<ip_address> addresses;
    outcome result = outcome::error;
    std::string detail;
    bool tcp = false;
    int queries = 0;
    bool done = false;
};

// Worst-first order used when the A and AAAA walks of a name disagree and neither has addresses.
int failure_rank(outcome o) {
    switch (o) {
    case outcome::cname_loop: return 0;
    case outcome::chain_too_long: return 1;
    case outcome::nxdomain: return 2;
    case outcome::timeout: return 3;
    case outcome::unreachable: return 4;
    case outcome::servfail: return 5;
    case outcome::refused: return 6;
    case outcome::error: return 7;
    case outcome::no_data: return 8;
    case outcome::answer: return 9;
    }
    return 9;
}

}  // namespace

struct resolver::impl {
    resolver_options options;
    channel_ptr channel;
    std::map<ares_socket_t, short> sockets;  // what c-ares wants polled (sock_state_cb)
    std::deque<walk*> ready;                  // walks waiting for a query slot
    std::size_t in_flight = 0;

    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<impl*>(data);
        if (!readable && !writable) {
            self->sockets.erase(fd);
            return;
        }
        self->sockets[fd] = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    }

    explicit impl(resolver_options o) : options(std::move(o)) {
        init_cares_once();
        ares_options ao{};
        int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
        // No EDNS on purpose: answers over 512 bytes come back truncated and c-ares retries them
        // over TCP, which is exactly the path a large record set takes on a real network.
        // NOCHECKRESP: c-ares 1.18 otherwise turns a SERVFAIL or REFUSED answer into "connection
        // refused" after trying every server, and which of the three happened is the diagnosis.
        // The question check it also skips is done in read_answer().
        ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
        ao.timeout = static_cast<int>(std::max<std::int64_t>(1, options.timeout.count()));
        ao.tries = std::max(1, options.retries + 1);
        ao.sock_state_cb = &impl::on_socket_state;
        ao.sock_state_cb_data = this;
        std::string resolv_conf = options.resolv_conf.string();
        if (options.servers.empty()) {
            mask |= ARES_OPT_RESOLVCONF;
            ao.resolvconf_path = resolv_conf.data();
        }
        ares_channel raw = nullptr;
        if (int rc = ::ares_init_options(&raw, &ao, mask); rc != ARES_SUCCESS)
            throw error(error_kind::config, std::string("cannot create the DNS resolver: ") + ::ares_strerror(rc))
                .in_file(resolv_conf);
        channel.reset(raw);
        if (!options.servers.empty()) {
            std::string csv;
            for (const auto& s : options.servers) {
                if (!csv.empty()) csv.append(",");
                csv.append(s.str());
            }
            if (int rc = ::ares_set_servers_ports_csv(channel.get(), csv.c_str()); rc != ARES_SUCCESS)
                throw error(error_kind::config, "cannot use DNS servers '" + csv + "': " + ::ares_strerror(rc))
                    .on_field("--server");
        }
    }

    std::vector<server_address> current_servers() const {
        ares_addr_port_node* raw = nullptr;
        std::vector<server_address> out;
        if (::ares_get_servers_ports(channel.get(), &raw) != ARES_SUCCESS) return out;
        std::unique_ptr<ares_addr_port_node, server_list_deleter> list(raw);
        for (auto* n = raw; n; n = n->next) {
            ip_address a;
            a.v6 = n->family == AF_INET6;
            std::memcpy(a.bytes.data(), &n->addr, a.v6 ? 16 : 4);
            out.push_back({a.str(), static_cast<std::uint16_t>(n->udp_port ? n->udp_port : 53)});
        }
        return out;
    }

    void finish(walk& w, outcome o, std::string detail = {}) {
        w.result = o;
        w.detail = std::move(detail);
        w.done = true;
    }

    static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
        auto* ctx = static_cast<std::pair<impl*, walk*>*>(arg);
        std::unique_ptr<std::pair<impl*, walk*>> owned(ctx);
        impl& self = *ctx->first;
        --self.in_flight;
        self.handle(*ctx->second, status, abuf, alen);
    }

    void handle(walk& w, int status, const unsigned char* abuf, int alen) {
        switch (status) {
        case ARES_ETIMEOUT: return finish(w, outcome::timeout, "no answer for " + w.current);
        case ARES_ECONNREFUSED: return finish(w, outcome::unreachable, "connection refused asking for " + w.current);
        case ARES_ESERVFAIL: return finish(w, outcome::servfail, "SERVFAIL for " + w.current);
        case ARES_EREFUSED: return finish(w, outcome::refused, "REFUSED for " + w.current);
        case ARES_SUCCESS: case ARES_ENODATA: case ARES_ENOTFOUND: break;
        default: return finish(w, outcome::error, std::string(::ares_strerror(status)) + " for " + w.current);
        }
        if (!abuf || alen <= 0) return finish(w, outcome::error, "empty answer for " + w.current);
        if (alen > 512) w.tcp = true;
        ldns_pkt* raw = nullptr;
        if (::ldns_wire2pkt(&raw, abuf, static_cast<std::size_t>(alen)) != LDNS_STATUS_OK || !raw)
            return finish(w, outcome::error, "malformed answer for " + w.current);
        packet_ptr packet(raw);
        read_answer(w, packet.get());
    }

    // Follows the chain inside one answer, then decides: addresses found, ask again for the chain's
    // end, or a final negative result.
    void read_answer(walk& w, const ldns_pkt* packet) {
        const ldns_rr_list* question = ::ldns_pkt_question(packet);
        if (!question || ::ldns_rr_list_rr_count(question) != 1 ||
            rdf_name(::ldns_rr_owner(::ldns_rr_list_rr(question, 0))) != w.current)
            return finish(w, outcome::error, "answer for another question than " + w.current);
        const ldns_rr_list* answers = ::ldns_pkt_answer(packet);
        const std::size_t count = answers ? ::ldns_rr_list_rr_count(answers) : 0;
        const std::string asked = w.current;
        for (bool moved = true; moved;) {
            moved = false;
            for (std::size_t i = 0; i < count; ++i) {
                const ldns_rr* rr = ::ldns_rr_list_rr(answers, i);
                if (::ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || ::ldns_rr_rd_count(rr) < 1) continue;
                if (rdf_name(::ldns_rr_owner(rr)) != w.current) continue;
                std::string target = rdf_name(::ldns_rr_rdf(rr, 0));
                w.chain.push_back(target);
                if (!w.seen.insert(target).second)
                    return finish(w, outcome::cname_loop, "CNAME chain returns to " + target);
                if (static_cast<int>(w.chain.size()) > options.max_cname_hops)
                    return finish(w, outcome::chain_too_long,
                                  "more than " + std::to_string(options.max_cname_hops) + " CNAME hops");
                w.current = std::move(target);
                moved = true;
                break;
            }
        }
        for (std::size_t i = 0; i < count; ++i) {
            const ldns_rr* rr = ::ldns_rr_list_rr(answers, i);
            if (::ldns_rr_get_type(rr) != w.type || ::ldns_rr_rd_count(rr) < 1) continue;
            if (rdf_name(::ldns_rr_owner(rr)) != w.current) continue;
            const ldns_rdf* data = ::ldns_rr_rdf(rr, 0);
            const std::size_t size = ::ldns_rdf_size(data);
            ip_address a;
            a.v6 = w.type == LDNS_RR_TYPE_AAAA;
            if (size != (a.v6 ? 16u : 4u)) continue;
            std::memcpy(a.bytes.data(), ::ldns_rdf_data(data), size);
            w.addresses.push_back(a);
        }
        if (!w.addresses.empty()) return finish(w, outcome::answer);
        const ldns_pkt_rcode rcode = ::ldns_pkt_get_rcode(packet);
        if (rcode == LDNS_RCODE_NXDOMAIN) return finish(w, outcome::nxdomain, "NXDOMAIN for " + w.current);
        if (rcode != LDNS_RCODE_NOERROR)
            return finish(w, outcome::error, "rcode " + std::to_string(static_cast<int>(rcode)) + " for " + w.current);
        // A CNAME whose target the server did not include: ask for the target itself.
        if (w.current != asked) return ready.push_back(&w);
        return finish(w, outcome::no_data, "no " + std::string(w.type == LDNS_RR_TYPE_A ? "A" : "AAAA") +
                                               " record for " + w.current);
    }

    void start_ready() {
        while (!ready.empty() && in_flight < options.max_in_flight) {
            walk* w = ready.front();
            ready.pop_front();
            ++w->queries;
            ++in_flight;
            auto* arg = new std::pair<impl*, walk*>(this, w);
            // May call on_answer synchronously (e.g. no servers); in_flight is already counted.
            ::ares_query(channel.get(), w->current.c_str(), LDNS_RR_CLASS_IN, static_cast<int>(w->type), &impl::on_answer, arg);
        }
    }

    void run() {
        std::vector<pollfd> fds;
        for (;;) {
            start_ready();
            if (in_flight == 0 && ready.empty()) return;
            fds.clear();
            for (const auto& [fd, events] : sockets) fds.push_back({fd, events, 0});
            timeval max_wait{1, 0}, wait{};
            const timeval* tv = ::ares_timeout(channel.get(), &max_wait, &wait);
            const int ms = static_cast<int>(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000);
            const int n = ::poll(fds.data(), fds.size(), ms);
            if (n <= 0) {
                ::ares_process_fd(channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
                continue;
            }
            for (const auto& p : fds) {
                if (!p.revents) continue;
                const ares_socket_t r = (p.revents & (POLLIN | POLLERR | POLLHUP)) ? p.fd : ARES_SOCKET_BAD;
                const ares_socket_t wr = (p.revents & POLLOUT) ? p.fd : ARES_SOCKET_BAD;
                ::ares_process_fd(channel.get(), r, wr);
            }
        }
    }
};

resolver::resolver(resolver_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
resolver::~resolver() = default;

std::vector<server_address> resolver::servers() const { return impl_->current_servers(); }

std::vector<lookup> resolver::resolve(const std::vector<std::string>& names) {
    const auto started = std::chrono::steady_clock::now();
    const std::size_t types = impl_->options.query_aaaa ? 2 : 1;
    std::vector<walk> walks(names.size() * types);
    for (std::size_t i = 0; i < names.size(); ++i) {
        for (std::size_t t = 0; t < types; ++t) {
            walk& w = walks[i * types + t];
            w.index = i;
            w.type = t == 0 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
            w.current = normalize_name(names[i]);
            w.seen.insert(w.current);
            impl_->ready.push_back(&w);
        }
    }
    impl_->run();
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);

    std::vector<lookup> out(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        lookup& l = out[i];
        l.name = normalize_name(names[i]);
        l.elapsed = elapsed;
        const walk* best = nullptr;  // the walk whose outcome stands for the name
        for (std::size_t t = 0; t < types; ++t) {
            const walk& w = walks[i * types + t];
            l.queries += w.queries;
            l.tcp = l.tcp || w.tcp;
            l.addresses.insert(l.addresses.end(), w.addresses.begin(), w.addresses.end());
            if (!best) best = &w;
            else if (w.result == outcome::answer && best->result != outcome::answer) best = &w;
            else if (best->result != outcome::answer && w.result != outcome::answer &&
                     failure_rank(w.result) < failure_rank(best->result)) best = &w;
        }
        // A loop or an over-long chain is reported even when the other type found addresses.
        for (std::size_t t = 0; t < types; ++t) {
            const walk& w = walks[i * types + t];
            if (w.result == outcome::cname_loop || w.result == outcome::chain_too_long) best = &w;
        }
        l.chain = best->chain;
        l.result = l.addresses.empty() || best->result != outcome::answer ? best->result : outcome::answer;
        if (best->result == outcome::answer && l.addresses.empty()) l.result = outcome::error;
        l.detail = best->detail;
    }
    return out;
}

}  // namespace amlops::dns
