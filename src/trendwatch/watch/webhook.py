"""``--webhook URL``: POST each alert as JSON, retried with backoff, never blocking collection.

:class:`Webhook` is an alert sink. Calling it only puts the alert in a bounded queue
(:data:`QUEUE_SIZE` alerts) and returns at once; one thread sends the queue in order. A send
that fails (a connection error, a timeout, an HTTP status of 400 or more) is retried after
1, 2, 4... seconds, at most :data:`RETRIES` times, then dropped. When the receiver is down
long enough for the queue to fill, each new alert is dropped at once. Every drop is counted
in :attr:`Webhook.dropped` by reason and logged (logger ``trendwatch.watch.webhook``); the
alerts stay in the alerts file and the store either way.

The body is the alert line (:func:`~.alerts.alert_line`), ``Content-Type:
application/json``. The receiver is the user's: its URL is never taken from the data. One POST
a minute at most needs no HTTP library: the standard library's ``urllib`` sends it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable

from ..errors import ParameterError
from .alerts import Alert, alert_line

__all__ = ["Webhook", "QUEUE_SIZE", "RETRIES"]

QUEUE_SIZE = 1000
RETRIES = 5
TIMEOUT_S = 10.0
log = logging.getLogger(__name__)


class Webhook:
    """Send alerts to ``url`` from a background thread (module docs).

    Parameters
    ----------
    url : str
        An ``http://`` or ``https://`` URL.
    queue_size, retries, timeout : int, int, float
        Bounds (defaults :data:`QUEUE_SIZE`, :data:`RETRIES`, 10 s).
    backoff : float
        First retry delay in seconds (doubles each time).
    sleep : callable
        How to wait between retries.

    Examples
    --------
    >>> hook = Webhook("http://127.0.0.1:9/alerts")
    >>> hook.dropped
    Counter()
    >>> hook.close(timeout=0)
    """

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = QUEUE_SIZE,
        retries: int = RETRIES,
        timeout: float = TIMEOUT_S,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not url.startswith(("http://", "https://")):
            raise ParameterError(f"--webhook must be an http:// or https:// URL, got {url!r}")
        self.url, self.retries, self.backoff, self._sleep = url, retries, backoff, sleep
        self.timeout = timeout
        self.sent = 0
        self.dropped: Counter = Counter()
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="trendwatch-webhook", daemon=True)
        self._thread.start()

    def __call__(self, alert: Alert) -> None:
        """Queue ``alert`` for sending; drop it (counted, logged) when the queue is full."""
        try:
            self._queue.put_nowait(alert_line(alert))
        except queue.Full:
            self._drop("queue full (receiver down or slow)")

    def close(self, timeout: float = 30.0) -> None:
        """Send what is queued (waiting at most ``timeout`` seconds), then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (body := self._queue.get()) is not None:
            self._send(body)

    def _send(self, body: str) -> None:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            failure = self._post(body)
            if failure is None:
                self.sent += 1
                return
            if attempt < self.retries:
                self._sleep(delay)
                delay *= 2
        self._drop(f"{self.retries + 1} attempts failed, last: {failure}")

    def _post(self, body: str) -> str | None:
        """None when the receiver took the alert, else why not."""
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:  # URLError, timeouts, resets are OSErrors
            return f"{type(exc).__name__}: {exc}"
        return None

    def _drop(self, reason: str) -> None:
        key = reason.split(",")[0] if reason.startswith("queue") else "retries exhausted"
        self.dropped[key] += 1
        log.warning("webhook %s: alert dropped: %s", self.url, reason)
