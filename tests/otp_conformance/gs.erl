%% generic configurable gen_server; state is a map
-module(gs).
-behaviour(gen_server).
-export([start_link/1, start_link_named/2, start/1, init/1, handle_call/3, handle_cast/2,
         handle_info/2, handle_continue/2, terminate/2]).
start_link(O) -> gen_server:start_link(?MODULE, O, []).
start_link_named(N, O) -> gen_server:start_link({local, N}, ?MODULE, O, []).
start(O) -> gen_server:start(?MODULE, O, []).
init(O) ->
    Id = maps:get(id, O, anon),
    lg:log({init, Id, self()}),
    case maps:get(trap, O, false) of true -> process_flag(trap_exit, true); _ -> ok end,
    case maps:get(init, O, undefined) of
        undefined -> {ok, O};
        F when is_function(F, 1) -> F(O);
        R -> R
    end.
handle_call({apply, F}, From, S) -> F(From, S);
handle_call(get, _, S) -> {reply, S, S};
handle_call(self, _, S) -> {reply, gen_server:call(self(), get), S}.
handle_cast({apply, F}, S) -> F(S);
handle_cast(crash, _S) -> exit(crash);
handle_cast({exit, R}, _S) -> exit(R);
handle_cast(unlink_parent, S) -> [P|_] = get('$ancestors'), unlink(whereis_or(P)), {noreply, S}.
whereis_or(P) when is_pid(P) -> P;
whereis_or(N) -> whereis(N).
handle_info(M, S) -> lg:log({info, maps:get(id, S, anon), M}), {noreply, S}.
handle_continue(C, S) -> lg:log({continue, maps:get(id, S, anon), C}), {noreply, S}.
terminate(R, S) ->
    lg:log({terminate, maps:get(id, S, anon), R}),
    case maps:get(term_sleep, S, 0) of 0 -> ok; T -> timer:sleep(T), lg:log({terminate_done, maps:get(id,S,anon)}) end.
