"""The official `openai` Python client against the standalone mock LLM.

Each test talks to `cargo run --example mock_llm` running in its own process,
as a learner's script would: a chat completion, a streamed one read to
`[DONE]`, a completion, embeddings, the models list, and every error status
the mock answers raising the exception class the client maps it to. The
client's own retries are off (`max_retries=0`), so each error is seen as sent.

The servers are started once per module and stopped (SIGTERM, then SIGKILL if
they hang) even when a test fails; a clean stop, exit status 0, is checked.
"""
import json
import math
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = "mock-llm"
# The mock's answer, whole: asked for no more tokens than it has, it ends
# with finish_reason "stop".
ANSWER = (
    "Async lets one thread wait on many requests at once, "
    "so their waiting overlaps instead of adding up."
)
STARTUP_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def mock_llm_binary():
    """Builds the example (a no-op when it is up to date) and finds it."""
    build = subprocess.run(
        ["cargo", "build", "--quiet", "-p", "async_walkthrough", "--features", "llm",
         "--example", "mock_llm", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if (message.get("reason") == "compiler-artifact"
                and message["target"]["name"] == "mock_llm"
                and message.get("executable")):
            return message["executable"]
    pytest.fail("cargo built no mock_llm executable")


class MockLlmProcess:
    """`mock_llm --port 0 FLAGS...` in its own process, with its URL."""

    def __init__(self, binary, *flags):
        self.process = subprocess.Popen(
            [binary, "--port", "0", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        first_line = []
        reader = threading.Thread(
            target=lambda: first_line.append(self.process.stdout.readline()),
            daemon=True,
        )
        reader.start()
        reader.join(STARTUP_TIMEOUT_S)
        line = first_line[0] if first_line else ""
        if " at http://" not in line:
            self.stop()
            raise RuntimeError(
                f"mock_llm did not start: {line!r} {self.process.stderr.read()!r}"
            )
        # "mock_llm: serving model mock-llm at http://127.0.0.1:PORT/v1 (...)"
        self.base_url = line.split(" at ", 1)[1].split()[0]

    def stop(self):
        """SIGTERM, as Ctrl-C would; SIGKILL if it does not stop in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="module")
def mock(mock_llm_binary):
    server = MockLlmProcess(mock_llm_binary, "--latency-ms", "10",
                            "--token-delay-ms", "1")
    try:
        yield server
    finally:
        assert server.stop() == 0, "the mock did not stop cleanly"


@pytest.fixture(scope="module")
def client(mock):
    return openai.OpenAI(base_url=mock.base_url, api_key="unused",
                         max_retries=0, timeout=30)


def test_a_chat_completion(client):
    answer = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": "What does async buy us?"}],
        max_tokens=5,
    )
    assert answer.object == "chat.completion"
    assert answer.model == MODEL
    choice = answer.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Async lets one thread wait"
    assert choice.finish_reason == "length"
    assert answer.usage.completion_tokens == 5
    assert answer.usage.prompt_tokens == 7
    assert answer.usage.total_tokens == 12


def test_max_completion_tokens_wins_over_max_tokens(client):
    answer = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}],
        max_tokens=5, max_completion_tokens=2,
    )
    assert answer.choices[0].message.content == "Async lets"


def test_a_streamed_chat_completion_read_to_the_end(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Why stream?"}],
        stream=True, stream_options={"include_usage": True},
    )
    chunks = list(stream)  # the client stops at data: [DONE]
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    text = "".join(chunk.choices[0].delta.content or ""
                   for chunk in chunks if chunk.choices)
    assert text == ANSWER
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [chunk.choices[0].finish_reason
                for chunk in chunks if chunk.choices]
    assert finishes[-1] == "stop"
    assert all(finish is None for finish in finishes[:-1])
    usage = chunks[-1].usage
    assert chunks[-1].choices == []
    assert usage.completion_tokens == len(ANSWER.split())


def test_a_completion(client):
    answer = client.completions.create(model=MODEL, prompt="Say it", max_tokens=3)
    assert answer.object == "text_completion"
    assert answer.choices[0].text == "Async lets one"
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage.completion_tokens == 3


def test_a_streamed_completion(client):
    stream = client.completions.create(model=MODEL, prompt="Say it",
                                       max_tokens=4, stream=True)
    text = "".join(chunk.choices[0].text for chunk in stream)
    assert text == "Async lets one thread"


def test_embeddings(client):
    answer = client.embeddings.create(
        model=MODEL, input=["how do retries work?", "event loops"]
    )
    assert [item.index for item in answer.data] == [0, 1]
    for item in answer.data:
        assert len(item.embedding) == 64
        norm = math.sqrt(sum(x * x for x in item.embedding))
        assert abs(norm - 1.0) < 1e-5
    again = client.embeddings.create(model=MODEL, input="how do retries work?")
    assert again.data[0].embedding == answer.data[0].embedding


def test_the_models_list(client):
    assert [model.id for model in client.models.list()] == [MODEL]


def test_an_out_of_range_value_is_a_bad_request(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], max_tokens=0
        )
    assert raised.value.status_code == 400
    assert raised.value.param == "max_tokens"
    assert raised.value.type == "invalid_request_error"


def test_a_wrongly_typed_field_is_unprocessable(client):
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}],
            max_tokens="ten",
        )
    assert "max_tokens" in raised.value.message


def test_an_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(
            model="gpt-nonexistent", messages=[{"role": "user", "content": "x"}]
        )
    assert raised.value.code == "model_not_found"
    assert raised.value.param == "model"


def test_a_missing_or_wrong_api_key_is_an_authentication_error(mock_llm_binary):
    server = MockLlmProcess(mock_llm_binary, "--latency-ms", "1",
                            "--api-key", "right-key")
    try:
        wrong = openai.OpenAI(base_url=server.base_url, api_key="wrong-key",
                              max_retries=0)
        with pytest.raises(openai.AuthenticationError) as raised:
            wrong.models.list()
        assert raised.value.code == "invalid_api_key"
        # The official client refuses to send no key at all, so plain HTTP
        # (past any proxy from the environment).
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as missing:
            direct.open(server.base_url + "/models", timeout=30)
        assert missing.value.code == 401
        error = json.load(missing.value)["error"]
        assert error["type"] == "authentication_error"
        assert error["message"].startswith("No API key provided")
        right = openai.OpenAI(base_url=server.base_url, api_key="right-key",
                              max_retries=0)
        assert [model.id for model in right.models.list()] == [MODEL]
    finally:
        assert server.stop() == 0


def test_injected_faults_raise_the_matching_exceptions(mock_llm_binary):
    """With every request failing, the seeded faults give each of 429, 500
    and 503 within a few requests; each raises its class, and the 429 says
    when to retry."""
    server = MockLlmProcess(mock_llm_binary, "--latency-ms", "1",
                            "--fail-rate", "1", "--seed", "7")
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="unused",
                               max_retries=0)
        seen = {}
        for n in range(40):
            with pytest.raises(openai.APIStatusError) as raised:
                client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": f"prompt {n}"}]
                )
            seen.setdefault(raised.value.status_code, raised.value)
            if len(seen) == 3:
                break
        assert sorted(seen) == [429, 500, 503]
        assert isinstance(seen[429], openai.RateLimitError)
        assert seen[429].response.headers["retry-after"] == "1"
        assert seen[429].code == "rate_limit_exceeded"
        assert isinstance(seen[500], openai.InternalServerError)
        assert isinstance(seen[503], openai.InternalServerError)
        assert seen[503].type == "server_error"
    finally:
        assert server.stop() == 0
