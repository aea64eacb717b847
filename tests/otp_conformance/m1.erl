%% max_heap_size: what a process over its bound exits with. Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 'm1:main(),halt().'
-module(m1).
-export([main/0]).
main() ->
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => true, template => [level, " ", msg, "\n"], max_size => 300}}),
    {ok, P} = gen_server:start(gs, #{id => m}, [{spawn_opt, [{max_heap_size, #{size => 2000, kill => true, error_logger => true}}]}]),
    M = monitor(process, P),
    lg:t0(), sys:suspend(P),
    [gen_server:cast(P, {apply, fun(S) -> {noreply, S} end}) || _ <- lists:seq(1, 5000)],
    catch sys:resume(P),
    io:format("RESULT ~p~n", [receive {'DOWN', M, _, _, R} -> R after 2000 -> still_alive end]),
    timer:sleep(100).
