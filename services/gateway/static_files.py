"""The web app's files, served from memory with validators and gzip, and the
headers every answer of the gateway gets (plain module, werkzeug only).

Citizens browse on low-end phones over patchy 3G/4G: text answers are
gzip-compressed when the client accepts it, static files carry an ETag
(a repeat visit costs a 304), and pages carry a Content-Security-Policy
without inline scripts.
"""
import gzip
import hashlib
import mimetypes
import os
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml",
                "application/manifest+json", "application/geo+json")
MIN_COMPRESS_BYTES = 860  # below one packet gzip saves nothing
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("application/javascript", ".js")


class StaticFiles:
    """Files under `base`, read once; HTML pages get `substitutions`
    (e.g. the tile server) filled in."""

    def __init__(self, base, substitutions=None, max_age=300):
        self.base = os.path.realpath(base)
        self.substitutions = substitutions or {}
        self.max_age = max_age
        self._cache = {}

    def response(self, request, path):
        entry = self._entry(path)
        if entry is None:
            return Response("Not found", status=404, mimetype="text/plain")
        body, gzipped, etag, mimetype = entry
        headers = {"Cache-Control": "public, max-age={}".format(self.max_age), "ETag": '"{}"'.format(etag)}
        if request.if_none_match.contains(etag):  # werkzeug compares unquoted tags
            return Response(status=304, headers=headers)
        response = Response(body, mimetype=mimetype, headers=headers)
        if gzipped is not None and accepts_gzip(request):
            response.set_data(gzipped)
            response.headers["Content-Encoding"] = "gzip"
        if gzipped is not None:
            response.headers["Vary"] = "Accept-Encoding"
        return response

    def _entry(self, path):
        if path in self._cache:
            return self._cache[path]
        entry = None
        if "\x00" not in path:  # the file system refuses it (ValueError)
            full = os.path.realpath(os.path.join(self.base, path))
            if full.startswith(self.base + os.sep) and os.path.isfile(full):
                entry = self._load(full)
        if len(self._cache) < 500:  # unknown paths are cached too, but not without end
            self._cache[path] = entry
        return entry

    def _load(self, full):
        with open(full, "rb") as f:
            body = f.read()
        mimetype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        if full.endswith(".html"):
            text = body.decode("utf-8")
            for key, value in self.substitutions.items():
                text = text.replace("{{" + key + "}}", value)
            body = text.encode("utf-8")
        gzipped = compress(body) if compressible(mimetype, len(body)) else None
        etag = hashlib.sha256(body).hexdigest()[:20]
        return body, gzipped, etag, mimetype


def compressible(mimetype, size):
    return size >= MIN_COMPRESS_BYTES and (mimetype or "").startswith(COMPRESSIBLE)


def compress(body):
    return gzip.compress(body, compresslevel=6, mtime=0)


def accepts_gzip(request):
    return "gzip" in (request.headers.get("Accept-Encoding") or "").lower()


def content_security_policy(tile_url):
    """Scripts and styles from this site only; images also from the tile
    server ({s} subdomains become a wildcard)."""
    parts = urlsplit(tile_url)
    tiles = "{}://{}".format(parts.scheme, parts.netloc.replace("{s}", "*")) if parts.netloc else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data: blob: " + tiles + "; connect-src 'self'; worker-src 'self'; "
            "manifest-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
            "object-src 'none'")


def finish(request, response, csp):
    """Headers every answer gets, and gzip for text answers that lack it."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    mimetype = response.mimetype or ""
    if mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Frame-Options", "DENY")
    if "Content-Encoding" not in headers and response.status_code == 200 \
            and not response.is_streamed and compressible(mimetype, response.content_length or 0):
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request):
            response.set_data(compress(response.get_data()))
            headers["Content-Encoding"] = "gzip"
    return response
