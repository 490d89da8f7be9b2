"""Keeping credentials out of everything a run writes: records, manifests, rejection reasons, logs, cards.

A person may put a secret where Crucible later shows text: `teacher=http://user:pass@host/v1@model`, a key in a
query string (`?api_key=...`), or an SDK error message that quotes the URL it failed on. Every place where such text
reaches a file goes through `scrub_url` (for a URL known to be one) or `scrub_text` (for free text: error messages,
specs), so the rule is written once:

- a URL loses its userinfo (`user:password@`, dropped whole) and the value of every query parameter whose name looks
  secret (key, token, secret, password, signature, auth ...); the rest stays, so lineage still names the endpoint;
- free text additionally loses the values of secret-looking environment variables (`*_API_KEY`, `*_TOKEN`, ...)
  wherever they occur verbatim, so a key echoed back by a server never lands in a rejection reason.

A removed value is replaced by `REDACTED`, so a reader sees that something was there.
"""

import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
# Query parameter names that carry credentials (matched case-insensitively against the whole name).
SECRET_PARAM = re.compile(
    r"^(?:.*[-_.])?(?:api[-_]?key|apikey|key|token|access[-_]?token|auth|authorization|secret|client[-_]?secret|"
    r"password|passwd|pwd|sig|signature|credential|credentials|session)$", re.IGNORECASE)
# Environment variables whose values are secrets (their values are scrubbed from free text).
SECRET_ENV = re.compile(r"(?:API_KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
MIN_SECRET_LEN = 8  # shorter env values ("1", "none") would scrub ordinary words
URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")
ENDPOINT_SEP = re.compile(r",\s*(?=[a-zA-Z][a-zA-Z0-9+.-]*://)")  # between the endpoints of a teacher list


def scrub_url(url: str) -> str:
    """The URL without userinfo and without the values of secret-looking query parameters."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not parseable as a URL (a bad port ...): keep only what certainly is no credential
        head, sep, tail = url.partition("://")
        return f"{head}{sep}{tail.rsplit('@', 1)[-1]}" if sep else url
    netloc = parts.netloc
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret_query = any(SECRET_PARAM.match(k) for k, _ in pairs)
    if "@" not in netloc and not secret_query:
        return url  # nothing to hide: leave the text exactly as it was
    if "@" in netloc:
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = host + (f":{port}" if port else "")
    query = parts.query
    if secret_query:
        query = urlencode([(k, REDACTED if SECRET_PARAM.match(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """Values of secret-looking environment variables, longest first (so a key containing another is caught whole)."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if SECRET_ENV.search(k) and len(v) >= MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def split_endpoints(text: str) -> list[str]:
    """`http://h1/v1@m,http://h2/v1@m` -> its parts (a comma starts a new part only before another scheme://)."""
    return [part for part in ENDPOINT_SEP.split(text) if part]


def scrub_text(text: str, environ: dict[str, str] | None = None) -> str:
    """Free text with every URL scrubbed and every secret environment value replaced."""
    if not text:
        return text
    text = URL.sub(lambda m: ",".join(scrub_url(u) for u in split_endpoints(m.group(0))), text)
    for value in secret_values(environ):
        text = text.replace(value, REDACTED)
    return text


def scrub_spec(spec: str) -> str:
    """A teacher spec (`http://user:pw@host/v1?api_key=k@model`, `openai:gpt-4o`, several comma-separated endpoints)
    safe to write anywhere."""
    if "://" not in spec:
        return spec
    if len(parts := split_endpoints(spec)) > 1:
        return ",".join(scrub_spec(part) for part in parts)
    url, sep, model = spec.rpartition("@")
    if not sep or "/" in model or not url or "://" not in url:
        return scrub_url(spec)
    return f"{scrub_url(url)}@{model}"
