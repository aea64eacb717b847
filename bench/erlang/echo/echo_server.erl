%%% @doc Entry point and top supervisor of the Erlang echo server, in the acceptor-pool design:
%%% `socket_server' owns the listen socket and keeps 20 `echo_acceptor's waiting under the
%%% simple_one_for_one supervisor `echo_sup'; each acceptor casts `{accepted, self()}' to the
%%% owner, which starts its replacement, and then echoes on its connection.
%%%
%%% rest_for_one: if `echo_sup' dies, `socket_server' is restarted after it, so the pool is
%%% refilled under the new supervisor; if only `socket_server' dies, connected acceptors keep
%%% serving and the waiting ones stop when the listen socket closes.
-module(echo_server).
-behaviour(supervisor).

-export([main/1, init/1]).

-define(ACCEPTORS, 20).

%% @doc `erl -run echo_server main Port': starts the server, prints `PID <os pid>' and
%% `LISTENING <port>' (Port 0 picks a free one) and halts the VM if the tree gives up.
-spec main([string()]) -> no_return().
main([PortArg]) ->
    Port = list_to_integer(PortArg),
    process_flag(trap_exit, true),
    {ok, Sup} = supervisor:start_link({local, ?MODULE}, ?MODULE, Port),
    {ok, Listening} = socket_server:port(),
    io:format("PID ~s~nLISTENING ~b~n", [os:getpid(), Listening]),
    receive
        {'EXIT', Sup, Reason} ->
            io:format(standard_error, "echo_server stopped: ~p~n", [Reason]),
            halt(1)
    end.

init(Port) ->
    Flags = #{strategy => rest_for_one, intensity => 5, period => 10},
    Children = [#{id => echo_sup,
                  start => {echo_sup, start_link, []},
                  type => supervisor},
                #{id => socket_server,
                  start => {socket_server, start_link, [Port, ?ACCEPTORS]}}],
    {ok, {Flags, Children}}.
