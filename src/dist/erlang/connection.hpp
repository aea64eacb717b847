#pragma once

// One connection to an Erlang node, on the distribution's I/O thread: the handshake (read
// exactly what the machine wants), then data mode — 4-byte length packets, control messages
// decoded on the I/O thread and handed to the owner, ticks sent when we have been quiet for a
// quarter of the tick time, and the connection dropped when the peer has been silent for the
// whole tick time (four quarters), as Erlang's net_kernel does.
//
// Output is the one part any thread may drive: a sender whose connection is idle (nothing
// queued, no write in flight) writes its packet itself with one non-blocking sendmsg, so a
// message to another node costs no hand-off to the I/O thread. What the socket does not take
// at once (EAGAIN, a partial write) is queued, and the I/O thread writes the queue; everything
// after it queues behind it, so packets keep their order.

#include "dist/erlang/control.hpp"
#include "dist/erlang/handshake.hpp"
#include "dist/erlang/packet_reader.hpp"
#include "dist/erlang/send_gate.hpp"

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace otp::dist::erlang {

class connection;

/// Who a connection reports to; called on the I/O thread.
class connection_owner {
 public:
  virtual ~connection_owner() = default;
  /// Acceptor side: may this peer connect now on `c`?
  virtual std::optional<dist_error> admit(connection& c, const node_info& peer) = 0;
  virtual void up(const std::shared_ptr<connection>& c) = 0;
  /// The handshake failed or the connection ended; called once.
  virtual void down(const std::shared_ptr<connection>& c, const dist_error& why) = 0;
  virtual void received(connection& c, control_message m) = 0;
  /// A read's packets follow (`received` for each), and then they are over: the owner may run
  /// a process per batch (kernel.hpp, `inline_turn`).
  virtual void batch(bool begins) { static_cast<void>(begins); }
};

struct connection_config {
  node_info self;
  std::string cookie;
  std::chrono::milliseconds handshake_timeout{7000};
  std::chrono::milliseconds tick_time{60000};
  std::size_t max_packet = std::size_t{64} << 20;
  /// Bytes handed over by senders and not yet written or dropped, for the distribution's
  /// back-pressure: senders wait and count in, connections count out what they wrote or
  /// dropped (which wakes waiting senders).
  std::shared_ptr<send_gate> queued = std::make_shared<send_gate>(std::size_t{4} << 20);
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  /// TCP or a Unix socket (the socket server's stream socket type, which its listen socket
  /// accepts).
  using socket_type = boost::asio::basic_stream_socket<boost::asio::generic::stream_protocol,
                                                       boost::asio::io_context::executor_type>;
  using endpoint_type = boost::asio::generic::stream_protocol::endpoint;

  /// `dialled`: the node we dial (initiator); nothing for an accepted socket.
  connection(boost::asio::io_context& io, socket_type socket, const connection_config& cfg,
             connection_owner& owner, std::optional<std::string> dialled);

  /// Acceptor: runs the handshake on the accepted socket.
  void accept();
  /// Initiator: connects to `where`, then runs the handshake.
  void dial(const endpoint_type& where);
  /// Initiator whose address is not known yet (epmd is asked first): only the timer runs.
  void arm_handshake_timer();

  /// Queues a packet body (an encoded control message); it goes out once the handshake is
  /// done. `counted`: a sender counted it in `connection_config::queued`, which this connection
  /// then decrements once it is written or dropped. Any thread; once the connection is up and
  /// idle, the calling thread writes it (`write`).
  void send(std::vector<std::uint8_t> body, bool counted = false);
  /// Writes the packet bodies `bodies`, in order and as one gathered write, from the calling
  /// thread when the connection is up and idle, else queues them for the I/O thread. False
  /// (nothing sent, nothing counted) when the connection is not up or closed: the caller takes
  /// the I/O thread's path. `counted`: as `send`, for their total size. A body that is queued
  /// may be moved from (a large one joins the queue as it is, not copied).
  bool write(std::span<std::vector<std::uint8_t>> bodies, bool counted = false);
  /// A packet nobody waits for (a call's DEMONITOR_P): it leaves with the next write on this
  /// connection, from any thread, or with the next tick at the latest, instead of a system
  /// call of its own. Any thread.
  void defer(std::vector<std::uint8_t> body);
  /// Ends the connection (a failed handshake or a dropped link); `down` follows once.
  void close(const dist_error& why);

  /// The dialled name, or the peer's once its send_name arrived.
  const std::string& peer_name() const noexcept { return peer_name_; }
  const node_info& peer() const noexcept { return machine_.peer(); }
  bool is_up() const noexcept { return up_; }

  /// For the observer, from any thread: bytes each way since the connection came up, when
  /// it came up, and when the peer last sent anything (ticks included).
  struct traffic {
    std::uint64_t bytes_in;
    std::uint64_t bytes_out;
    std::chrono::steady_clock::time_point up_since;
    std::chrono::steady_clock::time_point last_heard;
  };
  traffic figures() const noexcept;
  bool outgoing() const noexcept { return outgoing_; }
  /// Packets wait for the I/O thread's write (queued, or a write under way). Any thread.
  bool backlogged();

 private:
  void run_handshake();
  void handshake_step();
  bool write_now(const std::vector<std::uint8_t>& bytes);
  void become_up();
  void read_data();
  void on_data(std::size_t n);
  void flush();
  /// Under out_mtx_: queues `bodies` (from byte `skip` of their framed form on) and makes sure
  /// the I/O thread writes the queue.
  void enqueue_locked(std::span<std::vector<std::uint8_t>> bodies, std::size_t skip,
                      std::size_t counted);
  /// Under out_mtx_: `n` bytes at the end of the queue, in its open chunk.
  void append_locked(const std::uint8_t* bytes, std::size_t n);
  /// Under out_mtx_: the written chunks in in_flight_ are kept in spares_ (up to the send
  /// gate's limit in all) or freed.
  void recycle_locked();
  void arm_tick();
  void on_tick();

  socket_type socket_;
  connection_config cfg_;
  connection_owner& owner_;
  handshake machine_;
  boost::asio::steady_timer timer_;
  packet_reader reader_;
  std::string peer_name_;
  bool outgoing_;
  std::atomic<bool> up_ = false;
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::chrono::steady_clock::rep> heard_at_{0};  // steady_clock ticks
  std::chrono::steady_clock::time_point up_since_{};         // set before up_
  std::atomic<bool> closed_ = false;
  // The output side, which senders on any thread share with the I/O thread. Held across a
  // sender's sendmsg, so a write never meets a socket being closed, nor another write.
  std::mutex out_mtx_;
  bool writing_ = false;       // an async_write of in_flight_ is under way
  bool flush_posted_ = false;  // a flush is posted to the I/O thread
  bool wrote_since_tick_ = false;
  /// A sender's direct write this soon after the last one queues instead (see `write`).
  static constexpr std::chrono::microseconds cork_time{20};
  static constexpr std::size_t max_deferred = 64;
  std::chrono::steady_clock::time_point last_direct_{};
  std::vector<std::vector<std::uint8_t>> deferred_;  // framed packets waiting for a write
  bool read_since_tick_ = false;
  int silent_quarters_ = 0;
  std::vector<std::uint8_t> handshake_buffer_;
  /// What a read asks the socket for at least (the reader's room).
  static constexpr std::size_t read_size = 256 * 1024;
  // The queue is a few chunks, not a vector per packet: packets are appended to the last
  // chunk while it is open (one gathered write takes thousands of casts in a handful of
  // buffers, and a packet costs no allocation), a large body joins as a chunk of its own
  // (moved, not copied) and closes it. Written chunks are kept for the next ones, up to what
  // the send gate lets wait: a sender flooding the connection reuses the same memory instead
  // of allocating on whichever scheduler thread runs it while the I/O thread frees (glibc
  // kept the freed memory in each thread's arena: a 4 KiB cast flood grew the sender by twice
  // the gate's limit, and every free took the sender's arena lock). Kept chunks are dropped
  // at a tick with nothing written since the last one.
  static constexpr std::size_t chunk_size = 64 * 1024;
  static constexpr std::size_t first_chunk = 4096;
  static constexpr std::size_t own_chunk_from = 16 * 1024;  // bodies this large are not copied
  std::vector<std::vector<std::uint8_t>> queue_;            // waiting to be written
  bool tail_open_ = false;                                  // packets may join queue_.back()
  std::vector<std::vector<std::uint8_t>> in_flight_;        // being written
  std::vector<std::vector<std::uint8_t>> spares_;           // written chunks, for the next
  std::size_t counted_queued_ = 0;                          // of queue_'s bytes, the counted ones
  std::size_t counted_in_flight_ = 0;                       // of in_flight_'s
};

}  // namespace otp::dist::erlang
