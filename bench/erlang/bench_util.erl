%%% @doc Shared helpers for the Erlang side of the caf-otp benchmarks.
%%%
%%% Entry-point wrapping (exit status, usage errors), argument parsing,
%%% timing, simple statistics and the `RESULT <name> <value> <unit>'
%%% output lines parsed by the C++ benchmark runner.
-module(bench_util).

-export([main/2, int_arg/3, now_ns/0, per_second/2,
         median/1, percentile/2, result/3, report_reps/3, repeat/2]).

%% @doc Runs `Fun(Args)' and stops the VM with status 0 on success.
%% A `{usage, Msg}' throw or any crash prints a message to stderr and
%% halts the VM with status 1, so the caller sees a non-zero exit code.
-spec main(fun(([string()]) -> ok), [string()]) -> no_return().
main(Fun, Args) ->
    try Fun(Args) of
        ok -> halt_with(0)
    catch
        throw:{usage, Msg} ->
            io:format(standard_error, "usage: ~ts~n", [Msg]),
            halt_with(1);
        Class:Reason:Stack ->
            io:format(standard_error, "benchmark failed: ~p:~p~n~p~n",
                      [Class, Reason, Stack]),
            halt_with(1)
    end.

%% @doc The positional integer argument `Index' (1-based) of `Args',
%% or `Default' if there are fewer arguments.
-spec int_arg([string()], pos_integer(), pos_integer()) -> pos_integer().
int_arg(Args, Index, Default) when length(Args) < Index ->
    Default;
int_arg(Args, Index, _Default) ->
    Arg = lists:nth(Index, Args),
    try list_to_integer(Arg) of
        Value when Value > 0 -> Value;
        _ -> throw({usage, "not a positive integer: " ++ Arg})
    catch
        error:badarg -> throw({usage, "not a positive integer: " ++ Arg})
    end.

%% @doc Monotonic time in nanoseconds.
-spec now_ns() -> integer().
now_ns() ->
    erlang:monotonic_time(nanosecond).

%% @doc Rate of `Count' events in `ElapsedNs' nanoseconds, per second,
%% rounded to an integer.
-spec per_second(non_neg_integer(), pos_integer()) -> non_neg_integer().
per_second(Count, ElapsedNs) ->
    round(Count * 1.0e9 / ElapsedNs).

%% @doc Median of a non-empty list of numbers.
-spec median([number(), ...]) -> number().
median(Values) ->
    Sorted = lists:sort(Values),
    Len = length(Sorted),
    case Len rem 2 of
        1 -> lists:nth(Len div 2 + 1, Sorted);
        0 -> (lists:nth(Len div 2, Sorted)
              + lists:nth(Len div 2 + 1, Sorted)) / 2
    end.

%% @doc Nearest-rank percentile `P' (0 < P =< 100) of a sorted list.
-spec percentile([number(), ...], number()) -> number().
percentile(Sorted, P) ->
    Rank = max(1, ceil(P / 100 * length(Sorted))),
    lists:nth(Rank, Sorted).

%% @doc Prints one machine-readable result line. Integers are printed as
%% they are, floats with one decimal.
-spec result(string(), number(), string()) -> ok.
result(Name, Value, Unit) ->
    io:format("RESULT ~s ~s ~s~n", [Name, format_value(Value), Unit]).

%% @doc Prints the median over repetitions as `Name' plus the extremes
%% as `Name_min' and `Name_max'.
-spec report_reps(string(), string(), [number(), ...]) -> ok.
report_reps(Name, Unit, Values) ->
    result(Name, median(Values), Unit),
    result(Name ++ "_min", lists:min(Values), Unit),
    result(Name ++ "_max", lists:max(Values), Unit).

%% @doc Calls `Fun()' R times, printing each value as it is measured,
%% and returns the list of values.
-spec repeat(pos_integer(), fun(() -> number())) -> [number(), ...].
repeat(R, Fun) ->
    [begin
         Value = Fun(),
         io:format("  rep ~b/~b: ~s~n", [I, R, format_value(Value)]),
         Value
     end || I <- lists:seq(1, R)].

format_value(Value) when is_integer(Value) ->
    integer_to_list(Value);
format_value(Value) ->
    float_to_list(Value, [{decimals, 1}]).

halt_with(Status) ->
    init:stop(Status),
    %% init:stop/1 is asynchronous; keep this process from returning to
    %% the next `-s'/`-run' item while the VM shuts down.
    receive after infinity -> ok end.
