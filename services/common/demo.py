"""When demo data may be written (plain module): the registry's demo points
and the backdated ratings and complaints that go with them."""
from services.common.config import get_bool
from services.common.errors import Forbidden, ValidationFailed
from services.common.storage import is_embedded

MAX_SCALE = 5.0


def require_demo_data(config):
    """Never into a real database by accident: only the embedded store, or
    a deployment that opted in with CFZ_DEMO_DATA=1."""
    if not (is_embedded(config["MONGO_URI"]) or get_bool(config, "CFZ_DEMO_DATA")):
        raise Forbidden("Demo data is only loaded on embedded storage or with "
                        "CFZ_DEMO_DATA=1.", code="DEMO_DISABLED")


def options(seed, scale):
    """(seed, scale) of a demo load, checked: an RPC caller passes them."""
    if isinstance(seed, bool) or not isinstance(seed, int) or isinstance(scale, bool) \
            or not isinstance(scale, (int, float)) or not 0 < scale <= MAX_SCALE:
        raise ValidationFailed("seed is a whole number; scale is above 0 and at most {:g}."
                               .format(MAX_SCALE))
    return seed, float(scale)
