"""Directions links from a citizen's location to a service point.

No routing engine or road data runs here; a provider turns (origin,
destination) into what a result shows. Links open in a phone's map app.
A routing provider (OSRM, Valhalla, a government service) can be plugged
in later by implementing `directions()` with route length and duration.
"""


class LinkDirections:
    """Directions as links to public map sites; no distance by road."""

    name = "links"

    def directions(self, origin, destination):
        # "lat%2Clon" written out: urlencode's quoting cost a nearby answer
        # of ten results more than its index query; coordinates hold only
        # digits, "." and "-", which need none
        o = "{:.6f}%2C{:.6f}".format(origin[0], origin[1])
        d = "{:.6f}%2C{:.6f}".format(destination[0], destination[1])
        google = "https://www.google.com/maps/dir/?api=1&origin={}&destination={}".format(o, d)
        osm = ("https://www.openstreetmap.org/directions?engine=fossgis_osrm_car"
               "&route={}%3B{}".format(o, d))
        return {"url": google, "links": {"google": google, "openstreetmap": osm},
                "road_distance_km": None, "duration_minutes": None}


PROVIDERS = {LinkDirections.name: LinkDirections}


def provider(name="links"):
    return PROVIDERS[name]()
