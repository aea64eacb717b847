%%% @doc Supervisor benchmarks (Erlang side of the caf-otp side-by-side
%%% benchmarks). The module is both the driver and the supervisor
%%% callback module; children are {@link supervisor_bench_worker}s.
%%%
%%% <ul>
%%% <li>`restart': one_for_one supervisor (intensity 1000000, period 1)
%%%     with one permanent child. N times (default 2000) the child takes a
%%%     timestamp and crashes with `erlang:error(boom)' in `handle_cast';
%%%     the latency is measured up to the timestamp taken in the new
%%%     child's `init/1'. The restarts are spread over fresh supervisors,
%%%     10 each, because OTP's restart-intensity bookkeeping makes a
%%%     long crash loop on one supervisor ever slower. Reports p50/p99 in
%%%     microseconds with logging off, with the default logger handler
%%%     writing to a file, and with logging off on a single supervisor.</li>
%%% <li>`start_child': simple_one_for_one supervisor; one process starts
%%%     10,000 and N (default 100,000) idle children with
%%%     `supervisor:start_child/2'. Reports children per second (median of
%%%     R repetitions, default 5).</li>
%%% <li>`memory': starts N (default 1,000,000) idle simple_one_for_one
%%%     children; reports the `erlang:memory(total)' and
%%%     `erlang:memory(processes)' deltas divided by N. Needs `+P'.</li>
%%% </ul>
%%%
%%% Usage (see run.sh):
%%% `erl -noshell +P 2000000 -pa EBIN -run supervisor_bench main MODE [N]',
%%% where MODE is restart, start_child (which also takes [R]) or memory.
-module(supervisor_bench).
-behaviour(supervisor).

-export([main/1]).
-export([init/1]).

-define(USAGE,
        "supervisor_bench restart [N] | start_child [N] [R] | memory [N]").
-define(WORKER, supervisor_bench_worker).
-define(DEFAULT_RESTART_N, 2000).
-define(RESTART_WARMUP_N, 200).
-define(RESTARTS_PER_SUP, 10).
-define(DEFAULT_START_CHILD_N, 100000).
-define(START_CHILD_SMALL_N, 10000).
-define(DEFAULT_R, 5).
-define(DEFAULT_MEMORY_N, 1000000).

%%====================================================================
%% Benchmark driver
%%====================================================================

%% @doc Entry point for `erl -run'; `Args' are the command-line strings.
-spec main([string()]) -> no_return().
main(Args) ->
    bench_util:main(fun run/1, Args).

run(["restart" | Rest]) ->
    restart_bench(bench_util:int_arg(Rest, 1, ?DEFAULT_RESTART_N));
run(["start_child" | Rest]) ->
    start_child_bench(bench_util:int_arg(Rest, 1, ?DEFAULT_START_CHILD_N),
                      bench_util:int_arg(Rest, 2, ?DEFAULT_R));
run(["memory" | Rest]) ->
    memory_bench(bench_util:int_arg(Rest, 1, ?DEFAULT_MEMORY_N));
run(_) ->
    throw({usage, ?USAGE}).

%%--------------------------------------------------------------------
%% restart
%%--------------------------------------------------------------------

restart_bench(N) ->
    io:format("supervisor restart: N = ~b (after ~b warm-up restarts), "
              "~b restarts per supervisor~n",
              [N, ?RESTART_WARMUP_N, ?RESTARTS_PER_SUP]),
    Batched = fun() -> restart_latencies(N, ?RESTARTS_PER_SUP) end,
    Quiet = with_logger(quiet, Batched),
    Logged = with_logger(file, Batched),
    Single = with_logger(quiet, fun() -> restart_latencies(N, N) end),
    report_latencies("erlang_restart", "logger off", Quiet),
    report_latencies("erlang_restart_logged",
                     "default logger handler, output to a file", Logged),
    report_latencies("erlang_restart_single_sup",
                     "logger off, all restarts on one supervisor", Single).

%% Sorted restart latencies in microseconds, each measured from the
%% crashing child's timestamp to its replacement's init/1 timestamp.
%%
%% OTP's supervisor keeps the time of every restart within the intensity
%% period in a list that it walks on each restart, so a crash loop on one
%% supervisor slows down linearly with the number of restarts so far
%% (about 8 us more per 500 restarts on a 2-core machine, OTP 25). To
%% measure the restart itself, the N restarts are spread over fresh
%% supervisors, BatchSize restarts each.
restart_latencies(N, BatchSize) ->
    _ = restart_batches(?RESTART_WARMUP_N, BatchSize),
    lists:sort([Ns / 1000 || Ns <- restart_batches(N, BatchSize)]).

restart_batches(N, BatchSize) when N =< BatchSize ->
    restart_run(N);
restart_batches(N, BatchSize) ->
    restart_run(BatchSize) ++ restart_batches(N - BatchSize, BatchSize).

%% Crashes the child of a fresh supervisor N times; returns the
%% latencies in nanoseconds.
restart_run(N) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {restart, self()}),
    {FirstChild, _StartedAt} = await_started(),
    Samples = crash_loop(FirstChild, N, []),
    ok = gen_server:stop(Sup),
    Samples.

crash_loop(_Child, 0, Samples) ->
    Samples;
crash_loop(Child, Left, Samples) ->
    ok = gen_server:cast(Child, crash),
    CrashedAt = receive {crashing, Child, T} -> T end,
    {NewChild, StartedAt} = await_started(),
    crash_loop(NewChild, Left - 1, [StartedAt - CrashedAt | Samples]).

await_started() ->
    receive {started, Child, T} -> {Child, T} end.

report_latencies(Name, Label, Sorted) ->
    io:format("restart latency (~s), us: min ~.1f p50 ~.1f p90 ~.1f "
              "p99 ~.1f max ~.1f~n",
              [Label, hd(Sorted), bench_util:percentile(Sorted, 50),
               bench_util:percentile(Sorted, 90),
               bench_util:percentile(Sorted, 99), lists:last(Sorted)]),
    bench_util:result(Name ++ "_p50_us",
                      bench_util:percentile(Sorted, 50), "us"),
    bench_util:result(Name ++ "_p99_us",
                      bench_util:percentile(Sorted, 99), "us").

%% Runs Fun with logging disabled (quiet) or with the default handler
%% (same module, formatter and filters) writing to a temporary file.
with_logger(quiet, Fun) ->
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, none),
    try Fun() after ok = logger:set_primary_config(level, Level) end;
with_logger(file, Fun) ->
    {ok, Default} = logger:get_handler_config(default),
    Keep = maps:with([level, filters, filter_default, formatter], Default),
    Path = filename:join(temp_dir(),
                         "supervisor_bench_" ++ os:getpid() ++ ".log"),
    ok = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h,
                            Keep#{config => #{file => Path}}),
    try Fun()
    after
        ok = logger:remove_handler(default),
        ok = logger:add_handler(default, logger_std_h, Keep),
        report_log_size(Path),
        _ = file:delete(Path)
    end.

report_log_size(Path) ->
    io:format("logged run wrote ~b bytes of reports to ~s (deleted)~n",
              [filelib:file_size(Path), Path]).

temp_dir() ->
    case os:getenv("TMPDIR") of
        false -> "/tmp";
        "" -> "/tmp";
        Dir -> Dir
    end.

%%--------------------------------------------------------------------
%% start_child
%%--------------------------------------------------------------------

start_child_bench(N, R) ->
    io:format("supervisor start_child: N = ~b and ~b, R = ~b~n",
              [?START_CHILD_SMALL_N, N, R]),
    Small = start_child_rates(?START_CHILD_SMALL_N, R),
    Large = start_child_rates(N, R),
    Unit = "children/s",
    bench_util:report_reps("erlang_start_child_10k_per_s", Unit, Small),
    bench_util:report_reps("erlang_start_child_per_s", Unit, Large).

start_child_rates(N, R) ->
    io:format(" ~b children:~n", [N]),
    bench_util:repeat(R, fun() -> start_child_rate(N) end).

start_child_rate(N) ->
    Elapsed = with_simple_sup(fun(Sup) -> timed_start_children(Sup, N) end),
    bench_util:per_second(N, Elapsed).

%% Starts N children of Sup one after the other; returns the elapsed ns.
timed_start_children(Sup, N) ->
    Start = bench_util:now_ns(),
    ok = start_children(Sup, N),
    bench_util:now_ns() - Start.

start_children(_Sup, 0) ->
    ok;
start_children(Sup, Left) ->
    {ok, _Child} = supervisor:start_child(Sup, []),
    start_children(Sup, Left - 1).

%% Runs Fun(Sup) with a fresh simple_one_for_one supervisor, then kills
%% the supervisor (and thereby its linked children) and waits until they
%% are gone. An orderly shutdown of a million children takes OTP 25 about
%% half a minute; the kill takes a few seconds.
with_simple_sup(Fun) ->
    Baseline = erlang:system_info(process_count),
    {ok, Sup} = supervisor:start_link(?MODULE, simple),
    try Fun(Sup) after kill_sup(Sup, Baseline) end.

kill_sup(Sup, Baseline) ->
    unlink(Sup),
    Ref = monitor(process, Sup),
    exit(Sup, kill),
    receive {'DOWN', Ref, process, Sup, _} -> ok end,
    await_process_count(Baseline).

await_process_count(Target) ->
    case erlang:system_info(process_count) > Target of
        true -> timer:sleep(10), await_process_count(Target);
        false -> ok
    end.

%%--------------------------------------------------------------------
%% memory
%%--------------------------------------------------------------------

memory_bench(N) ->
    check_process_limit(N),
    io:format("supervisor memory: N = ~b idle children~n", [N]),
    {Elapsed, Before, After} =
        with_simple_sup(fun(Sup) -> measure_memory(Sup, N) end),
    io:format("started ~b children in ~.2f s~n", [N, Elapsed / 1.0e9]),
    report_memory(N, Before, After).

measure_memory(Sup, N) ->
    Before = memory_snapshot(),
    Elapsed = timed_start_children(Sup, N),
    {Elapsed, Before, memory_snapshot()}.

check_process_limit(N) ->
    Limit = erlang:system_info(process_limit),
    Limit >= N + 1000 orelse throw({usage, process_limit_message(Limit, N)}).

process_limit_message(Limit, N) ->
    lists:flatten(io_lib:format("process limit ~b too low for ~b children; "
                                "start erl with +P ~b", [Limit, N, 2 * N])).

memory_snapshot() ->
    true = erlang:garbage_collect(),
    maps:from_list(erlang:memory([total, processes])).

report_memory(N, #{total := Total0, processes := Procs0},
              #{total := Total1, processes := Procs1}) ->
    bench_util:result("erlang_bytes_per_idle_child",
                      (Total1 - Total0) div N, "B"),
    bench_util:result("erlang_process_bytes_per_idle_child",
                      (Procs1 - Procs0) div N, "B").

%%====================================================================
%% supervisor callback
%%====================================================================

%% @private
init({restart, BenchPid}) ->
    Flags = #{strategy => one_for_one, intensity => 1000000, period => 1},
    Child = #{id => worker, restart => permanent,
              start => {?WORKER, start_link, [BenchPid]}},
    {ok, {Flags, [Child]}};
init(simple) ->
    Flags = #{strategy => simple_one_for_one, intensity => 1, period => 5},
    Child = #{id => worker, restart => permanent,
              start => {?WORKER, start_link, []}},
    {ok, {Flags, [Child]}}.
