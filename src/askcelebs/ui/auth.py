"""The login check behind ASKCELEBS_AUTH, with a limit on wrong guesses.

Gradio calls the check for every POST /login. After `max_failures` wrong logins within `window` seconds every
login is refused (the right password too) until the window has passed, and each wrong guess waits `delay`
seconds before it is answered: a password cannot be guessed at network speed.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import deque

from ..errors import AskCelebsError

log = logging.getLogger(__name__)


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise AskCelebsError("ASKCELEBS_AUTH must be user:password")
    return user, password


class LoginGuard:
    """Counts wrong logins; `check` is the auth function for gr.Blocks.launch(auth=...)."""

    def __init__(self, user: str, password: str, *, max_failures: int = 5, window: float = 60.0,
                 delay: float = 0.5):
        self.user, self.password = user, password
        self.max_failures, self.window, self.delay = max_failures, window, delay
        self.failures: deque[float] = deque()

    def locked(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        while self.failures and now - self.failures[0] > self.window:
            self.failures.popleft()
        return len(self.failures) >= self.max_failures

    @property
    def check(self):
        """A plain coroutine function: Gradio awaits the auth callable only when inspect.iscoroutinefunction says
        so, and an object with an async __call__ would return an (always truthy) coroutine unawaited."""
        async def check(username: str, password: str) -> bool:
            return await self.attempt(username, password)
        return check

    async def attempt(self, username: str, password: str) -> bool:
        if self.locked():
            log.warning("login refused: %d wrong logins in the last %g s", len(self.failures), self.window)
            return False
        ok = hmac.compare_digest(username.encode(), self.user.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode())
        if ok:
            return True
        self.failures.append(time.monotonic())
        await asyncio.sleep(self.delay)
        return False
