-module(sp).
-behaviour(supervisor).
-export([start_link/1, start_link_named/2, init/1, ignore_start/0, fail_start/1]).
start_link(X) -> supervisor:start_link(?MODULE, X).
start_link_named(N, X) -> supervisor:start_link({local, N}, ?MODULE, X).
init(X) -> X.
ignore_start() -> ignore.
fail_start(R) -> {error, R}.
