"""Finding the served swagger once per run, and reading it: operations, ``$ref``s, schema shapes.

Where: real Armada serves its swagger at its HTTP root (``/swagger.json``) and its Helm
chart publishes that root under ``/api`` (``shared/real-armada.md``). So a REST base URL
``<rest>`` has the swagger at ``<rest>/swagger.json``, or at ``<rest>/api/swagger.json``
when the base given is the host; ``[target] swagger = "URL"`` names it outright. The
first place answering 200 with a JSON object is the document; if none does, the first
place's answer is what SWAGGER-Served reports.

Shapes real generators write and every check must read the same way: a stream's
response is ``{"type": "file", "properties": {"result", "error"}}`` in Armada's
post-processed file (``object`` in protoc-gen-swagger's); ``google.protobuf.Empty`` is
``{}`` or ``{"properties": {}}``.

The fetch is bounded like every call (``transport.bounds``): only an http(s) URL,
no redirect followed (a redirect is the answer, with where it pointed), an overall
deadline, at most ``MAX_DOCUMENT_BYTES``, and a document nested past
``MAX_JSON_DEPTH`` is "not a JSON object" with the reason, never a RecursionError.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import CheckFailed
from conformance.checks.swagger.facts import Binding
from conformance.context import RunContext
from conformance.transport.bounds import MAX_DOCUMENT_BYTES, Refused, parse_json, read_body, require_http

SWAGGER_PATHS = ("/swagger.json", "/api/swagger.json")


@dataclass
class Fetched:
    """One GET of a candidate place: what it answered."""

    url: str
    status: int
    content_type: str
    text: str
    document: Any
    tried: list[str] = field(default_factory=list)  # every place asked, in order
    problem: str = ""  # why the answer was not taken as a document (a redirect, a limit, too deep)

    @property
    def usable(self) -> bool:
        return self.status == 200 and isinstance(self.document, dict)


def places(ctx: RunContext) -> list[str]:
    """The URLs the swagger may be at, in the order they are tried."""
    if ctx.target.swagger:
        return [ctx.target.swagger]
    rest = ctx.require_rest()
    return [rest.base_url + path for path in SWAGGER_PATHS]


def _get(ctx: RunContext, url: str) -> Fetched:
    rest = ctx.require_rest()
    timeout = ctx.target.timeout
    try:
        require_http(url, "swagger URL")
        deadline = time.monotonic() + timeout
        with rest.session.get(
            url,
            headers=ctx.headers(),
            timeout=timeout,
            stream=True,
            allow_redirects=rest.follow_redirects,
            verify=rest.session.verify,
        ) as response:
            body, cut = read_body(response, deadline, MAX_DOCUMENT_BYTES)
    except Refused as exc:
        raise CheckFailed(str(exc), {"url": url}) from None
    except Exception as exc:  # refused, timed out: the endpoint did not answer
        raise CheckFailed(f"GET {url} did not answer: {exc}", {"url": url}) from None
    problem = cut
    if response.is_redirect:
        problem = f"a redirect to {response.headers.get('Location', '?')[:200]} (not followed)"
    parsed = None
    if not problem:
        try:
            parsed = parse_json(body)
        except Refused as exc:
            problem = str(exc)
        except ValueError:
            parsed = None
    text = body.decode(response.encoding or "utf-8", errors="replace")
    return Fetched(url, response.status_code, response.headers.get("Content-Type", ""), text, parsed, problem=problem)


def fetch(ctx: RunContext) -> Fetched:
    """GET the swagger once per run (every SWAGGER check reads the same document)."""
    if ctx.swagger_fetched is None:
        tried = places(ctx)
        answers = []
        for url in tried:
            answers.append(_get(ctx, url))
            if answers[-1].usable:
                break
        chosen = next((a for a in answers if a.usable), answers[0])
        chosen.tried = tried[: len(answers)]
        ctx.swagger_fetched = chosen
    fetched: Fetched = ctx.swagger_fetched
    return fetched


def document(ctx: RunContext) -> dict[str, Any]:
    """The served swagger as a JSON object, or a failure saying why there is none to check."""
    fetched = fetch(ctx)
    if not fetched.usable:
        raise CheckFailed(
            f"no swagger to check: GET {fetched.url} answered HTTP {fetched.status} "
            f"without a JSON object{f' ({fetched.problem})' if fetched.problem else ''} (see SWAGGER-Served)",
            {"status": fetched.status, "body": fetched.text[:300], "tried": fetched.tried},
        )
    return dict(fetched.document)


def operation(doc: dict[str, Any], b: Binding) -> dict[str, Any] | None:
    found = (doc.get("paths") or {}).get(b.path, {})
    op = found.get(b.verb) if isinstance(found, dict) else None
    return op if isinstance(op, dict) else None


def resolve(doc: dict[str, Any], schema: Any) -> tuple[str | None, Any]:
    """Follow ``$ref`` chains; (the last definition name or None, the schema it names)."""
    name, seen = None, set()
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/definitions/") or ref in seen:
            return name, None
        seen.add(ref)
        name = ref.removeprefix("#/definitions/")
        schema = (doc.get("definitions") or {}).get(name)
    return name, schema


_DESCRIPTIVE = frozenset({"title", "description", "type"})


def is_empty_object(doc: dict[str, Any], schema: Any) -> bool:
    """``google.protobuf.Empty`` as generators write it: nothing, ``{}``, ``{"properties": {}}``, ``object``."""
    _, resolved = resolve(doc, schema)
    if resolved is None:
        return schema is None
    if not isinstance(resolved, dict) or resolved.get("type", "object") != "object":
        return False
    return not resolved.get("properties") and set(resolved) <= _DESCRIPTIVE | {"properties"}


def is_file_stream(schema: Any) -> bool:
    """Armada's stream response: ``type: file`` carrying ``properties`` (not valid Swagger 2.0)."""
    return isinstance(schema, dict) and schema.get("type") == "file" and isinstance(schema.get("properties"), dict)
