// dist_bench on caf-otp's older distribution (otp/dist/distribution.hpp, CAF's BASP) over TCP:
// the same server and client with typed requests, as two caf-otp nodes use it today.

#include "dist_bench.hpp"

#include <otp/dist/distribution.hpp>

#include <caf/meta/type_name.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace dist_bench {

struct bump {
  std::int32_t by = 1;
};
struct blob {
  std::string data;
};
struct get_count {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bump& x) {
  return f(caf::meta::type_name("dist_bench::bump"), x.by);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, blob& x) {
  return f(caf::meta::type_name("dist_bench::blob"), x.data);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_count&) {
  return f(caf::meta::type_name("dist_bench::get_count"));
}

/// The BASP twin of dist_bench.erl's server.
class typed_bench {
 public:
  using remote_requests = otp::types<bump, blob, get_count>;
  std::int64_t handle_call(const bump& b) { return n_ += b.by; }
  std::int64_t handle_call(const get_count&) { return n_; }
  std::int64_t handle_call(const blob&) { return ++n_; }
  void handle_cast(const bump& b) { n_ += b.by; }
  void handle_cast(const blob&) { ++n_; }

 private:
  std::int64_t n_ = 0;
};

namespace {

otp::dist::options basp_options(const char* name, const char* dir) {
  otp::dist::options o;
  o.name = name;
  o.directory = dir;
  o.cookie = "distbench";
  o.carriers = otp::dist::carrier::parse("tcp").value();
  o.types.expose<typed_bench>();
  return o;
}

driver client_driver(otp::server_ref<typed_bench> s) {
  return driver{
    .call = [s] { (void)otp::gen_server::call(s, bump{1}); },
    .cast = [s] { otp::gen_server::cast(s, bump{1}); },
    .blob = [s, b = blob{std::string(4096, 'x')}] { otp::gen_server::cast(s, b); },
    .blob_call = [s, b = blob{std::string(4096, 'x')}] { (void)otp::gen_server::call(s, b); },
    // BASP has no back-pressure: the casts queue up, so the call closing a batch may wait long.
    .sync = [s] { (void)otp::gen_server::call(s, get_count{}, std::chrono::seconds{60}); },
  };
}

}  // namespace

int run_basp(int argc, char** argv) {
  std::string_view role = argc > 2 ? argv[2] : "";
  bool server = role == "server" && argc > 3;
  if (!server && !(role == "client" && argc > 4)) {
    std::fprintf(stderr, "usage: dist_bench basp server DIR | client DIR ADDRESS [N C B]\n");
    return 2;
  }
  auto o = basp_options(server ? "beta" : "alpha", argv[3]);
  otp::node_options opts{.threads = 2, .log = otp::log_level::warning};
  otp::dist::configure(opts, o);
  otp::node node{opts};
  if (auto started = otp::dist::start(node, o); !started) {
    std::fprintf(stderr, "dist_bench: %s\n", otp::dist::to_string(started.error()).c_str());
    return 1;
  }
  if (server) {
    (void)otp::gen_server::start<typed_bench>(node, otp::start_options{"bench"});
    std::printf("address %s\n", otp::dist::addresses(node).front().c_str());
    serve_forever();
  }
  auto remote = otp::dist::whereis<typed_bench>(node, "bench", argv[4]);
  if (!remote) {
    std::fprintf(stderr, "dist_bench: whereis: %s\n", remote.error().what());
    return 1;
  }
  return run_client(
    node, [s = *remote] { return client_driver(s); }, parse_counts(argc, argv, 5));
}

}  // namespace dist_bench
