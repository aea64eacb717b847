#pragma once

// The state behind `otp::dist::erlang::distribution` (Erlang's net_kernel and dist_util): the
// listen socket, the epmd registration, the connections by node name, the watches other nodes
// hold on our processes (links, monitors) and the processes told of nodeup / nodedown. All of
// it lives on the I/O thread ("otp.erl"); the public calls post to it. Incoming messages are
// decoded there and put straight into the target's mailbox.

#include "dist/creation_lock.hpp"
#include "dist/erlang/connection.hpp"
#include "dist/erlang/epmd_client.hpp"
#include "dist/erlang/gen_call.hpp"
#include "dist/erlang/listener.hpp"
#include "dist/erlang/local_pids.hpp"
#include "dist/erlang/node_name.hpp"
#include "dist/erlang/pending_calls.hpp"
#include "dist/erlang/remote_process.hpp"
#include "dist/erlang/turn_executor.hpp"
#include "dist/erlang/wire_replies.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/exit_reason.hpp"
#include "runtime/node_reports.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace otp::dist::erlang {

struct distribution::impl final : connection_owner {
  using tcp = boost::asio::ip::tcp;
  using waiter = std::function<void(std::optional<dist_error>)>;

  /// A monitor another node holds on one of our processes (its links are CAF links between
  /// our process and the proxy of its, remote_process.hpp).
  struct watch {
    std::string node;
    erlang_pid remote;
    std::optional<erlang_ref> ref;  // monitors; links have none
    term target;                    // as the monitor named it (a pid or a name)
  };

  impl(node& n, options o);
  ~impl() override;

  // -- called from any thread (post to the I/O thread) ------------------------------------------
  erlang_ref new_ref();
  void post(std::function<void()> f);
  /// A message to another node: written by the calling thread when the connection is up and
  /// idle, else through the I/O thread. `gated`: the sender waits under back-pressure first.
  void send_to_node(std::string_view node_name, std::vector<std::uint8_t> body, bool gated = true);
  /// The same without the wait: `counted`, the sender counted `body` in the send gate already.
  /// The connection it wrote to directly, else null (posted to the I/O thread). Never waits.
  std::shared_ptr<connection> send_counted(std::string_view node_name,
                                           std::vector<std::uint8_t> body, bool counted);

  // -- processes of other nodes as pids (remote_process.cpp) ------------------------------------
  /// The pid naming `p`: our process, or the proxy of another node's (made on first use,
  /// kept while it is referred to or until that node goes down). Any thread.
  pid process(const erlang_pid& p);
  /// The proxy of `p` if this node has one. Any thread.
  caf::strong_actor_ptr find_process(const erlang_pid& p);
  /// A proxy's wire operation (`body`: LINK, UNLINK_ID, EXIT, MONITOR_P, DEMONITOR_P) through
  /// the I/O thread, after what waits there, dialling its node if needed; when the node cannot
  /// be reached the proxy is lost (noconnection). `ours`: our process, which other nodes may
  /// address from now on; `monitor`: the reference to keep (or drop: `demonitor`) for
  /// MONITOR_P_EXIT. Any thread; never waits.
  void process_control(caf::strong_actor_ptr proxy, std::vector<std::uint8_t> body,
                       caf::strong_actor_ptr ours, std::optional<erlang_ref> monitor,
                       bool demonitor = false);
  /// I/O thread: the proxy's node is gone (or unreachable): its links and monitors fire with
  /// `noconnection` and the table forgets it.
  void lose_process(const caf::strong_actor_ptr& proxy);
  /// I/O thread: every proxy of `node_name` (all of them for an empty name) is lost.
  void processes_lost(const std::string& node_name);
  /// A process running on the I/O thread (its turn there) that sends a stream: what it sends
  /// waits for this thread's writes, which wait for the turn to end. It goes on on a scheduler
  /// thread instead (it parks, and the I/O thread wakes it once it has got back to its work).
  void yield_if_streaming(const std::shared_ptr<connection>& c);
  /// The connection to `node_name` when the calling thread may write to it itself: it is up,
  /// and no message of ours waits in the I/O thread's queue (which would then be overtaken).
  std::shared_ptr<connection> direct(std::string_view node_name) const;
  /// Posts `f`, which sends to other nodes: while it waits, senders take the I/O thread's
  /// path too, so that what one process sends keeps its order.
  void post_outgoing(std::function<void()> f);
  erlang_pid sender_pid();
  /// The reply address of incoming calls (wire_replies), from `start`.
  void start_replies();

  // -- the I/O thread ---------------------------------------------------------------------------
  void accept_next();
  /// The connection object for dialling `address` over our carrier.
  void dial_carrier(const std::shared_ptr<connection>& c, const node_address& address);
  std::shared_ptr<connection> dial(const std::string& target);
  void deliver_local(const pid& p, const term& message);
  /// A message for our process `p`: a gen_server call or cast if `p` is served, else an info.
  void deliver_to(const pid& p, const term& message);
  /// A call or cast for the served server `p`: handled at once on this thread if
  /// `may_run_here` (calls), the server is idle and this read batch may still run a turn
  /// (`inline_turn`), else into its mailbox, behind what waits there.
  void deliver_request(const pid& p, caf::mailbox_element_ptr x, bool may_run_here);
  /// The I/O thread's executor when it may still run a process's turn in this read batch (a
  /// few a batch, `inline_turns`: the thread goes back to its sockets soon); null otherwise,
  /// or on another thread.
  turn_executor* inline_turn() const noexcept;
  /// A call or cast the served server `p` takes no request type for: logged, and a call is
  /// answered `{error, badarg}` (written on this thread, which never blocks).
  void refuse(const pid& p, const gen_call* call, std::string_view why);
  /// Our connection to `full` (the node's full name), or a new one dialling `text`.
  std::shared_ptr<connection> connection_to(const std::string& full, const std::string& text);
  /// A reply `{Ref, Reply}` to a call of ours that waits: handed to it (true).
  bool answer_call(const term& message);
  /// The DOWN of a call's monitor: the call fails with it (true), if it still waits.
  bool fail_call(const erlang_ref& ref, const term& reason, std::string_view from = {});
  /// Ends the call waiting for `ref` with `r` (true), if it still waits: a caller parked in it
  /// runs on this thread at once when `inline_turn` allows, else it is woken (scheduled).
  bool complete_call(const erlang_ref& ref, pending_calls::result r, std::string_view from = {});
  /// A call whose MONITOR_P and request the caller wrote itself (`distribution::call`).
  struct direct_call {
    connection& via;
    std::string_view name;
    const erlang_pid& from;
    const erlang_ref& ref;
  };
  /// Its wait, then its DEMONITOR_P (on the caller's thread too).
  expected<term, call_error> await_direct_call(const direct_call& call,
                                               const std::shared_ptr<pending_calls::slot>& slot,
                                               timeout t);
  /// `node` is gone: the calls waiting for its servers end with `reason`.
  void fail_call_to(const std::string& node, const term& reason);
  /// What a call of ours names: the target as MONITOR_P and DEMONITOR_P name it (a name's
  /// atom, or a pid), as a 'DOWN' of a held monitor names it ({Name, Node}, or the pid), and
  /// its node (the full name, and as given, to dial).
  struct call_target {
    term wire;
    term down;
    std::string node;
    std::string text;
  };
  /// Sends a call's MONITOR_P and `{'$gen_call', {From, Ref}, Request}` (REG_SEND to a name,
  /// SEND_SENDER to a pid): in one write from this thread when the connection is up and idle
  /// (that connection is returned: the call's monitor is its own), else through the I/O thread
  /// (null; the monitor held in `held_`). Never waits: callable under the lifeline's lock.
  std::shared_ptr<connection> start_call(const call_target& to, const erlang_pid& from,
                                         const erlang_ref& ref, term request);
  /// Drops the monitor `ref` held in `held_` (DEMONITOR_P if it still holds it). Any thread.
  void drop_monitor(const erlang_ref& ref);
  /// `{nodedown, Node}` to the processes that asked with monitor_node, once.
  void fire_node_watchers(const std::string& node_name);
  /// A held monitor fired: `{'DOWN', Ref, process, Target, Reason}` to its owner.
  void monitor_fired(const erlang_ref& ref, const term& reason);
  std::optional<pid> resolve(const term& target);
  void watch_exit(const pid& p, watch w);
  void local_exited(std::uint64_t id, const term& reason);
  void notify_node_monitors(bool up, const std::string& node_name);
  /// After a nok: give the peer's own connection a handshake's time before failing waiters.
  void await_peer(const std::string& name, const dist_error& why);
  /// No connection to `name` is left or coming: its waiters fail, our monitors there fire.
  void give_up(const std::string& name, const dist_error& why);
  void publish_nodes();
  /// For the observer (report.cpp); any thread.
  otp::detail::dist_report report() const;

  std::optional<dist_error> admit(connection& c, const node_info& peer) override;
  void up(const std::shared_ptr<connection>& c) override;
  void down(const std::shared_ptr<connection>& c, const dist_error& why) override;
  void received(connection& c, control_message m) override;
  void batch(bool begins) override;

  /// What exit functors of our processes reach us through: cleared before the I/O thread
  /// stops, so a process exiting after the distribution is gone finds nobody.
  using lifeline = kernel_lifeline;

  node& node_;
  options opts_;
  /// This distribution among all a program started (encode_reg_send's cache key).
  const std::uint64_t instance_ = next_instance();
  static std::uint64_t next_instance() noexcept {
    static std::atomic<std::uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  std::shared_ptr<lifeline> lifeline_ = std::make_shared<lifeline>();
  connection_config config_;
  std::shared_ptr<local_pids> pids_;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
    io_.get_executor()};
  std::unique_ptr<listener> listener_;
  std::uint16_t port_ = 0;
  std::optional<otp::dist::detail::creation_lock> lock_;  // uds: held while we run
  std::shared_ptr<epmd_registration> registration_;
  std::thread thread_;
  /// The I/O thread's executor (its thread sets it; only that thread reads it): it runs a
  /// process woken or served by what the thread read, a few turns per read batch
  /// (`inline_left_` of `inline_turns`).
  turn_executor* executor_ = nullptr;
  /// Turns a read batch may run on the I/O thread: calls for idle servers and callers whose
  /// reply came, as many as a few callers at once keep in flight (so their replies, and
  /// their next requests, leave in one gathered write), and few enough that the thread soon
  /// goes back to its sockets.
  static constexpr int inline_turns = 16;
  int inline_left_ = 0;
  /// Also the I/O thread's: the processes the current read batch made runnable (requests into
  /// an empty mailbox), scheduled when the batch ends; `in_batch_` while one runs.
  batch_wakes* wakes_ = nullptr;
  bool in_batch_ = false;
  bool stopped_ = false;
  bool reporting_ = false;  // the node's dist reporter is ours (`start` set it)

  std::map<std::string, std::shared_ptr<connection>> connections_;
  std::map<std::string, std::vector<waiter>> waiters_;
  /// Outgoing attempts given up for the peer's crossing one (`admit`).
  std::set<std::string> superseded_;
  std::multimap<std::uint64_t, watch> watches_;  // by our process's actor id
  /// The gen_servers Erlang may call and cast (`serve`), by actor id; installed from any
  /// thread, read on the I/O thread.
  struct served {
    request_fn call = nullptr;
    timeout call_timeout = infinity;
    cast_fn cast = nullptr;
  };
  std::map<std::uint64_t, served> served_;
  /// Monitors our processes hold on other nodes' processes, by reference.
  struct held_monitor {
    erlang_pid owner;  // ours
    std::string node;
    term target;  // {Name, Node} or a pid, as the 'DOWN' names it
  };
  std::map<erlang_ref, held_monitor> held_;
  /// Holds `m` under `ref` and sends MONITOR_P for `wire_target` (dialling `text` if needed).
  void hold_monitor(const erlang_ref& ref, held_monitor m, std::string text, term wire_target);
  /// monitor_node's watchers, by node name.
  std::multimap<std::string, pid> node_watchers_;
  /// Our calls to other nodes' gen_servers that wait for their answer. Shared with the
  /// proxies (a call through a pid waits on it without the distribution: see ~impl).
  std::shared_ptr<pending_calls> pending_ = std::make_shared<pending_calls>();
  std::atomic<std::uint64_t> next_ref_{1};  // our references: a counter and our creation
  caf::strong_actor_ptr replies_;           // a wire_replies: incoming calls' reply address
  wire_replies* replies_impl_ = nullptr;
  /// The connections that are up, for senders on any thread (`direct`); `up` and `down` keep
  /// it.
  mutable std::shared_mutex ready_mtx_;
  std::map<std::string, std::shared_ptr<connection>, std::less<>> ready_;
  /// Tasks posted with `post_outgoing` not yet run.
  std::atomic<int> posted_{0};
  std::set<std::uint64_t> attached_;  // processes whose exit we hear of
  /// The proxies of other nodes' processes (`process`), by Erlang pid; any thread. A proxy
  /// nothing else refers to is let go (`release_unused`) when the table has doubled since the
  /// last sweep; a later `process` of its pid makes another, equal to it.
  std::mutex procs_mtx_;
  std::map<erlang_pid, caf::strong_actor_ptr> procs_;
  static constexpr std::size_t release_floor = 64;
  std::size_t release_at_ = release_floor;
  /// Drops the proxies only the table refers to (remote_process::unused). Under procs_mtx_.
  void release_unused();
  /// The I/O thread's: the proxies' monitors by reference, for MONITOR_P_EXIT.
  std::map<erlang_ref, caf::strong_actor_ptr> proc_monitors_;

  mutable std::mutex mtx_;  // guards what other threads read:
  std::vector<std::string> up_nodes_;
  std::vector<pid> node_monitors_;
};

/// An exit reason as Erlang would see it: `normal`, `killed`, `shutdown`, `noproc`, ... as
/// atoms; any other reason as `{error, <<"text">>}`.
term reason_term(const exit_reason& r);
/// The reverse, for exit signals from other nodes.
exit_reason reason_of(const term& t);

}  // namespace otp::dist::erlang
