%%% @doc The simple_one_for_one supervisor of the echo acceptors. The children are temporary:
%%% a connection that ends is not restarted; `socket_server' keeps the pool of waiting
%%% acceptors full itself.
-module(echo_sup).
-behaviour(supervisor).

-export([start_link/0, start_acceptor/2, init/1]).

-spec start_link() -> {ok, pid()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

%% @doc Starts one acceptor waiting on `LSock', reporting accepts to `Owner'.
-spec start_acceptor(pid(), gen_tcp:socket()) -> {ok, pid()}.
start_acceptor(Owner, LSock) ->
    supervisor:start_child(?MODULE, [Owner, LSock]).

init([]) ->
    Flags = #{strategy => simple_one_for_one, intensity => 5, period => 10},
    Acceptor = #{id => echo_acceptor,
                 start => {echo_acceptor, start_link, []},
                 restart => temporary,
                 shutdown => brutal_kill},
    {ok, {Flags, [Acceptor]}}.
