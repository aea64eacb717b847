// gen_server calls and casts through the pid of a process of an Erlang node
// (`otp::gen_server::call(server_ref<S>{pid}, request)`), as Erlang's gen module puts them on
// the wire: the request as its term (otp/dist/term_types.hpp), `{'$gen_call', {From, Ref},
// Term}` under a monitor of the process, and the reply `{Ref, Reply}` converted to the
// caller's reply type through the same registry. The call waits as `distribution::call` does
// (pending_calls.hpp): a process parks, a plain thread blocks; whatever ends the wait, the
// entry and the monitor go with it.

#include "dist/erlang/control.hpp"
#include "dist/erlang/kernel.hpp"
#include "dist/erlang/remote_process.hpp"

#include "otp/detail/type_name.hpp"
#include "otp/detail/waiting_process.hpp"
#include "otp/dist/term_types.hpp"
#include "process/process_core.hpp"

#include <fmt/format.h>

#include <memory>
#include <new>

namespace otp::dist::erlang {

namespace {

using otp::detail::box_maker;
using otp::detail::dispatch;
using otp::detail::message_ref;

/// `T` of a `box<T>`'s type, as a report names it.
std::string value_type(const std::type_info& boxed) {
  if (boxed == typeid(otp::detail::box<std::string>))
    return "std::string";  // not its demangled basic_string<char, char_traits<char>, ...>
  auto name = otp::detail::demangle(boxed);
  constexpr std::string_view box = "otp::detail::box<";
  if (name.starts_with(box) && name.ends_with('>'))
    return name.substr(box.size(), name.size() - box.size() - 1);
  return name;
}

/// A request built where it can be read (what a message would hold), and destroyed with it.
struct boxed_request {
  explicit boxed_request(box_maker m) : ops(m.ops) {
    at = ::operator new (ops->size, std::align_val_t{ops->align});
    try {
      m.make(m.context, at);
    } catch (...) {
      ::operator delete (at, std::align_val_t{ops->align});
      throw;
    }
  }
  ~boxed_request() {
    ops->destroy(at);
    ::operator delete (at, std::align_val_t{ops->align});
  }
  boxed_request(const boxed_request&) = delete;
  boxed_request& operator=(const boxed_request&) = delete;

  const otp::detail::box_ops* ops;
  void* at = nullptr;
};

call_error refusal(std::string why) {
  return call_error{call_error::kind::badarg, exit_reason::error(std::move(why))};
}

}  // namespace

void remote_process::notice(std::string text) {
  with_kernel(
    [&](distribution::impl& k) { k.node_.logger().log(log_level::notice, "dist", "{}", text); });
}

expected<term, std::string> remote_process::request_term(box_maker request) {
  boxed_request r{request};
  if (auto t = otp::dist::detail::boxed_to_term(*r.ops->boxed, r.at))
    return std::move(*t);
  return unexpected{
    fmt::format("{} has no term form (otp::dist::add_term_type)", value_type(*r.ops->boxed))};
}

expected<message_ref, call_error> remote_process::call(const dispatch& d, box_maker request,
                                                       timeout t) {
  // Refused before anything is sent: a call whose reply could not be read is no call.
  auto refused = [&](std::string why) {
    auto e = refusal(fmt::format("call to {}: {}", pid_, why));
    notice(e.reason().detail());
    return unexpected{std::move(e)};
  };
  auto req = request_term(request);
  if (!req)
    return refused("the request " + req.error());
  if (d.reply == nullptr || !otp::dist::detail::has_from_term(*d.reply))
    return refused(
      fmt::format("the reply type {} has no way back from a term "
                  "(otp::dist::add_term_type)",
                  d.reply != nullptr ? value_type(*d.reply) : std::string{"void"}));
  auto answer = call_term(std::move(*req), t);
  if (!answer)
    return unexpected{std::move(answer.error())};
  auto reply = otp::dist::detail::boxed_from_term(*d.reply, *answer);
  if (reply)
    return std::move(*reply);
  return refused(fmt::format("the reply does not fit {}: {}", value_type(*d.reply), reply.error()));
}

expected<term, call_error> remote_process::call_term(term request, timeout t) {
  const call_error gone{call_error::kind::exited, exit_reason::noconnection()};
  if (getf(is_terminated_flag))
    return unexpected{gone};  // its node went away
  // Who asks, as Erlang sees it: the calling process, or our null pid for a plain thread (the
  // reply comes back to it all the same: the I/O thread hands it to the waiting call).
  auto* self = otp::detail::process_core::current();
  auto from = self != nullptr ? pids_->expose(self->pid_of_self()) : pids_->null_pid();
  const auto& node = pid_.node.name();
  erlang_ref ref;
  std::shared_ptr<pending_calls::slot> slot;
  std::shared_ptr<connection> via;
  // Registered before anything is sent: the answer, or the monitor's DOWN, goes to the wait.
  if (!with_kernel([&](distribution::impl& k) {
        ref = k.new_ref();
        slot = calls_->add(ref, otp::detail::waiting_process::current(), node);
        via = k.start_call(distribution::impl::call_target{term{pid_}, term{pid_}, node, node},
                           from, ref, std::move(request));
      }))
    return unexpected{gone};  // the distribution stopped
  std::optional<pending_calls::result> answer;
  {
    // However the wait ends (an answer, the timeout, the caller killed), the entry goes and,
    // unless the monitor's exit ended the call, its DEMONITOR_P follows, as gen:call's.
    struct leave {
      remote_process& self;
      const erlang_pid& from;
      const erlang_ref& ref;
      const std::shared_ptr<pending_calls::slot>& slot;
      const std::shared_ptr<connection>& via;
      std::optional<pending_calls::result>& answer;
      ~leave() {
        answer = self.calls_->take(ref, slot);
        if (answer && !*answer)
          return;  // the DOWN (or the node's loss) ended it: no monitor is left
        if (!via) {
          self.with_kernel([&](distribution::impl& k) { k.drop_monitor(ref); });
          return;
        }
        try {
          // It rides with the next packet to that node.
          via->defer(encode_control(monitor_msg{from, term{self.pid_}, ref, true}));
        } catch (const std::exception&) {
          // Out of memory: the peer keeps a monitor whose exit we ignore.
        }
      }
    } guard{*this, from, ref, slot, via, answer};
    calls_->wait(slot, t);
  }
  if (!answer)
    return unexpected{call_error{call_error::kind::timeout}};
  return std::move(*answer);
}

void remote_process::cast(const dispatch&, box_maker request) {
  if (getf(is_terminated_flag))
    return;  // dropped, as a cast to a dead process
  auto req = request_term(request);
  if (!req) {
    notice(fmt::format("cast to {} refused: the request {}", pid_, req.error()));
    return;
  }
  auto* self = otp::detail::process_core::current();
  send_term(term::tuple({term::make_atom("$gen_cast"), std::move(*req)}),
            self != nullptr ? caf::strong_actor_ptr{self->ctrl()} : nullptr);
}

}  // namespace otp::dist::erlang
