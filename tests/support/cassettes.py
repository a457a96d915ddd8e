"""vcrpy set-up shared by every cassette test.

- Replay by default (record mode ``none``: a request with no recording fails, so CI never
  reaches a network). ``MKTINT_RECORD=1`` re-records against the live server or emulator.
- Cassettes are JSON; a body is stored as ``{"text": ...}`` when it is UTF-8, otherwise as
  ``{"base64": ...}`` — never as an opaque YAML blob — so the secret scan can read them.
- Before anything is written: ``Authorization``, ``Cookie`` and ``Set-Cookie`` are dropped,
  form fields named like secrets are masked, and every known secret (the ones passed in and
  every one mktint's redactor saw) is replaced by ``***`` in URLs, headers and bodies.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import vcr

from tests.support.cli import REPO

CASSETTES = REPO / "cassettes"
SECRET_FORM_FIELDS = ("password", "passkey", "api_key", "apikey", "token", "mam_id", "authkey")
DROPPED_HEADERS = ("authorization", "cookie", "set-cookie")
MASK = "***"


class _JsonBodies:
    """A vcr serializer: JSON with readable bodies."""

    @staticmethod
    def _pack(body):
        if body is None:
            return None
        if hasattr(body, "getvalue"):  # a streamed request body (BytesIO)
            body = body.getvalue()
        if isinstance(body, str):
            return {"text": body}
        try:
            return {"text": body.decode("utf-8")}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(body).decode("ascii")}

    @staticmethod
    def _unpack(packed):
        if packed is None:
            return None
        if "text" in packed:
            return packed["text"].encode("utf-8")
        return base64.b64decode(packed["base64"])

    # vcr hands the serializer {"version": 1, "interactions": [{"request", "response"}]}
    # and expects the same shape back.
    def serialize(self, cassette: dict) -> str:
        interactions = []
        for interaction in cassette["interactions"]:
            request, response = interaction["request"], interaction["response"]
            body = dict(response["body"])
            body["string"] = self._pack(body.get("string"))
            interactions.append({"request": {**request, "body": self._pack(request["body"])},
                                 "response": {**response, "body": body}})
        data = {**cassette, "interactions": interactions}
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)

    def deserialize(self, text: str) -> dict:
        data = json.loads(text)
        for interaction in data["interactions"]:
            interaction["request"]["body"] = self._unpack(interaction["request"]["body"])
            body = interaction["response"]["body"]
            body["string"] = self._unpack(body["string"])
        return data


def _known_secrets(extra) -> list[str]:
    from mktint.core import redact

    return sorted({*extra, *redact._ordered}, key=len, reverse=True)


def _scrub_bytes(body, secrets):
    if body is None:
        return None
    if hasattr(body, "getvalue"):  # vcrpy hands a streamed request body over as BytesIO
        body = body.getvalue()
    is_text = isinstance(body, str)
    data = body.encode("utf-8") if is_text else body
    for secret in secrets:
        data = data.replace(secret.encode("utf-8"), MASK.encode())
    for field in SECRET_FORM_FIELDS:
        data = re.sub(rb"(?i)(\b" + field.encode() + rb"=)[^&\s]+", rb"\1" + MASK.encode(), data)
    return data.decode("utf-8") if is_text else data


def _scrub_text(text: str, secrets) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def use_cassette(name: str, *, secrets=(), match_on=("method", "path", "query")):
    """A vcr cassette ``cassettes/<name>.json`` with every secret scrubbed."""

    def before_request(request):
        known = _known_secrets(secrets)
        request.uri = _scrub_text(request.uri, known)
        request.body = _scrub_bytes(request.body, known)
        for header in list(request.headers):
            if header.lower() in DROPPED_HEADERS:
                del request.headers[header]
            else:
                request.headers[header] = _scrub_text(request.headers[header], known)
        return request

    def before_response(response):
        known = _known_secrets(secrets)
        response["headers"] = {k: v for k, v in response["headers"].items()
                               if k.lower() not in DROPPED_HEADERS}
        response["body"]["string"] = _scrub_bytes(response["body"]["string"], known)
        return response

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if os.environ.get("MKTINT_RECORD") else "none",
        match_on=list(match_on),
        before_record_request=before_request,
        before_record_response=before_response,
        decode_compressed_response=True,
    )
    recorder.register_serializer("mktint-json", _JsonBodies())
    return recorder.use_cassette(f"{name}.json", serializer="mktint-json")


def cassette_texts(directory: Path = CASSETTES):
    """(path, every readable text of the cassette, base64 bodies decoded) for a scan."""
    for path in sorted(directory.rglob("*.json")):
        raw = path.read_text(encoding="utf-8")
        texts = [raw]
        for chunk in re.findall(r'"base64":\s*"([A-Za-z0-9+/=]*)"', raw):
            texts.append(base64.b64decode(chunk).decode("latin-1"))
        yield path, "\n".join(texts)
