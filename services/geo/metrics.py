"""geo's business metrics (the generic entrypoint metrics come from common)."""
from prometheus_client import Counter, Gauge, Histogram

INDEX_SIZE = Gauge("cfz_geo_index_points", "Open service points in the in-memory index")
QUERIES = Counter("cfz_geo_queries_total", "Spatial queries", ["kind"])
QUERY_LATENCY = Histogram("cfz_geo_query_seconds", "Time inside the spatial index", ["kind"],
                          buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                   0.01, 0.05, 0.25))
EVENT_LAG = Histogram("cfz_geo_event_lag_seconds",
                      "From a registry event's occurred_at to the index reflecting it",
                      buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
