%%% @doc One acceptor, then the echo session on the connection it accepted (the acceptor
%%% gen_server of Erlang's acceptor-pool design). It blocks in `gen_tcp:accept/1' from a cast
%%% to itself, so `init/1' returns at once, tells the owner with `{accepted, self()}' and then
%%% echoes in active-once mode, which keeps it an ordinary gen_server between messages.
-module(echo_acceptor).
-behaviour(gen_server).

-export([start_link/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-spec start_link(pid(), gen_tcp:socket()) -> {ok, pid()}.
start_link(Owner, LSock) ->
    gen_server:start_link(?MODULE, {Owner, LSock}, []).

init({Owner, LSock}) ->
    gen_server:cast(self(), accept),
    {ok, #{owner => Owner, lsock => LSock, socket => undefined}}.

handle_call(_Request, _From, State) ->
    {reply, {error, unknown_call}, State}.

handle_cast(accept, State = #{owner := Owner, lsock := LSock}) ->
    case gen_tcp:accept(LSock) of
        {ok, Socket} ->
            gen_server:cast(Owner, {accepted, self()}),
            ok = inet:setopts(Socket, [{active, once}]),
            {noreply, State#{socket := Socket}};
        {error, closed} ->
            {stop, normal, State};
        {error, Reason} ->
            {stop, {accept_failed, Reason}, State}
    end.

%% A failed send shows up as tcp_closed or tcp_error next.
handle_info({tcp, Socket, Data}, State = #{socket := Socket}) ->
    _ = gen_tcp:send(Socket, Data),
    ok = inet:setopts(Socket, [{active, once}]),
    {noreply, State};
handle_info({tcp_closed, Socket}, State = #{socket := Socket}) ->
    {stop, normal, State};
%% A client resetting its connection is not a server error worth a crash report.
handle_info({tcp_error, Socket, _Reason}, State = #{socket := Socket}) ->
    {stop, normal, State}.
