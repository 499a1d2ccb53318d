"""Directions links: what a citizen's map app opens, quoted as a browser
would (the links are written out, not urlencoded, for speed)."""
import random
from urllib.parse import parse_qs, urlencode, urlsplit

from services.geo.directions import provider


def test_links_are_exactly_the_urlencoded_ones_for_any_coordinates():
    rng = random.Random(7)
    cases = [((13.7563, 100.5018), (18.7883, 98.9853)), ((-0.0000001, -179.9999999), (90, 180))]
    cases += [((rng.uniform(-90, 90), rng.uniform(-180, 180)),
               (rng.uniform(-90, 90), rng.uniform(-180, 180))) for _ in range(500)]
    for origin, destination in cases:
        route = provider().directions(origin, destination)
        o = "{:.6f},{:.6f}".format(*origin)
        d = "{:.6f},{:.6f}".format(*destination)
        assert route["url"] == "https://www.google.com/maps/dir/?" + urlencode(
            {"api": "1", "origin": o, "destination": d})
        assert route["links"]["openstreetmap"] == "https://www.openstreetmap.org/directions?" + \
            urlencode({"engine": "fossgis_osrm_car", "route": "{};{}".format(o, d)})
        assert parse_qs(urlsplit(route["url"]).query)["destination"] == [d]
