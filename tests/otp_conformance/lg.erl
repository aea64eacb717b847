-module(lg).
-export([t0/0, log/1]).
t0() -> persistent_term:put(lg_t0, erlang:monotonic_time(millisecond)).
log(X) ->
    T = erlang:monotonic_time(millisecond) - persistent_term:get(lg_t0, 0),
    io:format("~6b ms ~p~n", [T, X]).
