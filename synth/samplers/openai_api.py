"""Sampler for any OpenAI-compatible chat endpoint (a vLLM server, hosted APIs); standard library only."""

from __future__ import annotations

import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Sequence

from synth.samplers.errors import SamplerError

if TYPE_CHECKING:
    from synth.config import SynthConfig

log = logging.getLogger(__name__)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def chat_completions_url(base_url: str) -> str:
    """``http://host:port`` or ``http://host:port/v1`` -> ``http://host:port/v1/chat/completions``."""
    root = base_url.rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
    return root + ("/chat/completions" if root.endswith("/v1") else "/v1/chat/completions")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OpenAISampler:
    """POSTs ``/v1/chat/completions`` requests, each asking for up to ``per_request`` completions.

    Requests run on a thread pool of ``concurrency`` workers. 429, 5xx, connection errors and
    timeouts are retried up to ``max_retries`` times with exponential back-off (a server's
    ``Retry-After`` is honoured, both capped at ``max_backoff_s``); other HTTP errors fail at once.
    The API key is read from the environment variable ``api_key_env`` at construction, sent as a
    Bearer token and never logged, printed or put in an error message. Each request carries its
    own seed (``seed + request index``), so repeated requests do not return identical samples.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        temperature: float = 0.8,
        top_p: float = 1.0,
        max_new_tokens: int = 1536,
        per_request: int = 8,
        concurrency: int = 4,
        request_timeout_s: float = 300.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_request < 1 or concurrency < 1 or max_retries < 0 or request_timeout_s <= 0:
            raise ValueError("need per_request >= 1, concurrency >= 1, max_retries >= 0, request_timeout_s > 0")
        self.url = chat_completions_url(base_url)
        self.model = model
        self.api_key_env = api_key_env
        self._api_key = os.environ.get(api_key_env) or None
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.per_request = per_request
        self.concurrency = concurrency
        self.request_timeout_s = request_timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep = sleep
        # Loopback servers are reached directly even when a proxy is configured for the outside world.
        host = urllib.parse.urlsplit(self.url).hostname
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def from_config(cls, config: "SynthConfig") -> "OpenAISampler":
        return cls(
            config.base_url or "",
            config.model,
            api_key_env=config.api_key_env,
            temperature=config.temperature,
            top_p=config.top_p,
            max_new_tokens=config.max_new_tokens,
            per_request=config.batch_size,
            concurrency=config.concurrency,
            request_timeout_s=config.request_timeout_s,
            max_retries=config.max_retries,
        )

    def __repr__(self) -> str:
        key = "set" if self._api_key else "unset"
        return f"OpenAISampler(url={self.url!r}, model={self.model!r}, api_key_env={self.api_key_env!r} ({key}))"

    def sample(self, messages: Sequence[dict[str, str]], n: int, *, seed: int) -> list[str]:
        """``n`` completions; raises ``SamplerError`` when the endpoint keeps failing."""
        results: list[str] = []
        issued = 0
        # Some servers return fewer choices than ``n`` asks for: top up in further rounds.
        while len(results) < n:
            remaining = n - len(results)
            sizes = [min(self.per_request, remaining - i) for i in range(0, remaining, self.per_request)]
            bodies = [self._body(messages, k, seed + issued + j) for j, k in enumerate(sizes)]
            issued += len(bodies)
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(bodies))) as pool:
                replies = list(pool.map(self._post_with_retries, bodies))
            got = [text for reply in replies for text in reply]
            if not got:
                raise SamplerError(f"{self.url} answered {len(bodies)} request(s) with no completions")
            results.extend(got)
        return results[:n]

    def _body(self, messages: Sequence[dict[str, str]], n: int, seed: int) -> bytes:
        body = {
            "model": self.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "n": n,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_new_tokens,
            "seed": seed,
        }
        return json.dumps(body).encode("utf-8")

    def _post_with_retries(self, body: bytes) -> list[str]:
        last: _Retryable | None = None
        for attempt in range(self.max_retries + 1):
            try:
                return _parse_choices(self._post(body), self.url)
            except _Retryable as exc:
                last = exc
                if attempt == self.max_retries:
                    break
                delay = exc.retry_after if exc.retry_after is not None else self.backoff_s * 2**attempt
                delay = min(max(delay, 0.0), self.max_backoff_s)
                log.warning("%s: %s; retry %d/%d in %.1fs", self.url, exc, attempt + 1, self.max_retries, delay)
                self._sleep(delay)
        raise SamplerError(f"POST {self.url} failed after {self.max_retries + 1} attempts; last error: {last}")

    def _post(self, body: bytes) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.request_timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _snippet(exc.read())
            if exc.code == 429 or exc.code >= 500:
                raise _Retryable(f"HTTP {exc.code} {detail}", _retry_after(exc.headers)) from None
            raise SamplerError(f"POST {self.url}: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # URLError wraps refused connections; socket timeouts arrive as TimeoutError (an OSError).
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise SamplerError(f"POST {self.url}: response is not JSON: {_snippet(raw)}") from None


def _parse_choices(data: Any, url: str) -> list[str]:
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        raise SamplerError(f"{url}: response has no 'choices' list")
    ordered = sorted(enumerate(choices), key=lambda ic: (ic[1].get("index", ic[0]) if isinstance(ic[1], dict) else ic[0]))
    texts = []
    for _, choice in ordered:
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        texts.append(content if isinstance(content, str) else "")
    return texts


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date; fall back to our own back-off


def _snippet(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
