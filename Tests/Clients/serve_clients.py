#!/usr/bin/env python3
"""Real clients against `switchyard serve`, started by Tests/SwitchyardCLITests/ServeTests.swift.

  serve_clients.py openai URL MODEL PROMPT_JSON EXPECTED_JSON   the openai package: models, greedy
                                                                completion, stream, seeded sampling, a 400
  serve_clients.py disconnect URL MODEL                          a raw socket that leaves mid-stream

Prints "ok" and exits 0, or names what was wrong and exits 1 (3 when the openai package is missing).
"""
import json
import socket
import sys
import time
import urllib.request


def fail(message):
    print(message)
    sys.exit(1)


def ids(text):
    return [int(t) for t in text.split()]


def openai_client(url, model, prompt, expected):
    try:
        import openai
    except ImportError:
        print("the openai package is not installed")
        sys.exit(3)
    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=60)
    listed = [m.id for m in client.models.list().data]
    if listed != [model]:
        fail(f"models.list gave {listed}, expected [{model}]")

    whole = client.completions.create(model=model, prompt=prompt, max_tokens=len(expected), temperature=0)
    if ids(whole.choices[0].text) != expected:
        fail(f"greedy completion {whole.choices[0].text!r}, expected {expected}")
    if whole.usage.completion_tokens != len(expected) or whole.usage.prompt_tokens != len(prompt):
        fail(f"usage {whole.usage}")
    if whole.choices[0].finish_reason != "length":
        fail(f"finish_reason {whole.choices[0].finish_reason}")

    text, usage, reasons = "", None, []
    for chunk in client.completions.create(model=model, prompt=prompt, max_tokens=len(expected), temperature=0, stream=True,
                                           stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.text
            reasons.append(choice.finish_reason)
    if ids(text) != expected:
        fail(f"streamed {text!r}, expected {expected}")
    if usage is None or usage.completion_tokens != len(expected):
        fail(f"stream usage {usage}")
    if reasons[-1] != "length" or any(r is not None for r in reasons[:-1]):
        fail(f"stream finish reasons {reasons}")

    seeded = [client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0.9, top_p=0.95, seed=5).choices[0].text
              for _ in range(2)]
    if seeded[0] != seeded[1] or len(ids(seeded[0])) != 12:
        fail(f"seeded sampling differs: {seeded}")

    try:
        client.completions.create(model=model, prompt="a text prompt", max_tokens=2)
        fail("a text prompt was accepted")
    except openai.BadRequestError as error:
        body = error.body if isinstance(error.body, dict) else {}
        body = body.get("error", body)
        if error.status_code != 400 or body.get("param") != "prompt" or "token ids" not in body.get("message", ""):
            fail(f"a text prompt got {error.status_code} {error.body}")
    print("ok")


def health(url):
    with urllib.request.urlopen(url + "/health", timeout=10) as answer:
        return json.load(answer)


def disconnect(url, model):
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"model": model, "prompt": [1, 2, 3], "max_tokens": 4000, "temperature": 0, "stream": True}).encode()
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                 + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    seen = b""
    while seen.count(b"data: {") < 2:
        part = sock.recv(4096)
        if not part:
            fail(f"the server closed the stream early: {seen[:300]!r}")
        seen += part
    if b"text/event-stream" not in seen:
        fail(f"not an event stream: {seen[:300]!r}")
    sock.close()
    deadline = time.monotonic() + 30
    while health(url)["running"] != 0:
        if time.monotonic() > deadline:
            fail(f"the abandoned sequence still runs: {health(url)}")
        time.sleep(0.05)
    with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
        metrics = answer.read().decode()
    if 'switchyard_serve_requests_total{outcome="cancelled"} 1' not in metrics:
        fail("the metrics do not count the cancelled request:\n" + "\n".join(l for l in metrics.splitlines() if "requests_total" in l))
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "openai":
        openai_client(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5]))
    elif sys.argv[1] == "disconnect":
        disconnect(sys.argv[2], sys.argv[3])
    else:
        fail(f"unknown client {sys.argv[1]}")
