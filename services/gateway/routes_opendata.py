"""Gateway routes of the open data under /open-data/ (docs/adr/0007-open-data.md).

The files are generated ahead of time by their owners (the registry: the
register of points, in GeoJSON, CSV and HSDS 3.0; reporting: satisfaction
per point and month) and stored in chunks; here they are streamed chunk by
chunk (RPC answers are bounded), gzip-compressed chunks when the client
accepts gzip, with ETag, Last-Modified and Cache-Control, and a
conditional GET answers 304 without reading a chunk. `datapackage.json`
(Frictionless Data Package) is put together from the two stored manifests:
a few kB describing every file, its size, hash and licence.
"""
import base64
import hashlib
import html
import json
from datetime import datetime

from nameko.rpc import RpcProxy
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from services.common.config import get_int
from services.common import opendata_store
from services.common.errors import NotFound, ServiceUnavailable
from services.gateway.entrypoint import route

LICENSES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-BY-1.0": ("Open Data Commons Attribution License v1.0",
                   "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0",
                 "https://opendatacommons.org/licenses/odbl/1-0/"),
}


def licence(config_value):
    """The data package licence from CFZ_OPEN_DATA_LICENSE: an SPDX id we
    know, or `id|title|url` for any other."""
    parts = [p.strip() for p in (config_value or "CC-BY-4.0").split("|")]
    if len(parts) == 3:
        return {"name": parts[0], "title": parts[1], "path": parts[2]}
    title, path = LICENSES.get(parts[0], (parts[0], None))
    return {k: v for k, v in {"name": parts[0], "title": title, "path": path}.items() if v}


def package(manifests, licence_value):
    """The Frictionless Data Package (v1) of the stored manifests."""
    resources, dates = [], []
    for manifest in manifests:
        if not manifest:
            continue
        dates.append(manifest["generated_at"])
        for f in manifest["files"]:
            resources.append(dict(f["resource"], path=f["name"], bytes=f["bytes"],
                                  hash="sha256:" + f["sha256"]))
    return {
        "profile": "data-package",
        "name": "cfz-open-data",
        "title": "จุดให้บริการภาครัฐและการไม่เรียกสำเนาเอกสาร / Government service points and "
                 "Zero Copy",
        "description": "ทะเบียนจุดให้บริการที่เปิดอยู่ บริการ สถานะการไม่เรียกสำเนาเอกสารทีละเอกสาร และความ"
                       "พึงพอใจรายเดือน (เฉพาะที่มีตัวอย่างพอ) / The register of open service points, "
                       "their services and Zero Copy status per document, and monthly satisfaction "
                       "where the sample is large enough.",
        "keywords": ["zero copy", "ไม่เรียกสำเนา", "service points", "จุดให้บริการ", "HSDS",
                     "GeoJSON"],
        "licenses": [licence(licence_value)],
        "created": max(dates) if dates else None,
        "resources": resources,
    }


def _fmt_size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("{:.0f} {}" if unit == "B" else "{:.1f} {}").format(n, unit)
        n /= 1024.0


def index_page(files):
    rows = "".join(
        "<tr><td><a href=\"{href}\">{name}</a></td><td>{title}</td><td>{size}</td>"
        "<td><time datetime=\"{date}\">{date}</time></td></tr>".format(
            href=html.escape(f["name"]), name=html.escape(f["name"]),
            title=html.escape(f["resource"].get("title", "")), size=_fmt_size(f["bytes"]),
            date=html.escape(f["modified"][:19].replace("T", " ")) + " UTC")
        for f in files)
    return ("<!doctype html><html lang=\"th\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>ข้อมูลเปิด / Open data</title>"
            "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>"
            "<main id=\"main\" class=\"opendata\"><h1>ข้อมูลเปิด <span lang=\"en\">Open data</span></h1>"
            "<p>ทะเบียนจุดให้บริการที่เปิดอยู่ บริการ และสถานะการไม่เรียกสำเนาเอกสาร ปรับปรุงอัตโนมัติเมื่อข้อมูล"
            "เปลี่ยน ใช้ได้ทุกคน ตามสัญญาอนุญาตที่ระบุใน <a href=\"datapackage.json\">datapackage.json</a></p>"
            "<p lang=\"en\">The register of open service points, their services and Zero Copy "
            "status, regenerated when the data changes, for anyone, under the licence named in "
            "<a href=\"datapackage.json\">datapackage.json</a>.</p>"
            "<table><caption>ไฟล์ / Files</caption><thead><tr><th scope=\"col\">ไฟล์ / File</th>"
            "<th scope=\"col\">เนื้อหา / Content</th><th scope=\"col\">ขนาด / Size</th>"
            "<th scope=\"col\">ปรับปรุง / Updated</th></tr></thead><tbody>" + rows +
            "</tbody></table><p><a href=\"/\">หน้าแรก / Home</a></p></main></body></html>")


def _not_modified(request, etags, modified):
    if request.if_none_match:
        return any(request.if_none_match.contains(tag) for tag in etags)
    since = request.if_modified_since
    return since is not None and modified is not None and \
        modified.replace(microsecond=0) <= since


class OpenDataRoutes:
    reporting = RpcProxy("reporting")

    def _manifests(self):
        return [self._call(self.registry, "open_data_manifest"),
                self._call(self.reporting, "open_data_manifest")]

    def _cache_headers(self, etag, modified):
        headers = {"Cache-Control": "public, max-age={}".format(
            get_int(self.config, "CFZ_OPEN_DATA_MAX_AGE")), "ETag": '"{}"'.format(etag),
            "Access-Control-Allow-Origin": "*"}
        if modified is not None:
            headers["Last-Modified"] = http_date(modified)
        return headers

    def _small(self, request, body, mimetype, modified):
        etag = hashlib.sha256(body).hexdigest()[:32]
        headers = self._cache_headers(etag, modified)
        if _not_modified(request, [etag], modified):
            return Response(status=304, headers=headers)
        return Response(body, mimetype=mimetype, headers=headers)

    @route("GET", "/open-data")
    def open_data_bare(self, request):
        return Response(status=301, headers={"Location": "/open-data/"})

    @route("GET", "/open-data/", tag="open data",
           summary="The open data index page (Thai and English): every file with its size and "
                   "date")
    def open_data_index(self, request):
        manifests = self._manifests()
        files = [f for m in manifests if m for f in m["files"]]
        dates = [datetime.fromisoformat(m["generated_at"]) for m in manifests if m]
        return self._small(request, index_page(files).encode("utf-8"), "text/html",
                           max(dates) if dates else None)

    @route("GET", "/open-data/datapackage.json", tag="open data",
           summary="Frictionless Data Package describing every open data file, its schema, "
                   "size, hash and licence (for CKAN and other portals)")
    def open_data_package(self, request):
        manifests = self._manifests()
        if manifests[0] is None:
            raise ServiceUnavailable("The open data is being generated; try again shortly.",
                                     {"retry_after_seconds": 5}, code="OPEN_DATA_NOT_READY")
        document = package(manifests, self.config.get("CFZ_OPEN_DATA_LICENSE"))
        body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        return self._small(request, body, "application/json",
                           datetime.fromisoformat(document["created"]))

    @route("GET", "/open-data/<path:name>", tag="open data",
           summary="An open data file, regenerated from events and stored: "
                   "service-points.geojson (RFC 7946), service-points.csv and "
                   "service-point-documents.csv (UTF-8 with BOM), hsds/organizations.json, "
                   "hsds/locations.json, hsds/services.json, hsds/service_at_locations.json, "
                   "hsds/required_documents.json (HSDS 3.0), satisfaction-by-point-month.csv; "
                   "ETag, Last-Modified, 304 on a conditional GET, gzip when accepted")
    def open_data_file(self, request, name):
        proxy = self.reporting if name == opendata_store.SATISFACTION_FILE else self.registry
        manifest = self._call(proxy, "open_data_manifest")
        entry = next((f for f in (manifest or {}).get("files", []) if f["name"] == name), None)
        if entry is None:
            if manifest is None:
                raise ServiceUnavailable("The open data is being generated; try again shortly.",
                                         {"retry_after_seconds": 5}, code="OPEN_DATA_NOT_READY")
            raise NotFound("No such open data file; datapackage.json lists them.",
                           {"name": name}, code="OPEN_DATA_NOT_FOUND")
        gzipped = "gzip" in (request.headers.get("Accept-Encoding") or "").lower()
        encoding = "gzip" if gzipped else "identity"
        etag = entry["etag"] + ("-gz" if gzipped else "")
        modified = datetime.fromisoformat(entry["modified"])
        headers = self._cache_headers(etag, modified)
        headers["Vary"] = "Accept-Encoding"
        if _not_modified(request, [entry["etag"], entry["etag"] + "-gz"], modified):
            return Response(status=304, headers=headers)
        generation, part = manifest["generation"], entry[encoding]
        # the first chunk now: a generation gone already is a clean error
        first = self._chunk(proxy, generation, name, encoding, 0)

        def stream():
            yield first
            for index in range(1, part["chunks"]):
                yield self._chunk(proxy, generation, name, encoding, index)

        headers["Content-Length"] = str(part["bytes"])
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        if name.endswith(".csv"):
            headers["Content-Disposition"] = 'attachment; filename="{}"'.format(name)
        return Response(stream(), headers=headers, content_type=entry["media_type"],
                        direct_passthrough=True)

    def _chunk(self, proxy, generation, name, encoding, index):
        return base64.b64decode(self._call(proxy, "open_data_chunk", generation, name, encoding,
                                           index))
