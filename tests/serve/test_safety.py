"""The dashboard's exposure rules and robustness (issue 16, items 10-13), over real sockets."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import struct
import threading
import time

import pytest
from click.testing import CliRunner

from tests.serve.conftest import running
from trendwatch.cli import cli
from trendwatch.errors import ParameterError
from trendwatch.serve import Dashboard, make_server
from trendwatch.serve.security import CONTENT_SECURITY_POLICY


def get(server, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request on a fresh connection; ``headers`` may replace the Host header."""
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.putrequest("GET", path, skip_host="Host" in (headers or {}))
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def raw(server, data: bytes) -> bytes:
    """Send raw bytes, return everything the server answers before closing."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


# -- item 10: the Host header -----------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:{port}", "127.0.0.2:{port}"]
)
def test_other_host_names_are_refused(hostile_server, host):
    """A page on another site reaching 127.0.0.1 by DNS rebinding sends its own host name."""
    port = hostile_server.server_address[1]
    status, headers, body = get(hostile_server, "/api/overview", {"Host": host.format(port=port)})
    assert status == 400
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert json.loads(body)["parameter"] == "Host"


def test_missing_host_header_is_refused(hostile_server):
    answer = raw(hostile_server, b"GET /api/overview HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"--allow-host" in answer


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "LOCALHOST", "[::1]"])
def test_loopback_names_with_the_port_are_answered(hostile_server, name):
    port = hostile_server.server_address[1]
    assert get(hostile_server, "/api/overview", {"Host": f"{name}:{port}"})[0] == 200


def test_allow_host_adds_names(hostile_store):
    with running(hostile_store, allow_hosts=("dash.example.org",)) as server:
        port = server.server_address[1]
        assert get(server, "/runs", {"Host": "dash.example.org"})[0] == 200
        assert get(server, "/runs", {"Host": f"dash.example.org:{port}"})[0] == 200
        assert get(server, "/runs", {"Host": "other.example.org"})[0] == 400


def test_allowed_hosts_of_each_kind_of_bind():
    from trendwatch.serve.security import allowed_hosts

    assert allowed_hosts("::1", 80) >= {"[::1]", "[::1]:80", "localhost:80", "127.0.0.1:80"}
    assert allowed_hosts("192.0.2.7", 8765) == {"192.0.2.7:8765"}
    assert "localhost:8765" in allowed_hosts("0.0.0.0", 8765)
    assert allowed_hosts("192.0.2.7", 1, ["a.example:99"]) == {"192.0.2.7:1", "a.example:99"}


# -- item 11: exposure without a token ---------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_non_loopback_bind_without_token_is_refused(hostile_store, host):
    with pytest.raises(ParameterError, match="--insecure-no-token"):
        make_server(hostile_store, host=host, port=0)


def test_non_loopback_bind_with_token_or_explicit_flag(hostile_store):
    for options in ({"token": "s3cret-token"}, {"allow_no_token": True}):
        make_server(hostile_store, host="0.0.0.0", port=0, **options).server_close()


def test_cli_says_why_it_refuses_an_open_non_loopback_bind(hostile_db):
    result = CliRunner().invoke(cli, ["serve", "--db", str(hostile_db), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: refusing to serve on 0.0.0.0 without a token")
    assert "--insecure-no-token" in result.output and "Traceback" not in result.output


def test_ipv6_loopback(hostile_store):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = make_server(hostile_store, host="::1", port=0)
    except ParameterError as exc:
        pytest.skip(f"cannot bind ::1 here: {exc}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert server.url.startswith("http://[::1]:")
        assert get(server, "/api/runs")[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_cli_port_in_use_is_a_clean_error(hostile_db, hostile_server):
    port = str(hostile_server.server_address[1])
    result = CliRunner().invoke(cli, ["serve", "--db", str(hostile_db), "--port", port])
    assert result.exit_code == 1 and result.output.startswith("Error: cannot listen on")


# -- item 12: keep-alive, timeouts, disconnects, limits, error pages ----------------------------


def test_keep_alive_requests_do_not_wait_for_delayed_acks(hostile_server):
    """Headers and body in two small writes without TCP_NODELAY cost ~40 ms per request."""
    connection = http.client.HTTPConnection(*hostile_server.server_address[:2], timeout=30)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        connection.request("GET", "/api/runs")
        connection.getresponse().read()
        times.append(time.perf_counter() - start)
    connection.close()
    assert statistics.median(times) < 0.02, times


def test_half_open_connections_are_closed_after_the_read_timeout(hostile_store):
    with running(hostile_store, read_timeout=1.0) as server:
        before = threading.active_count()
        socks = [socket.create_connection(server.server_address[:2]) for _ in range(30)]
        for sock in socks:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # never finished
        time.sleep(0.3)
        assert threading.active_count() >= before + 25  # one thread per connection meanwhile
        assert all(closed_by_server(sock, within=4) for sock in socks)
        deadline = time.monotonic() + 5
        while threading.active_count() > before + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert threading.active_count() <= before + 2
        for sock in socks:
            sock.close()


def test_a_request_head_sent_byte_by_byte_still_has_a_deadline(hostile_store):
    with running(hostile_store, read_timeout=1.0) as server:
        sock = socket.create_connection(server.server_address[:2])
        start = time.monotonic()
        with pytest.raises(OSError):  # the server shuts the connection down mid-trickle
            for byte in b"GET / HTTP/1.1\r\nX-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                if closed_by_server(sock, within=0.01):
                    raise ConnectionResetError
        assert time.monotonic() - start < 5
        sock.close()


def test_connections_beyond_the_cap_get_a_503(hostile_store):
    with running(hostile_store, max_connections=3) as server:
        idle = [socket.create_connection(server.server_address[:2]) for _ in range(3)]
        time.sleep(0.3)
        answer = raw(server, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503")
        assert CONTENT_SECURITY_POLICY.encode() in answer
        for sock in idle:
            sock.close()


def test_clients_that_disconnect_leave_no_traceback(hostile_store, capfd, caplog):
    with running(hostile_store) as server:
        for _ in range(20):
            sock = socket.create_connection(server.server_address[:2])
            sock.sendall(b"GET /static/charts.js HTTP/1.1\r\nHost: localhost\r\n\r\n")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # a reset, before or while the answer is written
        time.sleep(0.5)
        assert get(server, "/api/runs")[0] == 200  # still serving
    err = capfd.readouterr().err + caplog.text
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_too_many_query_fields_on_a_token_server_get_an_answer(hostile_store):
    with running(hostile_store, token="s3cret-token") as server:
        status, headers, body = get(server, "/?" + "&".join(["x=1"] * 150))
        assert status == 400 and json.loads(body)["parameter"] == "query"
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("until=99999999999999999999", "until"),
        ("window=99999999999999d", "window"),
        ("until=-99999999999999999999", "until"),
        ("until=0001-01-01T00:00Z", "until"),
        ("until=9999-12-31T23:59Z", "until"),
        ("window=inf", "window"),
    ],
)
def test_out_of_range_times_and_durations_are_400(hostile_server, query, parameter):
    status, _, body = get(hostile_server, "/api/trends?" + query)
    assert status == 400
    assert json.loads(body)["parameter"] == parameter


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", b"414"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: 1\r\n" * 120 + b"\r\n", b"431"),
        (b"PUT / HTTP/1.1\r\nHost: localhost\r\n\r\n", b"501"),
    ],
)
def test_the_servers_own_error_pages_carry_the_security_headers(hostile_server, request_bytes,
                                                                status):  # fmt: skip
    answer = raw(hostile_server, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status)
    assert b"Content-Security-Policy: " + CONTENT_SECURITY_POLICY.encode() in head
    assert b"X-Content-Type-Options: nosniff" in head
    assert json.loads(body)["error"]


def test_page_cache_stays_within_its_byte_budget(hostile_store):
    dashboard = Dashboard(hostile_store, cache_bytes=200_000)
    sizes = []
    for minute in range(0, 60, 5):  # 12 scopes: 24 pages
        for twin in ("/api/groups", "/groups"):
            response = dashboard.handle("GET", f"{twin}?until=2024-03-01T16:{minute:02d}Z", {})
            assert response.status == 200
            sizes.append(len(response.body))
    assert sum(sizes) > 200_000  # more than the budget was asked for
    assert 0 < dashboard.cache.size <= 200_000


# -- item 13: heavy queries do not hold the others up -----------------------------------------


class BlockingViews:
    """The real views, except that new trend queries block until released (and are counted)."""

    def __init__(self, views):
        self._views, self.release = views, threading.Event()
        self.running = self.most = 0
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self._views, name)

    def trending_view(self, store, **kwargs):
        if kwargs.get("at") is None:
            return self._views.trending_view(store, **kwargs)
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.release.wait(30)
        with self._lock:
            self.running -= 1
        return self._views.trending_view(store, **kwargs)


def test_heavy_queries_run_a_few_at_a_time_and_cached_pages_pass_them(hostile_store):
    from trendwatch.report import views

    blocking = BlockingViews(views)
    with running(hostile_store, views=blocking, warm=True) as server:
        paths = [f"/api/trends?until=2024-01-01T0{h}:00Z" for h in range(8)]
        heavy = [threading.Thread(target=get, args=(server, path)) for path in paths]
        for thread in heavy:
            thread.start()
        time.sleep(0.5)
        start = time.perf_counter()
        assert get(server, "/api/trends")[0] == 200  # cached at start-up
        assert get(server, "/static/dashboard.css")[0] == 200
        assert time.perf_counter() - start < 0.5
        assert blocking.most == 2  # the other six wait for a compute slot, not for the CPU
        blocking.release.set()
        for thread in heavy:
            thread.join(30)
