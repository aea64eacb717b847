%%% @doc Call chains and blocked callers (Erlang side of the caf-otp
%%% benchmark of processes that wait).
%%%
%%% <ul>
%%% <li>`chain': N client processes, each doing K sequential
%%%     `gen_server:call(A, {step, X})'; A calls B, which calls C. Reports
%%%     whole chains (client -> A -> B -> C and back) per second.</li>
%%% <li>`blocked': N processes each blocked in a `gen_server:call' to one
%%%     server that answers nobody until told; reports the growth of
%%%     `erlang:memory(total)' per blocked process.</li>
%%% <li>`blocked_gen_server': the same with gen_servers as the callers, each
%%%     blocked in a call made from its handle_cast.</li>
%%% </ul>
%%%
%%% Usage: `erl -noshell -pa EBIN -run chain_bench main chain N K R' or
%%% `... main blocked N' (or `blocked_gen_server N'). Run it with `+S 2' for two scheduler threads.
-module(chain_bench).
-behaviour(gen_server).

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

main(Args) ->
    bench_util:main(fun run/1, Args).

run(["chain" | Rest]) ->
    N = bench_util:int_arg(Rest, 1, 100),
    K = bench_util:int_arg(Rest, 2, 1000),
    R = bench_util:int_arg(Rest, 3, 5),
    io:format("chains: N = ~b clients, K = ~b each, R = ~b~n", [N, K, R]),
    {A, Servers} = start_chain(),
    _ = chains(A, min(N, 100), 100),
    Rates = bench_util:repeat(R, fun() -> chains(A, N, K) end),
    [gen_server:stop(S) || S <- Servers],
    bench_util:report_reps("erlang_chain_" ++ integer_to_list(N) ++ "_per_s", "chains/s", Rates);
run(["blocked" | Rest]) ->
    N = bench_util:int_arg(Rest, 1, 100000),
    {ok, Slow} = gen_server:start_link(?MODULE, slow, []),
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    Self = self(),
    Pids = [spawn(fun() -> Self ! {answer, gen_server:call(Slow, wait, infinity)} end)
            || _ <- lists:seq(1, N)],
    wait_waiting(Slow, N),
    After = erlang:memory(total),
    bench_util:result("erlang_blocked_" ++ integer_to_list(N) ++ "_bytes_per_process",
                      (After - Before) / N, "B"),
    ok = gen_server:call(Slow, release, infinity),
    [receive {answer, 42} -> ok end || _ <- Pids],
    ok;
run(["blocked_gen_server" | Rest]) ->
    N = bench_util:int_arg(Rest, 1, 100000),
    {ok, Slow} = gen_server:start_link(?MODULE, slow, []),
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    Callers = [begin
                   {ok, P} = gen_server:start(?MODULE, {caller, Slow}, []),
                   gen_server:cast(P, block),
                   P
               end || _ <- lists:seq(1, N)],
    wait_waiting(Slow, N),
    After = erlang:memory(total),
    bench_util:result("erlang_blocked_gen_server_" ++ integer_to_list(N) ++ "_bytes_per_process",
                      (After - Before) / N, "B"),
    ok = gen_server:call(Slow, release, infinity),
    [gen_server:stop(P) || P <- Callers],
    ok;
run(_) ->
    throw({usage, "chain_bench chain [N] [K] [R] | blocked [N] | blocked_gen_server [N]"}).

start_chain() ->
    {ok, C} = gen_server:start_link(?MODULE, last, []),
    {ok, B} = gen_server:start_link(?MODULE, {next, C}, []),
    {ok, A} = gen_server:start_link(?MODULE, {next, B}, []),
    {A, [A, B, C]}.

%% N clients, K chains each; returns chains per second.
chains(A, N, K) ->
    Self = self(),
    Start = bench_util:now_ns(),
    [spawn_link(fun() -> client(A, K), Self ! done end) || _ <- lists:seq(1, N)],
    [receive done -> ok end || _ <- lists:seq(1, N)],
    bench_util:per_second(N * K, bench_util:now_ns() - Start).

client(_A, 0) -> ok;
client(A, K) ->
    1 = gen_server:call(A, {step, 0}, infinity),
    client(A, K - 1).

wait_waiting(Slow, N) ->
    case gen_server:call(Slow, count, infinity) of
        N -> ok;
        _ -> timer:sleep(10), wait_waiting(Slow, N)
    end.

%% @private
init(slow) -> {ok, {slow, []}};
init(Role) -> {ok, Role}.

%% @private
handle_call({step, X}, _From, last) ->
    {reply, X + 1, last};
handle_call({step, X}, _From, {next, Next} = S) ->
    {reply, gen_server:call(Next, {step, X}, infinity), S};
handle_call(wait, From, {slow, Waiting}) ->
    {noreply, {slow, [From | Waiting]}};
handle_call(count, _From, {slow, Waiting} = S) ->
    {reply, length(Waiting), S};
handle_call(release, _From, {slow, Waiting}) ->
    [gen_server:reply(W, 42) || W <- Waiting],
    {reply, ok, {slow, []}}.

%% @private
handle_cast(block, {caller, Slow} = S) ->
    42 = gen_server:call(Slow, wait, infinity),
    {noreply, S};
handle_cast(_Msg, S) -> {noreply, S}.
