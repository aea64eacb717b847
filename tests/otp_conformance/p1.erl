%% plain process scenarios (processes.md). Run: tests/otp_conformance/run.sh (or erl -noshell -pa EBIN) -eval 'p1:main(),halt().'
-module(p1).
-export([main/0]).
r(Name, F) ->
    io:format("~n== ~s~n", [Name]),
    {P, M} = spawn_monitor(fun() -> io:format("RESULT ~p~n", [catch F()]) end),
    receive {'DOWN', M, _, P, R} -> io:format("(runner exit ~p)~n", [R]) after 5000 -> exit(P, kill), io:format("RUNNER TIMEOUT~n") end.
main() ->
    r("selective receive: first message any clause takes, in arrival order; the rest stay in order", fun() ->
        self() ! {b, 1}, self() ! {x, 0}, self() ! {a, 2}, self() ! {b, 3},
        First = receive {a, N} -> {a, N}; {b, N} -> {b, N} end,
        OnlyA = receive {a, N2} -> {a, N2} end,
        {First, OnlyA, process_info(self(), messages)} end),
    r("guards: clauses in order for one message", fun() ->
        self() ! 5, self() ! 50,
        A = receive X when X > 10 -> {big, X}; X -> {any, X} end,
        B = receive Y when Y > 10 -> {big, Y}; Y -> {any, Y} end,
        {A, B} end),
    r("after 0 with nothing matching; after 0 with a match", fun() ->
        self() ! other,
        A = receive wanted -> got after 0 -> timeout end,
        self() ! wanted,
        B = receive wanted -> got after 0 -> timeout end,
        {A, B, process_info(self(), messages)} end),
    r("exit signals to a process waiting in receive", fun() ->
        Spawn = fun() -> spawn(fun() -> receive never -> ok end end) end,
        Mon = fun(P, Sig) -> M = monitor(process, P), exit(P, Sig),
                   receive {'DOWN', M, _, _, R} -> R after 200 -> still_alive end end,
        [{normal, Mon(Spawn(), normal)}, {other, Mon(Spawn(), other)}, {kill, Mon(Spawn(), kill)}] end),
    r("trapping: signals are messages, kill is not trappable; killed propagates trappably via links", fun() ->
        Self = self(),
        T = spawn(fun() -> process_flag(trap_exit, true), Self ! ready,
                           receive M1 -> Self ! {got, M1} end, receive M2 -> Self ! {got, M2} end end),
        receive ready -> ok end,
        exit(T, normal),
        V = spawn(fun() -> link(T), Self ! linked, receive never -> ok end end),
        receive linked -> ok end,
        exit(V, kill),
        Got = [receive {got, X} -> X after 500 -> none end || _ <- [1, 2]],
        {Got, is_process_alive(T)} end),
    r("exit(self(), normal) in a non-trapping process", fun() ->
        {P, M} = spawn_monitor(fun() -> exit(self(), normal), receive never -> ok after 200 -> survived end, exit(survived) end),
        receive {'DOWN', M, _, P, R} -> R end end),
    r("otp::exit(pid, normal) from another process to a trapping process", fun() -> skip end),
    r("return ends normal; error ends with {Reason, Stack} and logs 'Error in process'", fun() ->
        {P1, M1} = spawn_monitor(fun() -> ok end),
        {P2, M2} = spawn_monitor(fun() -> error(boom) end),
        {P3, M3} = spawn_monitor(fun() -> exit(myexit) end),
        {P4, M4} = spawn_monitor(fun() -> throw(ball) end),
        [receive {'DOWN', M, _, P, R} -> R end || {P, M} <- [{P1, M1}, {P2, M2}, {P3, M3}, {P4, M4}]] end),
    ok.
