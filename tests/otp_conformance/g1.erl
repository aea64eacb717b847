%% gen_server scenarios (OTP 25). Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 'g1:main(),halt().'
-module(g1).
-export([main/0]).
r(Name, F) ->
    io:format("~n== ~s~n", [Name]),
    {P, M} = spawn_monitor(fun() -> lg:t0(), io:format("RESULT ~p~n", [catch F()]) end),
    receive {'DOWN', M, _, P, R} -> io:format("(runner exit ~p)~n", [R]) after 15000 -> exit(P, kill), io:format("RUNNER TIMEOUT~n") end,
    flush().
flush() -> receive _ -> flush() after 0 -> ok end.

main() ->
    logger:set_primary_config(level, error),
    r("init continue / timeout", fun() ->
        {ok, P} = gs:start(#{id => c, init => {ok, #{id => c}, {continue, go}}}),
        gen_server:cast(P, {apply, fun(S) -> {noreply, S, 100} end}),
        timer:sleep(200),
        gen_server:stop(P) end),
    r("init stop / ignore: result, alive?, monitor", fun() ->
        process_flag(trap_exit, true),
        R1 = gs:start_link(#{init => {stop, bad}}),
        R2 = gs:start_link(#{init => ignore}),
        R3 = gs:start(#{init => fun(_) -> error(boom) end}),
        {R1, R2, element(1, R3), receive X -> X after 100 -> none end} end),
    r("monitor a dead pid", fun() ->
        {P, M0} = spawn_monitor(fun() -> exit(myreason) end),
        receive {'DOWN', M0, _, _, _} -> ok end,
        M = monitor(process, P),
        receive {'DOWN', M, _, _, R} -> R after 100 -> none end end),
    r("already_started", fun() ->
        {ok, P} = gs:start_link_named(n1, #{}),
        {P, gs:start_link_named(n1, #{})} end),
    r("call timeout / noproc / exited before reply / calling self", fun() ->
        {ok, P} = gs:start(#{}),
        A = catch gen_server:call(P, {apply, fun(_, S) -> {noreply, S} end}, 100),
        B = catch gen_server:call(P, self, 1000),
        gen_server:stop(P),
        C = catch gen_server:call(P, get),
        {ok, P2} = gs:start(#{}),
        D = catch gen_server:call(P2, {apply, fun(_, _) -> exit(boom) end}),
        {ok, P3} = gs:start(#{}),
        gen_server:cast(P3, {apply, fun(S) -> timer:sleep(100), exit(later) end}),
        E = catch gen_server:call(P3, get),
        {A, B, C, D, E} end),
    r("stop with reply: order of terminate and reply", fun() ->
        {ok, P} = gs:start(#{id => s}),
        R = gen_server:call(P, {apply, fun(_, S) -> {stop, why, myreply, S} end}),
        lg:log({caller_got, R}) end),
    r("stop without reply with pending deferred call", fun() ->
        {ok, P} = gs:start(#{id => s}),
        Self = self(),
        spawn(fun() -> timer:sleep(50), gen_server:cast(P, {apply, fun(S) -> {stop, gone, S} end}) end),
        catch gen_server:call(P, {apply, fun(_, S) -> {noreply, S} end}) end),
    r("cast to dead server", fun() ->
        {ok, P} = gs:start(#{}), gen_server:stop(P),
        {gen_server:cast(P, x), gen_server:cast(nosuchname, x)} end),
    r("exit signals, non-trapping: normal ignored, other kills w/o terminate", fun() ->
        {ok, P} = gs:start(#{id => nt}),
        exit(P, normal), timer:sleep(20), A = is_process_alive(P),
        M = monitor(process, P), exit(P, other),
        receive {'DOWN', M, _, _, R} -> {A, R} end end),
    r("exit signals, trapping: parent -> terminate, others -> info, kill -> killed", fun() ->
        process_flag(trap_exit, true),
        {ok, P} = gs:start_link(#{id => tr, trap => true}),
        Other = spawn(fun() -> receive _ -> ok end end),
        exit(P, fromtest_parent),
        receive {'EXIT', P, R} -> lg:log({parent_saw, R}) end,
        {ok, P2} = gs:start(#{id => tr2, trap => true}),
        spawn(fun() -> exit(P2, from_other) end),
        timer:sleep(20),
        M = monitor(process, P2),
        exit(P2, kill),
        receive {'DOWN', M, _, _, R2} -> lg:log({down, R2}) end,
        ok end),
    r("exit(R) in callback -> terminate(R)", fun() ->
        {ok, P} = gs:start(#{id => ex}), M = monitor(process, P),
        gen_server:cast(P, {exit, myreason}),
        receive {'DOWN', M, _, _, R} -> R end end),
    r("error in callback -> reason", fun() ->
        {ok, P} = gs:start(#{id => er}), M = monitor(process, P),
        gen_server:cast(P, {apply, fun(_) -> error(badthing) end}),
        receive {'DOWN', M, _, _, R} -> R end end),
    r("stop/3: terminate with reason; stop of dead; stop timeout", fun() ->
        {ok, P} = gs:start(#{id => st}),
        A = gen_server:stop(P, myr, 1000),
        B = catch gen_server:stop(P, myr, 1000),
        {ok, P2} = gs:start(#{id => st2, term_sleep => 500}),
        C = catch gen_server:stop(P2, normal, 100),
        {A, B, C} end),
    r("start timeout: {error,timeout}, killed, children see killed", fun() ->
        process_flag(trap_exit, true),
        Self = self(),
        R = gen_server:start_link(gs, #{id => slow, init => fun(O) ->
                 {ok, C} = gs:start_link(#{id => kid, trap => true}), Self ! {kid, C},
                 timer:sleep(1000), {ok, O} end}, [{timeout, 200}]),
        timer:sleep(100),
        receive {kid, C} -> ok end,
        {R, is_process_alive(C), receive X -> X after 0 -> none end} end),
    r("inactivity timeout cancelled by a message", fun() ->
        {ok, P} = gs:start(#{id => to}),
        gen_server:cast(P, {apply, fun(S) -> {noreply, S, 100} end}),
        timer:sleep(50), P ! hello, timer:sleep(200), gen_server:stop(P) end),
    r("sys: get_status / message_queue_len with suspended server", fun() ->
        {ok, P} = gs:start(#{id => sy}),
        sys:suspend(P),
        [gen_server:cast(P, {apply, fun(S) -> {noreply, S} end}) || _ <- lists:seq(1, 1000)],
        Q = process_info(P, message_queue_len),
        {status, _, _, [PD, SysState, _Parent, _Dbg, Misc]} = sys:get_status(P),
        sys:resume(P),
        {Q, SysState, Misc} end),
    r("sys:get_status on a busy server: answered in mailbox order", fun() ->
        {ok, P} = gs:start(#{id => busy}),
        gen_server:cast(P, {apply, fun(S) -> timer:sleep(300), {noreply, S} end}),
        [gen_server:cast(P, {apply, fun(S) -> {noreply, S} end}) || _ <- lists:seq(1, 10)],
        T0 = erlang:monotonic_time(millisecond),
        _ = sys:get_status(P),
        {answered_after_ms, erlang:monotonic_time(millisecond) - T0} end),
    r("sys on dead server", fun() ->
        {ok, P} = gs:start(#{}), gen_server:stop(P),
        catch sys:get_state(P, 100) end),
    r("unexpected info without handle_info/2 clause (default logs)", fun() -> ok end),
    r("call a plain process that exits", fun() ->
        P = spawn(fun() -> receive stop -> exit(plainreason) end end),
        spawn(fun() -> timer:sleep(100), P ! stop end),
        catch gen_server:call(P, hello, 1000) end),
    ok.
