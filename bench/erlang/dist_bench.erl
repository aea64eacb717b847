%%% @doc Distribution benchmark, Erlang side (bench/run_dist.sh).
%%%
%%% `server': a gen_server registered as `bench' on this node, which answers
%%% every call with the number of requests it has had and counts casts.
%%% `client Node N CastN BlobN': against `{bench, Node}' (Erlang or caf-otp),
%%% from one process:
%%% <ul>
%%% <li>N sequential `gen_server:call(S, {bump, 1})': round trips/s and the
%%%     median and 99th percentile of one round trip in microseconds;</li>
%%% <li>CastN `gen_server:cast(S, {bump, 1})', then one call: casts/s from the
%%%     first cast to that reply (the call proves they all arrived);</li>
%%% <li>BlobN casts of `{blob, <<4096 bytes>>}', timed the same way;</li>
%%% <li>for both cast floods, how far this node's resident memory rose above where it
%%%     was before the first, while it cast (KiB, the high-water mark of
%%%     /proc/self/status).</li>
%%% </ul>
%%% Results are `RESULT <name> <value> <unit>' lines, as the other benchmarks.
-module(dist_bench).
-behaviour(gen_server).

-export([server/0, client/1]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(WARMUP_N, 2000).

%% @doc `erl -sname srv -run dist_bench server': serves until killed.
server() ->
    {ok, _} = gen_server:start({local, bench}, ?MODULE, 0, []),
    io:format("ready~n"),
    receive after infinity -> ok end.

init(N) -> {ok, N}.
handle_call(_Request, _From, N) -> {reply, N + 1, N + 1}.
handle_cast(_Request, N) -> {noreply, N + 1}.

%% @doc `erl -sname cli -run dist_bench client Node N CastN BlobN'.
client([NodeText | Counts]) ->
    bench_util:main(fun(_) -> run(list_to_atom(NodeText), Counts) end, []).

run(Node, Counts) ->
    [N, CastN, BlobN] = [bench_util:int_arg(Counts, I, 1) || I <- [1, 2, 3]],
    true = net_kernel:connect_node(Node),
    S = {bench, Node},
    _ = calls(S, ?WARMUP_N),
    Start = bench_util:now_ns(),
    Times = lists:sort(calls(S, N)),
    Elapsed = bench_util:now_ns() - Start,
    bench_util:result("call_rt_per_s", bench_util:per_second(N, Elapsed), "rt/s"),
    bench_util:result("call_p50_us", bench_util:percentile(Times, 50) / 1000, "us"),
    bench_util:result("call_p99_us", bench_util:percentile(Times, 99) / 1000, "us"),
    Base = status_kib(<<"VmRSS">>),
    flood(S, CastN, {bump, 1}, "cast_per_s", "cast_peak_kib", Base),
    Blob = {blob, binary:copy(<<"x">>, 4096)},
    flood(S, BlobN, Blob, "cast4k_per_s", "cast4k_peak_kib", Base),
    bench_util:result("call4k_rt_per_s", call_loop_per_s(S, N div 2, Blob), "rt/s"),
    bench_util:result("conc10_rt_per_s", concurrent(S, 10, N), "rt/s"),
    bench_util:result("retained_b_per_call", retained(S, 20000), "B"),
    ok.

%% N sequential calls of Request: round trips/s.
call_loop_per_s(S, N, Request) ->
    Start = bench_util:now_ns(),
    call_loop(S, N, Request),
    bench_util:per_second(N, bench_util:now_ns() - Start).

call_loop(_S, 0, _Request) -> ok;
call_loop(S, N, Request) -> _ = gen_server:call(S, Request), call_loop(S, N - 1, Request).

%% Callers processes making N calls in all at once: round trips/s.
concurrent(S, Callers, N) ->
    Self = self(),
    Share = N div Callers,
    Start = bench_util:now_ns(),
    Pids = [spawn_link(fun() -> call_loop(S, Share, {bump, 1}), Self ! {done, self()} end)
            || _ <- lists:seq(1, Callers)],
    [receive {done, P} -> ok end || P <- Pids],
    bench_util:per_second(Share * Callers, bench_util:now_ns() - Start).

%% The node's memory growth over N more calls, per call (after a collection on both ends).
retained(S, N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    call_loop(S, N, {bump, 1}),
    erlang:garbage_collect(),
    max(0, erlang:memory(total) - Before) / N.

%% The duration of each of N sequential calls, in nanoseconds.
calls(S, N) ->
    [begin
         T0 = erlang:monotonic_time(nanosecond),
         _ = gen_server:call(S, {bump, 1}),
         erlang:monotonic_time(nanosecond) - T0
     end || _ <- lists:seq(1, N)].

%% N casts of Msg (as casts/3): their rate as Rate, and as Peak how far this node's resident
%% memory (the OS's figure, as the C++ client measures it) rose above Base (KiB, the resident
%% size before the first flood) while it cast them: the kernel's high-water mark, reset first.
flood(S, N, Msg, Rate, Peak, Base) ->
    ok = file:write_file("/proc/self/clear_refs", <<"5">>),
    bench_util:result(Rate, casts(S, N, Msg), "msgs/s"),
    bench_util:result(Peak, max(0, status_kib(<<"VmHWM">>) - Base), "KiB").

%% A field of /proc/self/status in KiB.
status_kib(Field) ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]),
                   binary:part(L, 0, min(byte_size(L), byte_size(Field) + 1)) =:= <<Field/binary, ":">>],
    [_, Value | _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Value).

%% N casts of Msg, then a call that returns when all have been handled: casts/s.
casts(S, N, Msg) ->
    Start = bench_util:now_ns(),
    cast_loop(S, N, Msg),
    _ = gen_server:call(S, get, 60000),
    bench_util:per_second(N, bench_util:now_ns() - Start).

cast_loop(_S, 0, _Msg) -> ok;
cast_loop(S, N, Msg) -> gen_server:cast(S, Msg), cast_loop(S, N - 1, Msg).
