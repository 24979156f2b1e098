"""Helpers of the flavour tests: plain HTTP against a server, a valid job, a usable queue."""

from __future__ import annotations

import copy
import time

import requests

POD = {
    "containers": [
        {
            "name": "main",
            "image": "busybox:1.36",
            "command": ["sleep", "1"],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        }
    ],
    "restartPolicy": "Never",
    "terminationGracePeriodSeconds": 30,
}


class Http:
    """``requests`` against one server's REST base URL."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def __call__(self, method: str, path: str, **kwargs: object) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.base + path, **kwargs)  # type: ignore[arg-type]

    def ok(self, method: str, path: str, **kwargs: object) -> requests.Response:
        response = self(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        return response


def submit_body(queue: str, job_set: str, **item: object) -> dict[str, object]:
    return {
        "queue": queue,
        "jobSetId": job_set,
        "jobRequestItems": [{"priority": 1, "namespace": "default", "podSpec": copy.deepcopy(POD), **item}],
    }


def usable_queue(http: Http, name: str, deadline_s: float = 15.0) -> str:
    """Create a queue over REST and wait (bounded) until a submit into it is accepted."""
    http.ok("POST", "/v1/queue", json={"name": name, "priorityFactor": 2})
    give_up = time.monotonic() + deadline_s
    while True:
        response = http("POST", "/v1/job/submit", json=submit_body(name, "probe"))
        if response.status_code == 200 or time.monotonic() > give_up:
            assert response.status_code == 200, response.text
            return name
        time.sleep(0.1)
