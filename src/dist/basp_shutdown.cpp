#include "dist/basp_shutdown.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/abstract_broker.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>

#include <future>

namespace otp::dist::detail {

void close_basp(caf::actor_system& sys) {
  if (!sys.has_middleman())
    return;
  auto& mm = sys.middleman();
  auto basp = mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  std::promise<void> closed;
  // What middleman::stop does for its brokers, plus the mailbox it leaves open.
  mm.backend().dispatch([&] {
    auto* broker =
      static_cast<caf::io::abstract_broker*>(caf::actor_cast<caf::abstract_actor*>(basp));
    if (!broker->getf(caf::abstract_actor::is_terminated_flag)) {
      broker->context(&mm.backend());
      broker->quit();
      broker->finalize();
    }
    // The part of the cleanup that abstract_broker::cleanup skips: it closes the mailbox and
    // bounces the requests still queued. (CAF's compiled code: its intrusive queues' sentinel
    // casts trip UBSan when instantiated here.)
    if (!broker->mailbox().closed())
      broker->caf::scheduled_actor::cleanup(caf::make_error(caf::exit_reason::user_shutdown),
                                            &mm.backend());
    closed.set_value();
  });
  closed.get_future().wait();
}

}  // namespace otp::dist::detail
