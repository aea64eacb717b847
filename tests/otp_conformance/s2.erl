%% simple_one_for_one + auto_shutdown; significant sofo child. Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 's2:main(),halt().'
-module(s2).
-export([main/0]).
main() ->
    logger:set_primary_config(level, error), lg:t0(),
    {P, M} = spawn_monitor(fun() ->
        process_flag(trap_exit, true),
        R0 = sp:start_link({ok, {#{strategy => simple_one_for_one, auto_shutdown => any_significant},
                                 [#{id => t, start => {gs, start_link, []}}]}}),
        io:format("sofo+any_significant, non-significant template: ~p~n", [R0]),
        R = sp:start_link({ok, {#{strategy => simple_one_for_one, auto_shutdown => any_significant},
                                [#{id => t, start => {gs, start_link, []}, restart => temporary, significant => true}]}}),
        io:format("sofo+any_significant, significant template: ~p~n", [R]),
        case R of
            {ok, S} ->
                {ok, C1} = supervisor:start_child(S, [#{id => c1}]),
                {ok, _} = supervisor:start_child(S, [#{id => c2}]),
                gen_server:cast(C1, {exit, normal}),
                io:format("after significant sofo child exit: ~p~n", [receive {'EXIT', S, X} -> X after 500 -> still_alive end]);
            _ -> ok
        end,
        R2 = sp:start_link({ok, {#{strategy => simple_one_for_one, auto_shutdown => all_significant},
                                [#{id => t, start => {gs, start_link, []}, restart => temporary, significant => true}]}}),
        io:format("sofo+all_significant, significant template: ~p~n", [R2]),
        %% significant child started with start_child in a static supervisor
        {ok, S3} = sp:start_link({ok, {#{auto_shutdown => any_significant}, []}}),
        io:format("start_child significant: ~p~n", [supervisor:start_child(S3, #{id => s, start => {gs, start_link, [#{id => s}]}, restart => temporary, significant => true})]),
        io:format("start_child permanent significant: ~p~n", [supervisor:start_child(S3, #{id => p, start => {gs, start_link, [#{id => p}]}, significant => true})])
      end),
    receive {'DOWN', M, _, P, _} -> ok after 5000 -> exit(P, kill) end.
