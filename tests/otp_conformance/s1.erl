%% supervisor scenarios (OTP 25). Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 's1:main(),halt().'
-module(s1).
-export([main/0, main/1]).
r(Name, F) ->
    io:format("~n== ~s~n", [Name]),
    {P, M} = spawn_monitor(fun() -> lg:t0(), io:format("RESULT ~p~n", [catch F()]) end),
    receive {'DOWN', M, _, P, R} -> io:format("(runner exit ~p)~n", [R]) after 20000 -> exit(P, kill), io:format("RUNNER TIMEOUT~n") end.
w(Id) -> w(Id, #{}).
w(Id, Extra) -> maps:merge(#{id => Id, start => {gs, start_link, [#{id => Id, trap => true}]}}, Extra).
wt(Id, Extra) -> % worker with custom gs options
    {Opts, Rest} = maps:take(opts, Extra),
    maps:merge(#{id => Id, start => {gs, start_link, [maps:merge(#{id => Id, trap => true}, Opts)]}}, Rest).
pid(Sup, Id) -> {Id, P, _, _} = lists:keyfind(Id, 1, supervisor:which_children(Sup)), P.
crash(Sup, Id) -> P = pid(Sup, Id), M = monitor(process, P), gen_server:cast(P, crash), receive {'DOWN', M, _, _, _} -> ok end.
sup(Flags, Specs) -> {ok, S} = sp:start_link({ok, {Flags, Specs}}), S.
stopsup(S) -> unlink(S), M = monitor(process, S), exit(S, shutdown), receive {'DOWN', M, _, _, R} -> R end.
align(FracMs) -> % wait until monotonic second fraction ~ FracMs
    T = erlang:monotonic_time(millisecond), F = T - erlang:monotonic_time(second) * 1000,
    timer:sleep((FracMs - F + 1000) rem 1000).

main() -> main(all).
main(What) ->
    logger:set_primary_config(level, notice),
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => true, template => [level, " ", msg, "\n"], max_size => 400}}),
    [run(N, What) || N <- [start, errors, dyn, sofo, shutdown, order, intensity, auto, monitor]],
    ok.
run(N, all) -> s(N);
run(N, N) -> s(N);
run(_, _) -> ok.

s(start) ->
    r("start order, which_children order, count_children, ignore child", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [w(a), #{id => ig, start => {sp, ignore_start, []}}, w(b), #{id => sub, start => {sp, start_link, [{ok, {#{}, []}}]}, type => supervisor}]),
        {supervisor:which_children(S), supervisor:count_children(S), supervisor:get_childspec(S, a), supervisor:get_childspec(S, ig)} end),
    r("defaults of flags and a worker spec", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [#{id => a, start => {gs, start_link, [#{}]}}, #{id => s, start => {sp, start_link, [{ok, {#{}, []}}]}, type => supervisor}]),
        {supervisor:get_childspec(S, a), supervisor:get_childspec(S, s), sys:get_state(S)} end),
    r("a child failing to start", fun() ->
        process_flag(trap_exit, true),
        R1 = sp:start_link({ok, {#{}, [w(a), #{id => f, start => {sp, fail_start, [why]}}, w(c)]}}),
        R2 = sp:start_link({ok, {#{}, [#{id => g, start => {gs, start_link, [#{init => {stop, nope}}]}}]}}),
        {R1, R2} end),
    r("already_started (supervisor name)", fun() ->
        process_flag(trap_exit, true),
        {ok, S} = sp:start_link_named(supn, {ok, {#{}, []}}),
        {S, sp:start_link_named(supn, {ok, {#{}, []}})} end);
s(errors) ->
    r("bad flags/specs", fun() ->
        process_flag(trap_exit, true),
        T = fun(F, Sp) -> sp:start_link({ok, {F, Sp}}) end,
        A = #{start => {gs, start_link, [#{}]}},
        [T(#{intensity => -1}, []), T(#{period => 0}, []), T(#{strategy => foo}, []),
         T(#{auto_shutdown => foo}, []),
         T(#{strategy => simple_one_for_one, auto_shutdown => any_significant}, [A#{id => t}]),
         T(#{}, [A#{id => w}, A#{id => w}]),
         T(#{}, [A]),
         T(#{}, [#{id => w}]),
         T(#{}, [A#{id => w, restart => foo}]),
         T(#{}, [A#{id => w, shutdown => -5}]),
         T(#{}, [A#{id => w, type => foo}]),
         T(#{auto_shutdown => any_significant}, [A#{id => w, significant => true}]),
         T(#{auto_shutdown => any_significant}, [A#{id => w, restart => transient, significant => true}]) =/= x,
         T(#{}, [A#{id => w, restart => transient, significant => true}]),
         T(#{strategy => simple_one_for_one}, [A#{id => w}, A#{id => x}]),
         T(#{strategy => simple_one_for_one}, []),
         T(#{strategy => simple_one_for_one}, [A])
        ] end),
    r("start_child with bad specs", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, []),
        A = #{start => {gs, start_link, [#{}]}},
        [supervisor:start_child(S, #{id => x}), supervisor:start_child(S, A#{id => x, shutdown => -5}),
         supervisor:start_child(S, A), supervisor:start_child(S, #{id => f, start => {sp, fail_start, [why]}}),
         supervisor:start_child(S, #{id => g, start => {gs, start_link, [#{init => {stop, nope}}]}}),
         supervisor:start_child(S, #{id => i, start => {sp, ignore_start, []}}),
         supervisor:which_children(S),
         supervisor:check_childspecs([A#{id => w, shutdown => -5}]),
         supervisor:check_childspecs([A#{id => w}])] end);
s(dyn) ->
    r("terminate/restart/delete child results (static)", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [w(a), w(b)]),
        Pa = pid(S, a),
        [{start_dup_running, supervisor:start_child(S, w(a))},
         {term_by_pid, supervisor:terminate_child(S, Pa)},
         {restart_running, supervisor:restart_child(S, a)},
         {delete_running, supervisor:delete_child(S, a)},
         {term, supervisor:terminate_child(S, a)},
         {term_again, supervisor:terminate_child(S, a)},
         {which, supervisor:which_children(S)},
         {count, supervisor:count_children(S)},
         {start_dup_present, supervisor:start_child(S, w(a))},
         {restart, supervisor:restart_child(S, a)},
         {term_nf, supervisor:terminate_child(S, zz)}, {restart_nf, supervisor:restart_child(S, zz)},
         {delete_nf, supervisor:delete_child(S, zz)}, {getspec_nf, supervisor:get_childspec(S, zz)},
         {term_b, supervisor:terminate_child(S, b)}, {delete_b, supervisor:delete_child(S, b)},
         {which2, supervisor:which_children(S)}] end),
    r("restart_child whose start fails / ignores", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, []),
        {ok, _} = supervisor:start_child(S, w(a)),
        ok = supervisor:terminate_child(S, a),
        {ok, _} = supervisor:start_child(S, #{id => i, start => {sp, ignore_start, []}}),
        {supervisor:restart_child(S, i), supervisor:which_children(S)} end),
    r("temporary child: terminate_child deletes spec; restart of temporary", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [w(t, #{restart => temporary})]),
        {supervisor:terminate_child(S, t), supervisor:which_children(S), supervisor:restart_child(S, t)} end),
    r("name taken: static child and sofo child", fun() ->
        process_flag(trap_exit, true),
        {ok, Holder} = gs:start_link_named(taken, #{}),
        S = sup(#{}, []),
        A = supervisor:start_child(S, #{id => n, start => {gs, start_link_named, [taken, #{}]}}),
        S2 = sup(#{strategy => simple_one_for_one}, [#{id => t, start => {gs, start_link_named, []}}]),
        B = supervisor:start_child(S2, [taken, #{}]),
        {Holder, A, B} end);
s(sofo) ->
    r("simple_one_for_one specifics", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{strategy => simple_one_for_one}, [#{id => tmpl, start => {gs, start_link, []}}]),
        {ok, P1} = supervisor:start_child(S, [#{id => c1}]),
        {ok, P2} = supervisor:start_child(S, [#{id => c2}]),
        Dead = spawn(fun() -> ok end), timer:sleep(10),
        Live = spawn(fun() -> receive _ -> ok end end),
        R = [{which, supervisor:which_children(S)}, {count, supervisor:count_children(S)},
             {getspec_pid, supervisor:get_childspec(S, P1)}, {getspec_id, supervisor:get_childspec(S, tmpl)},
             {term_id, supervisor:terminate_child(S, tmpl)},
             {term_deadpid, supervisor:terminate_child(S, Dead)},
             {term_livepid_notchild, supervisor:terminate_child(S, Live)},
             {restart, supervisor:restart_child(S, tmpl)}, {restart_pid, supervisor:restart_child(S, P1)},
             {delete, supervisor:delete_child(S, tmpl)}, {delete_pid, supervisor:delete_child(S, P1)},
             {term_p1, supervisor:terminate_child(S, P1)}, {term_p1_again, supervisor:terminate_child(S, P1)},
             {start_child_spec, supervisor:start_child(S, #{id => x, start => {gs, start_link, [#{}]}})}],
        %% restart with own args
        M = monitor(process, P2), gen_server:cast(P2, crash), receive {'DOWN', M, _, _, _} -> ok end,
        timer:sleep(50),
        [{_, P2b, _, _}] = supervisor:which_children(S),
        R ++ [{restarted_state, sys:get_state(P2b)}] end),
    r("sofo past intensity: supervisor exits shutdown", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{strategy => simple_one_for_one, intensity => 2}, [#{id => tmpl, start => {gs, start_link, []}}]),
        {ok, _} = supervisor:start_child(S, [#{id => c1}]),
        {ok, _} = supervisor:start_child(S, [#{id => c2, trap => true}]),
        Loop = fun L(0) -> ok; L(N) -> [{_, P, _, _} | _] = supervisor:which_children(S), gen_server:cast(P, crash), timer:sleep(100), L(N - 1) end,
        catch Loop(3),
        receive {'EXIT', S, R} -> R after 2000 -> no_exit end end);
s(shutdown) ->
    r("orderly stop: reverse order, each own timeout, killed child reason, sup exits last", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [w(a), wt(h, #{opts => #{term_sleep => 5000}, shutdown => 300}), w(c)]),
        R = stopsup(S), lg:log({sup_exit, R}), R end),
    r("brutal_kill child; child not trapping", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [w(a, #{shutdown => brutal_kill}), wt(n, #{opts => #{trap => false}})]),
        stopsup(S) end),
    r("sofo: children stop concurrently, one timeout for all", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{strategy => simple_one_for_one}, [#{id => tmpl, start => {gs, start_link, []}, shutdown => 500}]),
        [supervisor:start_child(S, [#{id => {k, I}, trap => true, term_sleep => 2000}]) || I <- [1, 2, 3, 4]],
        R = stopsup(S), lg:log({sup_exit, R}), R end),
    r("non-permanent child exiting normal during shutdown: no shutdown_error; permanent: shutdown_error", fun() ->
        process_flag(trap_exit, true),
        NormalOnShutdown = #{init => fun(O) -> process_flag(trap_exit, true), {ok, O} end},
        %% a child that on 'EXIT' from parent exits normal
        S = sup(#{}, [#{id => t, restart => transient, start => {gs, start_link, [#{id => t, trap => false}]}},
                      #{id => p, start => {gs, start_link, [#{id => p, trap => false}]}}]),
        [gen_server:cast(pid(S, X), {apply, fun(St) -> process_flag(trap_exit, true), {noreply, St#{info_stop => true}} end}) || X <- [t, p]],
        NormalOnShutdown, 
        stopsup(S) end);
s(order) ->
    r("one_for_all with a child hanging in terminate: a, h(500ms), c; crash c", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{strategy => one_for_all, intensity => 5}, [w(a), wt(h, #{opts => #{term_sleep => 5000}, shutdown => 500}), w(c)]),
        crash(S, c), timer:sleep(700),
        lg:log({which, supervisor:which_children(S)}), stopsup(S) end),
    r("rest_for_one: a b c, crash b", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{strategy => rest_for_one, intensity => 5}, [w(a), w(b), w(c)]),
        crash(S, b), timer:sleep(100), stopsup(S) end),
    r("one_for_all with temporary sibling; transient normal/shutdown; permanent normal", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{strategy => one_for_all, intensity => 10}, [w(p), w(tmp, #{restart => temporary})]),
        crash(S, p), timer:sleep(50),
        W1 = supervisor:which_children(S),
        S2 = sup(#{intensity => 10}, [w(tr, #{restart => transient}), w(pm)]),
        gen_server:cast(pid(S2, tr), {exit, {shutdown, x}}), timer:sleep(50),
        gen_server:cast(pid(S2, pm), {exit, normal}), timer:sleep(50),
        {W1, supervisor:which_children(S2)} end),
    r("failed restart: try_again_restart counts toward intensity", fun() ->
        process_flag(trap_exit, true),
        ets:new(cnt, [named_table, public]), ets:insert(cnt, {n, 0}),
        F = fun(O) -> case ets:update_counter(cnt, n, 1) of N when N >= 2, N =< 3 -> {stop, failing}; _ -> {ok, O} end end,
        S = sup(#{intensity => 3}, [#{id => f, start => {gs, start_link, [#{id => f, init => F}]}}]),
        crash(S, f), timer:sleep(100),
        A = {alive, is_process_alive(S), supervisor:which_children(S)},
        ets:insert(cnt, {n, 1}),
        crash(S, f),
        {A, receive {'EXIT', S, R} -> R after 1000 -> no_exit end} end);
s(intensity) ->
    IntTest = fun(Period, Frac, Apart) ->
        process_flag(trap_exit, true),
        align(Frac),
        S = sup(#{intensity => 1, period => Period}, [w(a)]),
        T1 = erlang:monotonic_time(millisecond), crash(S, a),
        timer:sleep(Apart - (erlang:monotonic_time(millisecond) - T1)),
        T2 = erlang:monotonic_time(millisecond), crash(S, a),
        timer:sleep(100),
        {period, Period, apart_ms, T2 - T1, first_frac_ms, T1 rem 1000, sup_alive, is_process_alive(S)} end,
    r("intensity 1 period 1, 1001 ms apart", fun() -> IntTest(1, 100, 1001) end),
    r("intensity 1 period 2, 2900 ms apart, first at .05", fun() -> IntTest(2, 50, 2900) end),
    r("intensity 1 period 2, 2100 ms apart, first at .95", fun() -> IntTest(2, 950, 2100) end),
    r("intensity 1 period 2, 2001 ms apart, first at .995", fun() -> IntTest(2, 995, 2010) end),
    r("intensity 0", fun() -> process_flag(trap_exit, true), S = sup(#{intensity => 0}, [w(a)]), crash(S, a), receive {'EXIT', S, R} -> R after 1000 -> none end end);
s(auto) ->
    r("auto_shutdown any_significant: temporary significant exits normal", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{auto_shutdown => any_significant}, [w(a), w(s, #{restart => temporary, significant => true})]),
        gen_server:cast(pid(S, s), {exit, normal}),
        receive {'EXIT', S, R} -> R after 1000 -> still_alive end end),
    r("auto_shutdown any_significant: terminate_child of significant does not shut down", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{auto_shutdown => any_significant}, [w(a), w(s, #{restart => transient, significant => true})]),
        ok = supervisor:terminate_child(S, s),
        receive {'EXIT', S, R} -> R after 300 -> still_alive end end),
    r("auto_shutdown any_significant: transient significant crash is restarted, normal exit shuts down", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{auto_shutdown => any_significant}, [w(s, #{restart => transient, significant => true})]),
        crash(S, s), timer:sleep(50), A = is_process_alive(S),
        gen_server:cast(pid(S, s), {exit, shutdown}),
        {A, receive {'EXIT', S, R} -> R after 1000 -> still_alive end} end),
    r("auto_shutdown all_significant", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{auto_shutdown => all_significant}, [w(x, #{restart => temporary, significant => true}), w(y, #{restart => temporary, significant => true})]),
        gen_server:cast(pid(S, x), {exit, normal}), timer:sleep(50), A = is_process_alive(S),
        gen_server:cast(pid(S, y), {exit, normal}),
        {A, receive {'EXIT', S, R} -> R after 1000 -> still_alive end} end);
s(monitor) ->
    r("a child that unlinks itself then exits: does the supervisor see it?", fun() ->
        process_flag(trap_exit, true),
        S = sup(#{}, [w(a)]),
        P = pid(S, a),
        gen_server:cast(P, {apply, fun(St) -> unlink(S), {noreply, St} end}),
        timer:sleep(20),
        gen_server:cast(P, crash), timer:sleep(100),
        {old, P, which, supervisor:which_children(S)} end).
