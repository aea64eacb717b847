%% does a failed supervisor:start_child log a supervisor report? Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 's4:main(),halt().'
-module(s4).
-export([main/0]).
main() ->
    lg:t0(),
    logger:set_primary_config(level, debug),
    logger:set_handler_config(default, formatter, {logger_formatter, #{single_line => true, template => [level, " ", msg, "\n"], max_size => 300}}),
    {P, M} = spawn_monitor(fun() ->
        process_flag(trap_exit, true),
        {ok, _Holder} = gs:start_link_named(taken, #{}),
        {ok, S} = sp:start_link({ok, {#{}, []}}),
        io:format("RESULT static fail: ~p~n", [supervisor:start_child(S, #{id => f, start => {sp, fail_start, [why]}})]),
        io:format("RESULT static name taken: ~p~n", [supervisor:start_child(S, #{id => n, start => {gs, start_link_named, [taken, #{}]}})]),
        {ok, S2} = sp:start_link({ok, {#{strategy => simple_one_for_one}, [#{id => t, start => {gs, start_link_named, []}}]}}),
        io:format("RESULT sofo name taken: ~p~n", [supervisor:start_child(S2, [taken, #{}])]),
        timer:sleep(100)
      end),
    receive {'DOWN', M, _, P, _} -> timer:sleep(100) after 5000 -> exit(P, kill) end.
