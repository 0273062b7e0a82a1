"""OpenAISampler against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from arc.data import load_dataset
from synth.config import SynthConfig
from synth.samplers import SAMPLERS, OpenAISampler, SamplerError, make_sampler
from synth.solver import SamplerProposer
from synth.samplers.openai_api import chat_completions_url

MESSAGES = [{"role": "system", "content": "sys"}, {"role": "user", "content": "solve it"}]


class FakeEndpoint:
    """A chat-completions server whose answers are scripted per request number."""

    def __init__(self, script=None, delay_s=0.0, honour_n=True):
        self.script = script or (lambda i: 200)  # request index -> HTTP status
        self.delay_s = delay_s
        self.honour_n = honour_n
        self.lock = threading.Lock()
        self.requests = []  # (path, headers with lower-case names, body)
        self.active = 0
        self.max_active = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with endpoint.lock:
                    index = len(endpoint.requests)
                    endpoint.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    endpoint.active += 1
                    endpoint.max_active = max(endpoint.max_active, endpoint.active)
                try:
                    time.sleep(endpoint.delay_s)
                    status = endpoint.script(index)
                    if status == 200:
                        n = body["n"] if endpoint.honour_n else 1
                        choices = [
                            {"index": k, "message": {"role": "assistant", "content": f"seed{body['seed']}-{k}"}}
                            for k in range(n)
                        ]
                        self._reply(200, {"choices": choices})
                    else:
                        self._reply(status, {"error": {"message": f"scripted {status}"}}, retry_after=status == 429)
                finally:
                    with endpoint.lock:
                        endpoint.active -= 1

            def _reply(self, status, payload, retry_after=False):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if retry_after:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _sampler(url, **kw):
    kw.setdefault("backoff_s", 0.001)
    kw.setdefault("request_timeout_s", 10)
    return OpenAISampler(url, "test-model", **kw)


def test_normal_responses_split_n_over_requests_with_distinct_seeds():
    with FakeEndpoint() as ep:
        sampler = _sampler(ep.base_url, per_request=3, concurrency=2)
        out = sampler.sample(MESSAGES, 7, seed=10)
        n_before = len(ep.requests)
        # the synthesizer's seam drives it: a task's prompt in, that many completions out
        task = load_dataset("arc1-train")["007bbfb7"]
        config = SynthConfig(sampler="openai", base_url=ep.base_url, model="test-model", samples=2)
        assert SamplerProposer(config, sampler).propose(task).info["n_samples"] == 2
        del ep.requests[n_before:]
    assert len(out) == 7
    assert sorted(body["n"] for _, _, body in ep.requests) == [1, 3, 3]
    assert sorted(body["seed"] for _, _, body in ep.requests) == [10, 11, 12]
    assert out == ["seed10-0", "seed10-1", "seed10-2", "seed11-0", "seed11-1", "seed11-2", "seed12-0"]
    path, headers, body = ep.requests[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "test-model" and body["messages"] == MESSAGES
    assert body["temperature"] == 0.8 and body["max_tokens"] == 1536


def test_server_ignoring_n_is_topped_up():
    with FakeEndpoint(honour_n=False) as ep:
        out = _sampler(ep.base_url, per_request=4).sample(MESSAGES, 5, seed=0)
    assert len(out) == 5 and len(set(out)) == 5  # every request had its own seed


def test_429_then_success_is_retried():
    with FakeEndpoint(script=lambda i: 429 if i == 0 else 200) as ep:
        out = _sampler(ep.base_url, per_request=2).sample(MESSAGES, 2, seed=0)
    assert out == ["seed0-0", "seed0-1"]
    assert len(ep.requests) == 2


def test_persistent_500_gives_up_after_bounded_retries():
    sleeps = []
    with FakeEndpoint(script=lambda i: 500) as ep:
        sampler = _sampler(ep.base_url, max_retries=3, backoff_s=0.5, max_backoff_s=1.0, sleep=sleeps.append)
        with pytest.raises(SamplerError, match=r"failed after 4 attempts.*HTTP 500"):
            sampler.sample(MESSAGES, 1, seed=0)
    assert len(ep.requests) == 4
    assert sleeps == [0.5, 1.0, 1.0]  # exponential, capped


def test_client_error_is_not_retried():
    with FakeEndpoint(script=lambda i: 400) as ep:
        with pytest.raises(SamplerError, match="HTTP 400"):
            _sampler(ep.base_url).sample(MESSAGES, 1, seed=0)
    assert len(ep.requests) == 1


def test_unreachable_server_is_retried_then_reported():
    with FakeEndpoint() as ep:
        url = ep.base_url
    # The server is closed now: connections are refused.
    sampler = _sampler(url, max_retries=2, sleep=lambda s: None)
    with pytest.raises(SamplerError, match="failed after 3 attempts"):
        sampler.sample(MESSAGES, 1, seed=0)


def test_api_key_read_from_named_env_var_and_never_shown(monkeypatch):
    monkeypatch.setenv("ARC_TEST_KEY", "sk-secret-123")
    with FakeEndpoint(script=lambda i: 500 if i == 1 else 200) as ep:
        sampler = _sampler(ep.base_url, api_key_env="ARC_TEST_KEY", max_retries=0)
        sampler.sample(MESSAGES, 1, seed=0)
        with pytest.raises(SamplerError) as info:
            sampler.sample(MESSAGES, 1, seed=0)
    assert ep.requests[0][1]["authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(sampler) and "sk-secret" not in str(info.value)


def test_no_authorization_header_without_key(monkeypatch):
    monkeypatch.delenv("ARC_TEST_KEY", raising=False)
    with FakeEndpoint() as ep:
        _sampler(ep.base_url, api_key_env="ARC_TEST_KEY").sample(MESSAGES, 1, seed=0)
    assert "authorization" not in ep.requests[0][1]


def test_concurrency_limit_is_respected():
    with FakeEndpoint(delay_s=0.15) as ep:
        out = _sampler(ep.base_url, per_request=1, concurrency=3).sample(MESSAGES, 9, seed=0)
    assert len(out) == 9
    assert ep.max_active <= 3
    assert ep.max_active >= 2  # requests really overlap


def test_make_sampler_from_config():
    assert SAMPLERS["openai"] is OpenAISampler
    with FakeEndpoint() as ep:
        config = SynthConfig(sampler="openai", base_url=ep.base_url + "/v1", model="m", batch_size=2, temperature=0.3)
        out = make_sampler(config).sample(MESSAGES, 3, seed=5)
    assert len(out) == 3
    assert {body["temperature"] for _, _, body in ep.requests} == {0.3}


@pytest.mark.parametrize(
    "base, url",
    [
        ("http://h:1", "http://h:1/v1/chat/completions"),
        ("http://h:1/", "http://h:1/v1/chat/completions"),
        ("https://api.example.com/v1", "https://api.example.com/v1/chat/completions"),
        ("https://api.example.com/v1/", "https://api.example.com/v1/chat/completions"),
    ],
)
def test_chat_completions_url(base, url):
    assert chat_completions_url(base) == url


def test_requests_go_through_the_openai_client_with_its_retries_off():
    """The ``openai`` client makes the requests (its headers say so); its own retries are off, so a
    429 is retried once, by the sampler's loop, not several times by the client."""
    with FakeEndpoint(script=lambda i: 429 if i == 0 else 200) as ep:
        assert _sampler(ep.base_url).sample(MESSAGES, 1, seed=0) == ["seed0-0"]
    assert len(ep.requests) == 2
    for _, headers, _ in ep.requests:
        assert headers["user-agent"].startswith("OpenAI/Python") and headers["x-stainless-retry-count"] == "0"


def test_without_the_openai_client_the_sampler_names_the_extra(monkeypatch):
    import subprocess
    import sys

    monkeypatch.setitem(sys.modules, "openai", None)  # what a missing package looks like to import
    with pytest.raises(SamplerError, match=r"pip install -e '\.\[api\]'"):
        OpenAISampler("http://127.0.0.1:1", "m")
    # and the samplers import without it: the client is imported when a sampler is made
    probe = "import sys; sys.modules['openai'] = None; import synth.samplers, synth.samplers.openai_api; print('ok')"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "ok"
