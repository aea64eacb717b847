%% order of OTP's child spec checks. Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 's3:main(),halt().'
-module(s3).
-export([main/0]).
main() ->
    A = #{start => {gs, start_link, [#{}]}},
    C = fun(S) -> supervisor:check_childspecs([S]) end,
    C2 = fun(S, AS) -> supervisor:check_childspecs([S], AS) end,
    io:format("~p~n", [[
      {type_and_shutdown, C(A#{id => w, type => foo, shutdown => -5})},
      {restart_and_type, C(A#{id => w, restart => foo, type => foo})},
      {shutdown_and_restart, C(A#{id => w, restart => foo, shutdown => -5})},
      {perm_sig_never, C(A#{id => w, significant => true})},
      {perm_sig_never2, C2(A#{id => w, significant => true}, never)},
      {perm_sig_any, C2(A#{id => w, significant => true}, any_significant)},
      {sig_bad_and_shutdown, C2(A#{id => w, significant => foo, shutdown => -5}, any_significant)},
      {no_id_no_start, C(#{})},
      {dup, supervisor:check_childspecs([A#{id => w}, A#{id => w}])}]]).
