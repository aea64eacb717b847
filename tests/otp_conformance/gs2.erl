%% gen_server without handle_info/2: OTP's default for an unexpected message
-module(gs2).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).
init(_) -> {ok, s}.
handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
