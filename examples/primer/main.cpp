// primer: Erlang/OTP's ideas in caf-otp, one function each, in the order docs/primer.md
// explains them: processes and their mailboxes, links and exit signals, monitors, gen_server
// as a behaviour, "let it crash" under a supervisor, restart intensity.

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include <otp/receive.hpp>
#include <otp/spawn.hpp>
#include <otp/supervisor.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

// -- processes, messages, mailboxes ------------------------------------------------------------

struct greet {
  otp::pid from;
  std::string name;
};
struct greeting {
  std::string text;
};

void processes(otp::node& node) {
  auto greeter = otp::spawn(node, [] {
    auto g = otp::receive<greet>();  // waits for a greet; other messages stay in the mailbox
    otp::send(g.from, greeting{"hello, " + g.name});
  });
  auto asker = otp::spawn(node, [greeter] {
    otp::send(greeter, greet{otp::self(), "world"});
    auto reply = otp::receive<greeting>(1s);  // std::nullopt if nothing came within 1 s
    fmt::print("{}\n", reply ? reply->text : "no reply");
  });
  otp::await_exit(asker);  // main is not a process: it waits for one to exit
}

// -- links and exit signals --------------------------------------------------------------------

void links(otp::node& node) {
  auto bystander = otp::spawn(node, [] {
    otp::spawn_link([] { throw std::runtime_error("disk on fire"); });
    otp::receive<greeting>();  // never returns: the linked crash ends this process too
  });
  fmt::print("linked, not trapping: {}\n", otp::await_exit(bystander).value());

  auto trapper = otp::spawn(node, [] {
    otp::trap_exit(true);  // exit signals from links now arrive as messages
    otp::spawn_link([] { throw std::runtime_error("disk on fire"); });
    auto trapped = otp::receive<otp::exit_signal>();
    fmt::print("linked, trapping: got {}\n", trapped);
  });
  otp::await_exit(trapper);
}

// -- monitors ----------------------------------------------------------------------------------

void monitors(otp::node& node) {
  auto watcher = otp::spawn(node, [] {
    otp::spawn_monitor([] { otp::exit(otp::exit_reason::error("no work")); });
    auto down = otp::receive<otp::down>();  // a message; the watcher itself is unaffected
    fmt::print("monitor: {} went down: {}\n", down.pid, down.reason);
  });
  otp::await_exit(watcher);
}

// -- gen_server: a behaviour -------------------------------------------------------------------

struct parse {
  std::string text;
};
struct parsed_so_far {};

/// The generic part (the receive loop, calls and their replies, timeouts, system messages,
/// crash reports) is the library's; the class has only the state and the callbacks.
class parser {
 public:
  int handle_call(const parse& p) {
    ++parsed_;
    return std::stoi(p.text);  // no error handling: bad input crashes the server
  }
  int handle_call(const parsed_so_far&) { return parsed_; }

 private:
  int parsed_ = 0;
};

// -- let it crash ------------------------------------------------------------------------------

void let_it_crash(otp::node& node) {
  auto sup =
    otp::supervisor::start_link(
      node, {.strategy = otp::strategy::one_for_one},
      {{.id = "parser", .start = otp::start_with<parser>(otp::start_options{.name = "parser"})}})
      .value();
  auto p = otp::gen_server::whereis<parser>(node, "parser").value();
  fmt::print("parse 42 -> {}\n", otp::gen_server::call(p, parse{"42"}));
  auto bad = otp::gen_server::try_call(p, parse{"forty-two"});  // the server crashes
  fmt::print("parse forty-two -> {}\n", bad.error());

  // The supervisor restarts it, with fresh state, under the same name (wait until it has).
  while (otp::supervisor::which_children(sup).value().at(0).restarts == 0)
    otp::sleep(1ms);
  auto again = otp::gen_server::whereis<parser>(node, "parser").value();
  auto seven = otp::gen_server::call(again, parse{"7"});
  fmt::print("restarted: parse 7 -> {}, parsed since: {}\n", seven,
             otp::gen_server::call(again, parsed_so_far{}));
  (void)otp::gen_server::stop(sup);
}

// -- restart intensity -------------------------------------------------------------------------

struct boom {};

/// A worker that cannot stay up: it crashes 10 ms after every start.
struct fragile {
  using info_types = otp::types<boom>;
  void init() { otp::send_after(10ms, boom{}); }
  void handle_info(const boom&) { throw std::runtime_error("boom"); }
};

void restart_intensity(otp::node& node) {
  // At most 2 restarts within 5 s; the third crash makes the supervisor give up.
  auto sup = otp::supervisor::start_link(node, {.intensity = 2, .period = 5s},
                                         {{.id = "fragile", .start = otp::start_with<fragile>()}})
               .value();
  fmt::print("the supervisor gave up: {}\n", otp::await_exit(sup, 5s).value());
}

int main() {
  otp::node node{{.log = otp::log_level::none}};  // no crash reports on stderr here
  processes(node);
  links(node);
  monitors(node);
  let_it_crash(node);
  restart_intensity(node);
}

// Output (pids differ from run to run):
//   hello, world
//   linked, not trapping: {exception,disk on fire}
//   linked, trapping: got {'EXIT',<0.9.0>,{exception,disk on fire}}
//   monitor: <0.11.0> went down: no work
//   parse 42 -> 42
//   parse forty-two -> call failed: server exited with reason {exception,stoi}
//   restarted: parse 7 -> 7, parsed since: 1
//   the supervisor gave up: shutdown
