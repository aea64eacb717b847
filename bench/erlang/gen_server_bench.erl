%%% @doc gen_server throughput benchmark (Erlang side of the caf-otp
%%% side-by-side benchmarks).
%%%
%%% The module is both the benchmark driver and the server under test: a
%%% trivial gen_server whose state is a counter.
%%%
%%% <ul>
%%% <li>`call': one client does N sequential `gen_server:call(S, {add, 1})'
%%%     round trips; reports round trips per second.</li>
%%% <li>`cast': one client sends N `gen_server:cast(S, {add, 1})' followed
%%%     by one `gen_server:call(S, get)'; the clock runs from the first cast
%%%     to that reply. Reports casts delivered per second.</li>
%%% </ul>
%%%
%%% Each mode runs R repetitions (a fresh server each time) and prints the
%%% median, min and max as `RESULT' lines. Usage (see run.sh):
%%% `erl -noshell -pa EBIN -run gen_server_bench main call|cast [N] [R]'.
-module(gen_server_bench).
-behaviour(gen_server).

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(USAGE, "gen_server_bench call|cast [N] [R]").
-define(DEFAULT_CALL_N, 1000000).
-define(DEFAULT_CAST_N, 5000000).
-define(DEFAULT_R, 5).
-define(WARMUP_N, 10000).

%%====================================================================
%% Benchmark driver
%%====================================================================

%% @doc Entry point for `erl -run'; `Args' are the command-line strings.
-spec main([string()]) -> no_return().
main(Args) ->
    bench_util:main(fun run/1, Args).

run(["call" | Rest]) ->
    bench(call, "erlang_call_rt_per_s", "rt/s",
          bench_util:int_arg(Rest, 1, ?DEFAULT_CALL_N),
          bench_util:int_arg(Rest, 2, ?DEFAULT_R));
run(["cast" | Rest]) ->
    bench(cast, "erlang_cast_msgs_per_s", "msgs/s",
          bench_util:int_arg(Rest, 1, ?DEFAULT_CAST_N),
          bench_util:int_arg(Rest, 2, ?DEFAULT_R));
run(_) ->
    throw({usage, ?USAGE}).

bench(Mode, Name, Unit, N, R) ->
    io:format("gen_server ~s: N = ~b, R = ~b~n", [Mode, N, R]),
    _ = measure(Mode, min(N, ?WARMUP_N)),
    Rates = bench_util:repeat(R, fun() -> measure(Mode, N) end),
    bench_util:report_reps(Name, Unit, Rates).

%% Runs one repetition against a fresh server; returns operations/s.
measure(Mode, N) ->
    {ok, Server} = gen_server:start_link(?MODULE, 0, []),
    Start = bench_util:now_ns(),
    N = run_mode(Mode, Server, N),
    Elapsed = bench_util:now_ns() - Start,
    ok = gen_server:stop(Server),
    bench_util:per_second(N, Elapsed).

run_mode(call, Server, N) ->
    call_loop(Server, N, 0);
run_mode(cast, Server, N) ->
    ok = cast_loop(Server, N),
    %% The reply to this call is sent only after all casts were handled.
    gen_server:call(Server, get, infinity).

call_loop(_Server, 0, Count) ->
    Count;
call_loop(Server, Left, _Count) ->
    Count = gen_server:call(Server, {add, 1}),
    call_loop(Server, Left - 1, Count).

cast_loop(_Server, 0) ->
    ok;
cast_loop(Server, Left) ->
    ok = gen_server:cast(Server, {add, 1}),
    cast_loop(Server, Left - 1).

%%====================================================================
%% gen_server callbacks: a counter
%%====================================================================

%% @private
init(Count) ->
    {ok, Count}.

%% @private
handle_call({add, Delta}, _From, Count) ->
    {reply, Count + Delta, Count + Delta};
handle_call(get, _From, Count) ->
    {reply, Count, Count}.

%% @private
handle_cast({add, Delta}, Count) ->
    {noreply, Count + Delta}.
