"""The web app as the gateway serves it: every page at its own address,
compressed when the client accepts it, revalidated by ETag, with a
Content-Security-Policy that forbids inline scripts."""
import gzip

PAGES = ["/", "/services/DOPA-ID-NEW", "/points/sp-anything", "/feedback", "/complaints/new", "/track",
         "/track/CFZ-ABCD-EFGH", "/dashboard", "/officer", "/officer/login", "/officer/points/new",
         "/officer/points/sp-x/poster", "/officer/complaints/c-x"]


def test_every_page_is_served_with_its_headers(api):
    for path in PAGES:
        page = api.get(path, headers={"Accept-Encoding": "gzip"})
        assert page.status_code == 200, path
        assert page.headers["Content-Type"].startswith("text/html"), path
        assert "script-src 'self'" in page.headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"], path
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert "<script>" not in page.text and "onclick=" not in page.text, path  # CSP: no inline code
    assert api.get("/static/nope.js").status_code == 404


def test_text_is_gzipped_and_revalidated_by_etag(api):
    raw = api.session.get(api.base + "/static/cfz.js", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip" and raw.headers["Vary"] == "Accept-Encoding"
    body = gzip.decompress(raw.raw.read())
    assert b"window.cfz" in body and int(raw.headers["Content-Length"]) < len(body) / 2
    again = api.get("/static/cfz.js", headers={"If-None-Match": raw.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    plain = api.session.get(api.base + "/static/cfz.js", headers={"Accept-Encoding": "identity"}, stream=True)
    assert "Content-Encoding" not in plain.headers and plain.raw.read() == body
    # JSON answers too, and the map's boxes may be cached for a minute
    box = api.session.get(api.base + "/api/v1/service-points/bbox?south=5&west=97&north=21&east=106",
                          headers={"Accept-Encoding": "gzip"})
    assert box.status_code == 200 and box.headers["Cache-Control"] == "public, max-age=60"
    provinces = api.session.get(api.base + "/api/v1/provinces", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert provinces.headers["Content-Encoding"] == "gzip"
    names = __import__("json").loads(gzip.decompress(provinces.raw.read()))["results"]
    assert len(names) == 77 and {"code": "10", "name_th": "กรุงเทพมหานคร", "name_en": "Bangkok"} in names
