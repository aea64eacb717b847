%%% @doc Owns the listen socket and keeps `PoolSize' acceptors waiting on it (the owner of
%%% Erlang's acceptor-pool design). An acceptor casts `{accepted, Pid}' once it has a
%%% connection, and the owner starts a replacement. Waiting acceptors are monitored, so one that
%%% dies before accepting is replaced too (a dead acceptor must not shrink the pool).
-module(socket_server).
-behaviour(gen_server).

-export([start_link/2, port/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

%% Accepted sockets inherit these. The backlog is above the default of 5 because the benchmark
%% opens connections 128 at a time.
-define(TCP_OPTIONS, [binary, {packet, raw}, {active, false}, {reuseaddr, true},
                      {nodelay, true}, {backlog, 1024}]).

-spec start_link(inet:port_number(), pos_integer()) -> {ok, pid()} | {error, term()}.
start_link(Port, PoolSize) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, {Port, PoolSize}, []).

%% @doc The port the listen socket is bound to.
-spec port() -> {ok, inet:port_number()} | {error, term()}.
port() ->
    gen_server:call(?MODULE, port).

init({Port, PoolSize}) ->
    case gen_tcp:listen(Port, ?TCP_OPTIONS) of
        {ok, LSock} ->
            State = #{lsock => LSock, waiting => #{}},
            {ok, lists:foldl(fun(_, S) -> start_acceptor(S) end, State,
                             lists:seq(1, PoolSize))};
        {error, Reason} ->
            {stop, Reason}
    end.

handle_call(port, _From, State = #{lsock := LSock}) ->
    {reply, inet:port(LSock), State}.

handle_cast({accepted, Pid}, State = #{waiting := Waiting}) ->
    {Ref, Rest} = maps:take(Pid, Waiting),
    demonitor(Ref, [flush]),
    {noreply, start_acceptor(State#{waiting := Rest})}.

%% A waiting acceptor died without accepting: keep the pool full.
handle_info({'DOWN', _Ref, process, Pid, _Reason}, State = #{waiting := Waiting}) ->
    {noreply, start_acceptor(State#{waiting := maps:remove(Pid, Waiting)})}.

start_acceptor(State = #{lsock := LSock, waiting := Waiting}) ->
    {ok, Pid} = echo_sup:start_acceptor(self(), LSock),
    State#{waiting := Waiting#{Pid => monitor(process, Pid)}}.
