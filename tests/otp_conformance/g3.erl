%% sys:trace output format, sys:get_state returns the term, {shutdown,_} no report. Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 'g3:main(),halt().'
-module(g3).
-export([main/0]).
main() ->
    lg:t0(),
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => true, template => [level, " ", msg, "\n"], max_size => 300}}),
    {P, M} = spawn_monitor(fun() ->
        {ok, S} = gs:start_link_named(traced, #{id => traced}),
        sys:trace(S, true),
        gen_server:call(S, get),
        gen_server:cast(S, {apply, fun(St) -> {noreply, St} end}),
        S ! hello,
        timer:sleep(50),
        sys:trace(S, false),
        io:format("get_state: ~p~n", [sys:get_state(S)]),
        io:format("replace_state: ~p~n", [sys:replace_state(S, fun(St) -> St#{x => 1} end)]),
        io:format("statistics: ~p ~p~n", [sys:statistics(S, true), element(1, sys:statistics(S, get))]),
        {ok, Q} = gs:start(#{id => q}), Mq = monitor(process, Q),
        gen_server:cast(Q, {exit, {shutdown, detail}}),
        receive {'DOWN', Mq, _, _, R} -> io:format("{shutdown,detail} exit: ~p (no error report above/below = clean)~n", [R]) end,
        timer:sleep(50)
      end),
    receive {'DOWN', M, _, P, _} -> ok after 5000 -> exit(P, kill) end.
