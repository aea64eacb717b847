// dist_bench on Erlang's distribution protocol (otp/dist/erlang.hpp): a served term gen_server,
// and a client that calls and casts as Erlang's gen_server puts them on the wire. With
// DIST_TYPED=1, both take C++ types instead (records through their inspect: {bump,1}, {blob,
// Bytes}), served by overload and called with gen_server::call on a remote_server.

#include "dist_bench.hpp"

#include <otp/dist/erlang.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace dist_bench {

namespace {

using otp::term;
namespace erl = otp::dist::erlang;

/// The C++ twin of dist_bench.erl's server: a call answers the number of requests so far.
struct term_bench {
  std::int64_t n = 0;
  term handle_call(const term&) { return term{++n}; }
  void handle_cast(const term&) { ++n; }
};

struct bump {
  std::int64_t by = 1;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bump& x) {
  return f(caf::meta::type_name("bump"), x.by);
}

struct blob {
  std::string bytes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, blob& x) {
  return f(caf::meta::type_name("blob"), x.bytes);
}

/// term_bench with C++ types: the same replies, and `get` (an atom, from Erlang's client) by
/// its term callback.
struct typed_bench {
  using remote_requests = otp::types<bump, blob>;
  std::int64_t n = 0;
  std::int64_t handle_call(const bump&) { return ++n; }
  std::int64_t handle_call(const blob&) { return ++n; }
  std::int64_t handle_call(const term&) { return n; }
  void handle_cast(const bump&) { ++n; }
  void handle_cast(const blob&) { ++n; }
};

bool typed() {
  const char* t = std::getenv("DIST_TYPED");
  return t != nullptr && std::string{t} == "1";
}

std::unique_ptr<erl::distribution> start(otp::node& node, const char* name) {
  erl::options o;
  o.name = name;
  o.cookie = "distbench";
  // DIST_CARRIER=uds: Unix sockets in DIST_DIR (no epmd), as run_dist.sh's cpp_erl_uds.
  if (const char* carrier = std::getenv("DIST_CARRIER"); carrier && std::string{carrier} == "uds") {
    o.carrier = erl::options::carrier_type::uds;
    if (const char* dir = std::getenv("DIST_DIR"))
      o.directory = dir;
  }
  auto started = erl::distribution::start(node, o);
  if (!started) {
    std::fprintf(stderr, "dist_bench: %s\n", fmt::format("{}", started.error()).c_str());
    std::exit(1);
  }
  return std::move(*started);
}

term gen_cast(term request) {
  return term::tuple({term::make_atom("$gen_cast"), std::move(request)});
}

driver client_driver(erl::distribution& dist, const std::string& target) {
  auto bump = term::tuple({term::make_atom("bump"), term{1}});
  auto blob = term::tuple({term::make_atom("blob"), term::binary(std::string(4096, 'x'))});
  auto call = [&dist, target](term request) {
    if (auto r = dist.call("bench", target, std::move(request), std::chrono::seconds{60}); !r) {
      fmt::print(stderr, "dist_bench: call failed: {}\n", to_string(r.error().what_kind()));
      std::_Exit(1);
    }
  };
  return driver{
    .call = [call, bump] { call(bump); },
    .cast = [&dist, target, msg = gen_cast(bump)] { dist.send("bench", target, msg); },
    .blob = [&dist, target, msg = gen_cast(blob)] { dist.send("bench", target, msg); },
    .blob_call = [call, blob] { call(blob); },
    .sync = [call] { call(term::make_atom("get")); },
  };
}

driver typed_driver(erl::distribution& dist, const std::string& target) {
  auto server = dist.remote<typed_bench>("bench", target);
  auto call = [server](const auto& request) {
    if (auto r = otp::gen_server::try_call(server, request, std::chrono::seconds{60}); !r) {
      fmt::print(stderr, "dist_bench: call failed: {}\n", to_string(r.error().what_kind()));
      std::_Exit(1);
    }
  };
  blob b{std::string(4096, 'x')};
  return driver{
    .call = [call] { call(bump{1}); },
    .cast = [server] { otp::gen_server::cast(server, bump{1}); },
    .blob = [server, b] { otp::gen_server::cast(server, b); },
    .blob_call = [call, b] { call(b); },
    .sync = [call] { call(bump{0}); },
  };
}

}  // namespace

int run_erlang(int argc, char** argv) {
  std::string_view role = argc > 2 ? argv[2] : "";
  otp::node node{otp::node_options{.threads = 2, .log = otp::log_level::warning}};
  if (role == "server" && argc > 3) {
    auto dist = start(node, argv[3]);
    if (typed())
      dist->serve(
        otp::gen_server::start<typed_bench>(node, otp::start_options{.name = "bench"}).value());
    else
      dist->serve(
        otp::gen_server::start<term_bench>(node, otp::start_options{.name = "bench"}).value());
    serve_forever();
  }
  if (role == "client" && argc > 4) {
    auto dist = start(node, argv[3]);
    std::string target = argv[4];
    if (auto up = dist->connect(target); !up) {
      std::fprintf(stderr, "dist_bench: connect %s: %s\n", argv[4],
                   fmt::format("{}", up.error()).c_str());
      return 1;
    }
    return run_client(
      node, [&] { return typed() ? typed_driver(*dist, target) : client_driver(*dist, target); },
      parse_counts(argc, argv, 5));
  }
  std::fprintf(stderr,
               "usage: dist_bench erl server NAME | client NAME TARGET [N CAST_N BLOB_N]\n");
  return 2;
}

}  // namespace dist_bench
