"""Static files under fingerprinted names, sent compressed; pages and JSON compressed too.

Every ``url_for('static', ...)`` (Bootstrap-Flask's links included: they are the
``bootstrap.static`` endpoint) names the file with a hash of its content,
``css/app.3f2a9c1b0d4e.css``. Such a name can be kept by browsers and proxies for a year
(``immutable``): a changed file gets a new name. A name without a hash, or with a hash that
is no longer the file's (a page built before the file changed), is answered with the
current file and ``no-cache``, never with the year-long lifetime.

Each file is read, hashed and compressed (brotli and gzip) once per process, the first time
a page links it or a browser asks for it, and then served from memory: no request pays
for compressing a static file. Pages and JSON answers are compressed by Flask-Compress as
they are sent; streamed answers (downloads) are left alone, so that they stay streamed.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass

import brotli
from flask import Flask, Response, abort, request
from werkzeug.security import safe_join

from tracker.extensions import compress

DIGEST_LENGTH = 12
# "css/bootstrap.min.<digest>.css": the digest goes before the last suffix.
FINGERPRINTED = re.compile(
    rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<suffix>\.[A-Za-z0-9]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Encodings offered for static files, best first (the same as Flask-Compress's setting).
ENCODINGS = ("br", "gzip")
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "application/json",
                "image/svg+xml", "text/plain", "text/xml", "application/xml"}
MIN_COMPRESSED_SIZE = 500


@dataclass(frozen=True)
class Asset:
    """One static file as sent: its digest, type, and its bytes in each encoding."""

    digest: str
    mimetype: str
    mtime_ns: int
    bodies: dict[str, bytes]  # "identity", and "br" and "gzip" for text files

    @classmethod
    def read(cls, path: str, mtime_ns: int) -> Asset:
        with open(path, "rb") as handle:
            data = handle.read()
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        bodies = {"identity": data}
        if mimetype in COMPRESSIBLE and len(data) >= MIN_COMPRESSED_SIZE:
            # Brotli 9 is within a few per cent of 11 at a thirtieth of the time.
            bodies["br"] = brotli.compress(data, quality=9)
            bodies["gzip"] = gzip.compress(data, compresslevel=9, mtime=0)
        return cls(hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH], mimetype, mtime_ns, bodies)


class AssetFolder:
    """The files of one static folder, each read once and kept until it changes on disk."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._assets: dict[str, Asset] = {}

    def get(self, filename: str) -> Asset | None:
        """Return the file's asset, or None when no such file is in the folder."""
        path = safe_join(self.folder, filename)
        try:
            stat = os.stat(path) if path else None
        except (OSError, ValueError):  # ValueError: a NUL in the name
            stat = None
        if stat is None or not os.path.isfile(path):
            return None
        asset = self._assets.get(filename)
        if asset is None or asset.mtime_ns != stat.st_mtime_ns:
            asset = self._assets[filename] = Asset.read(path, stat.st_mtime_ns)
        return asset

    def fingerprinted(self, filename: str) -> str:
        """Return the name with the content's digest in it (unchanged for a missing file)."""
        asset = self.get(filename)
        if asset is None:
            return filename
        stem, suffix = os.path.splitext(filename)
        return f"{stem}.{asset.digest}{suffix}" if suffix else f"{filename}.{asset.digest}"

    def resolve(self, name: str) -> tuple[Asset, bool] | None:
        """Return the asset a requested name stands for, and whether its digest is current."""
        asset = self.get(name)
        if asset is not None:
            return asset, False
        match = FINGERPRINTED.match(name)
        if match is None:
            return None
        asset = self.get(match["stem"] + match["suffix"])
        if asset is None:
            return None
        return asset, asset.digest == match["digest"]


def send_asset(asset: Asset, current: bool) -> Response:
    """Answer with the asset in the best encoding the client takes."""
    offered = [e for e in ENCODINGS if e in asset.bodies]
    encoding = request.accept_encodings.best_match([*offered, "identity"]) or "identity"
    response = Response(asset.bodies[encoding], mimetype=asset.mimetype)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
    response.set_etag(f"{asset.digest}-{encoding}")
    return response.make_conditional(request)


def register_assets(app: Flask) -> None:
    """Serve every static folder through fingerprinted names; compress other answers."""
    folders = {"static": app.static_folder}
    folders.update({f"{name}.static": blueprint.static_folder
                    for name, blueprint in app.blueprints.items() if blueprint.static_folder})
    stores = {endpoint: AssetFolder(folder) for endpoint, folder in folders.items() if folder}

    def serve(store: AssetFolder):
        def view(filename: str) -> Response:
            found = store.resolve(filename)
            if found is None:
                abort(404)
            return send_asset(*found)

        return view

    for endpoint, store in stores.items():
        app.view_functions[endpoint] = serve(store)

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        store = stores.get(endpoint)
        if store is not None and "filename" in values:
            values["filename"] = store.fingerprinted(values["filename"])

    # Compressing pages that carry a CSRF token beside text from the URL is what BREACH
    # exploits; the session cookies are SameSite=Lax, so another site cannot make a
    # signed-in browser fetch the pages it would need to measure.
    @app.after_request
    def _compress(response: Response) -> Response:
        if request.endpoint in stores:
            return response  # already compressed, once
        return compress.after_request(response)
