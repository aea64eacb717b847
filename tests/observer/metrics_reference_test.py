#!/usr/bin/env python3
"""Ensure that /metrics parses with the Prometheus project's own parser (prometheus_client's
text-format parser, Debian's python3-prometheus-client) and that its values are the node's: the
page fixture's known tree, after N kills of one child through the observer's action, its
listeners (one without a limit: +Inf), its processes.

usage: metrics_reference_test.py PATH/TO/observer_page_fixture
Exits 77 (ctest: skipped) with the reason when prometheus_client is missing, 1 if
OTP_REQUIRE_OBSERVER_TESTS=1 (CI). Bounded (90 s);
stops the node it started, by PID.
"""
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # CI sets OTP_REQUIRE_OBSERVER_TESTS=1: there a missing parser is a failure, not a skip.
    required = os.environ.get("OTP_REQUIRE_OBSERVER_TESTS") == "1"
    print(f"observer_metrics_reference {'FAILED (OTP_REQUIRE_OBSERVER_TESTS=1)' if required else 'skipped'}: "
          "prometheus_client is not installed "
          "(Debian package python3-prometheus-client; scripts/setup.sh installs it)")
    sys.exit(1 if required else 77)

N = 3  # kills of app/web/sessions, each restarted by web (rest_for_one: only itself)
failed = 0


def check(ok, what):
    global failed
    failed += 0 if ok else 1
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def timeout(*_):
    raise TimeoutError("metrics_reference_test: over 90 s")


def request(url, post=False):
    req = urllib.request.Request(url, data=b"" if post else None, method="POST" if post else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def find(tree, path):
    """The node at `path` (ids joined by /) in the JSON trees."""
    first, *rest = path.split("/")
    node = next(t for t in tree if t["id"] == first)
    for part in rest:
        node = next(c for c in node["children"] if c["id"] == part)
    return node


def families(text):
    """name -> (type, {labels as a sorted tuple: value}), from the reference parser."""
    out = {}
    for f in text_string_to_metric_families(text):
        samples = {}
        for s in f.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        out[f.name] = (f.type, samples)
    return out


def value(fams, family, sample=None, **labels):
    _, samples = fams[family]
    return samples.get((sample or family, tuple(sorted(labels.items()))))


def main():
    signal.signal(signal.SIGALRM, timeout)
    signal.alarm(90)
    fixture = subprocess.Popen([sys.argv[1], "--processes", "1000"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        ready = json.loads(fixture.stdout.readline())
        url = ready["url"]  # the observer with actions on
        trees = json.loads(request(url + "api/trees"))
        web = find(trees, "app/web")["pid"]
        for i in range(N):
            victim = find(trees, "app/web/sessions")["pid"]
            request(url + "api/process/" + victim.strip("<>").split(".")[1] + "/kill", post=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                trees = json.loads(request(url + "api/trees"))
                now = find(trees, "app/web/sessions")
                if now["pid"] != victim and now["restarts"] == i + 1:
                    break
                time.sleep(0.01)
        sessions = find(trees, "app/web/sessions")
        check(sessions["restarts"] == N, f"the tree says sessions restarted {N} times")

        text = request(url + "metrics")
        try:
            fams = families(text)
        except Exception as e:  # the reference parser refused it
            check(False, f"/metrics parses with prometheus_client: {e}")
            return
        check(True, f"/metrics parses with prometheus_client ({len(fams)} families)")
        # prometheus_client names a counter's family without _total.
        for name, kind in [("otp_processes", "gauge"), ("otp_mailbox_length", "histogram"),
                           ("otp_supervisor_restarts", "gauge"),
                           ("otp_supervisor_child_terminations", "counter"),
                           ("otp_listener_accepts", "counter"),
                           ("otp_listener_full_seconds", "counter"),
                           ("otp_listener_backlog_drops", "counter")]:
            check(name in fams and fams[name][0] == kind, f"{name} is a {kind}")
        node = json.loads(request(url + "api/node"))
        check(value(fams, "otp_processes") == node["processes"],
              f"otp_processes {value(fams, 'otp_processes')} = /api/node's {node['processes']}")
        check(value(fams, "otp_supervisor_restarts", supervisor=web, id="web") == N,
              f"otp_supervisor_restarts of web: {N}")
        check(value(fams, "otp_supervisor_restarts", supervisor=find(trees, "app")["pid"],
                    id="app") == 0, "otp_supervisor_restarts of app: 0")
        killed = value(fams, "otp_supervisor_child_terminations",
                       "otp_supervisor_child_terminations_total", supervisor=web, reason="killed")
        check(killed == N, f"otp_supervisor_child_terminations_total of web, killed: {killed}")
        check(value(fams, "otp_mailbox_length_max") == 200, "otp_mailbox_length_max 200")
        check(value(fams, "otp_mailbox_length", "otp_mailbox_length_count") == 20,
              "otp_mailbox_length counts the 20 bounded mailboxes")
        check(value(fams, "otp_mailbox_length", "otp_mailbox_length_bucket", le="+Inf") == 20,
              "and its +Inf bucket holds them all")
        check(value(fams, "otp_listener_connections", listener="echo") == 2,
              "the echo listener's 2 connections")
        check(value(fams, "otp_listener_max_connections", listener="echo") == 8,
              "its max_connections 8")
        unlimited = value(fams, "otp_listener_max_connections", listener="open")
        check(unlimited is not None and math.isinf(unlimited) and unlimited > 0,
              f"a listener without a limit: +Inf ({unlimited})")
        check(value(fams, "otp_listener_full_seconds", "otp_listener_full_seconds_total",
                    listener="echo") == 0, "the echo listener was never full")
    finally:
        fixture.stdin.close()
        try:
            fixture.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fixture.kill()
            fixture.wait()


main()
print(f"{'FAILED' if failed else 'passed'}")
sys.exit(1 if failed else 0)
