%% more gen_server scenarios. Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 'g2:main(),halt().'
-module(g2).
-export([main/0]).
r(Name, F) ->
    io:format("~n== ~s~n", [Name]),
    {P, M} = spawn_monitor(fun() -> lg:t0(), io:format("RESULT ~p~n", [catch F()]) end),
    receive {'DOWN', M, _, P, R} -> io:format("(runner exit ~p)~n", [R]) after 15000 -> exit(P, kill), io:format("RUNNER TIMEOUT~n") end.
main() ->
    logger:set_primary_config(level, warning),
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => true, template => [level, " ", msg, "\n"]}}),
    r("call errors", fun() ->
        {ok, P} = gs:start(#{}),
        A = catch gen_server:call(P, {apply, fun(_, S) -> {noreply, S} end}, 100),
        B = catch gen_server:call(P, self, 1000),
        C = catch gen_server:call(P, get),
        D = catch gen_server:call(nosuch, get),
        {ok, P2} = gs:start(#{}),
        E = catch gen_server:call(P2, {apply, fun(_, _) -> exit(boom) end}),
        {ok, P3} = gs:start(#{}),
        gen_server:cast(P3, {apply, fun(_) -> timer:sleep(100), exit(later) end}),
        F = catch gen_server:call(P3, get),
        [A, B, C, D, E, F] end),
    r("stop with reply while terminate sleeps 300ms: when does the caller get it", fun() ->
        {ok, P} = gs:start(#{id => s, term_sleep => 300}),
        R = gen_server:call(P, {apply, fun(_, S) -> {stop, normal, myreply, S} end}),
        lg:log({caller_got, R}) end),
    r("stop/3 timeout: does the server go on?", fun() ->
        {ok, P} = gs:start(#{id => st2, term_sleep => 300}),
        C = catch gen_server:stop(P, normal, 100),
        lg:log({stop_returned, C, alive, is_process_alive(P)}),
        timer:sleep(400), is_process_alive(P) end),
    r("unexpected info, no handle_info/2", fun() ->
        {ok, P} = gen_server:start(gs2, [], []), P ! surprise, timer:sleep(50), is_process_alive(P) end),
    r("gen_server:reply from another process", fun() ->
        {ok, P} = gs:start(#{}),
        gen_server:call(P, {apply, fun(From, S) -> spawn(fun() -> gen_server:reply(From, later) end), {noreply, S} end}) end),
    r("hibernate_after / spawn_opt options accepted", fun() ->
        {ok, P} = gen_server:start(gs, #{}, [{hibernate_after, 10}, {spawn_opt, [{message_queue_data, off_heap}]}]),
        timer:sleep(50), process_info(P, current_function) end),
    ok.
