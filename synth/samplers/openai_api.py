"""Sampler for any OpenAI-compatible chat endpoint (a vLLM server, hosted APIs), through the
``openai`` client (the ``[api]`` extra), imported when a sampler is made."""

from __future__ import annotations

import logging
import os
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Sequence

from synth.samplers.errors import SamplerError

if TYPE_CHECKING:
    from synth.config import SynthConfig

log = logging.getLogger(__name__)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
INSTALL_HINT = "the openai sampler needs the openai client: pip install -e '.[api]'"


def chat_completions_url(base_url: str) -> str:
    """``http://host:port`` or ``http://host:port/v1`` -> ``http://host:port/v1/chat/completions``."""
    return api_root(base_url) + "/chat/completions"


def api_root(base_url: str) -> str:
    """``http://host:port`` or ``http://host:port/v1/`` -> ``http://host:port/v1`` (the client's base URL)."""
    root = base_url.rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
    return root if root.endswith("/v1") else root + "/v1"


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OpenAISampler:
    """Asks ``/v1/chat/completions`` through the ``openai`` client for ``n`` completions, each
    request for up to ``per_request`` of them.

    Requests run on a thread pool of ``concurrency`` workers. Rate limits (429), server errors (5xx),
    connection errors and timeouts (the client's typed errors) are retried up to ``max_retries``
    times with exponential back-off (a server's ``Retry-After`` is honoured, both capped at
    ``max_backoff_s``); other HTTP errors fail at once. The client's own retries are off so that
    these are the only ones (and ``sleep`` can be replaced in tests). The API key is read from the
    environment variable ``api_key_env`` at construction, sent as a Bearer token (no header without
    one) and never logged, printed or put in an error message. Each request carries its own seed
    (``seed + request index``), so repeated requests do not return identical samples. Every failure
    reaches the caller as a ``SamplerError``.
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
        api_key = os.environ.get(api_key_env) or None
        self._has_key = api_key is not None
        self._client = _client(api_root(base_url), api_key, request_timeout_s)

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
        key = "set" if self._has_key else "unset"
        return f"OpenAISampler(url={self.url!r}, model={self.model!r}, api_key_env={self.api_key_env!r} ({key}))"

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

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

    def _body(self, messages: Sequence[dict[str, str]], n: int, seed: int) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "n": n,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_new_tokens,
            "seed": seed,
        }

    def _post_with_retries(self, body: dict[str, Any]) -> list[str]:
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

    def _post(self, body: dict[str, Any]) -> Any:
        """One request; the client's typed errors become ours: retryable or a ``SamplerError``."""
        import openai

        try:
            # without a key the placeholder the client insists on is never sent: its header is omitted
            omit = {} if self._has_key else {"extra_headers": {"Authorization": openai.Omit()}}
            completion = self._client.chat.completions.create(**body, **omit)
        except (openai.RateLimitError, openai.InternalServerError) as exc:
            raise _Retryable(f"HTTP {exc.status_code} {_snippet(exc.response.text)}",
                             _retry_after(exc.response.headers)) from None
        except openai.APIStatusError as exc:
            raise SamplerError(f"POST {self.url}: HTTP {exc.status_code} {_snippet(exc.response.text)}") from None
        except openai.APIConnectionError as exc:  # refused connections, resets, timeouts (APITimeoutError)
            cause = exc.__cause__ or exc
            raise _Retryable(f"{type(exc).__name__}: {cause}") from None
        except (openai.APIError, ValueError) as exc:  # a reply that is not JSON, or not a completion
            raise SamplerError(f"POST {self.url}: unreadable response: {_snippet(str(exc))}") from None
        if isinstance(completion, str):  # the client hands back a body that is not JSON as text
            raise SamplerError(f"POST {self.url}: response is not JSON: {_snippet(completion)}")
        return completion


def _client(root: str, api_key: str | None, timeout_s: float) -> Any:
    """An ``openai.OpenAI`` for ``root`` with its own retries off. Loopback servers are reached
    directly even when a proxy is configured for the outside world."""
    try:
        import openai
    except ImportError:
        raise SamplerError(INSTALL_HINT) from None
    host = urllib.parse.urlsplit(root).hostname
    http_client = openai.DefaultHttpxClient(trust_env=False) if host in _LOOPBACK else None
    return openai.OpenAI(base_url=root, api_key=api_key or "no-key", max_retries=0, timeout=timeout_s,
                         http_client=http_client)


def _parse_choices(completion: Any, url: str) -> list[str]:
    """The completions' texts in choice order (a choice without text gives "")."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list):
        raise SamplerError(f"{url}: response has no 'choices' list")
    ordered = sorted(enumerate(choices), key=lambda ic: (getattr(ic[1], "index", None) if isinstance(getattr(ic[1], "index", None), int) else ic[0]))
    texts = []
    for _, choice in ordered:
        content = getattr(getattr(choice, "message", None), "content", None)
        texts.append(content if isinstance(content, str) else "")
    return texts


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date; fall back to our own back-off


def _snippet(raw: bytes | str, limit: int = 200) -> str:
    text = (raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw).strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
