%%% @doc Child gen_server used by {@link supervisor_bench}.
%%%
%%% Two flavours:
%%% <ul>
%%% <li>`start_link()': an idle server that does nothing (used by the
%%%     `start_child' and `memory' benchmarks).</li>
%%% <li>`start_link(BenchPid)': reports `{started, self(), T}' to
%%%     `BenchPid' from `init/1'. On the cast `crash' it sends
%%%     `{crashing, self(), T}' and then fails with `erlang:error(boom)'
%%%     (used by the `restart' benchmark). Both `T' are
%%%     `erlang:monotonic_time(nanosecond)'.</li>
%%% </ul>
-module(supervisor_bench_worker).
-behaviour(gen_server).

-export([start_link/0, start_link/1]).
-export([init/1, handle_call/3, handle_cast/2]).

%% @doc Starts an idle worker.
-spec start_link() -> {ok, pid()}.
start_link() ->
    gen_server:start_link(?MODULE, idle, []).

%% @doc Starts a worker that reports its start and crash times to
%% `BenchPid'.
-spec start_link(pid()) -> {ok, pid()}.
start_link(BenchPid) ->
    gen_server:start_link(?MODULE, {notify, BenchPid}, []).

%% @private
init(idle) ->
    {ok, idle};
init({notify, BenchPid} = State) ->
    BenchPid ! {started, self(), erlang:monotonic_time(nanosecond)},
    {ok, State}.

%% @private
handle_call(_Request, _From, State) ->
    {reply, ok, State}.

%% @private
handle_cast(crash, {notify, BenchPid}) ->
    BenchPid ! {crashing, self(), erlang:monotonic_time(nanosecond)},
    erlang:error(boom).
