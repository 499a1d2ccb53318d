"""geo's business metrics, exported only where geo runs (the entrypoint
metrics and the event lag, cfz_event_lag_seconds{service="geo"}: an event's
occurred_at to this replica's index reflecting it, come from common)."""
from prometheus_client import Counter, Gauge, Histogram

from services.common.metrics import service_metric

INDEX_SIZE = service_metric("geo", Gauge(
    "cfz_geo_index_points", "Open service points in the in-memory index", registry=None))
QUERIES = service_metric("geo", Counter(
    "cfz_geo_queries_total", "Spatial queries", ["kind"], registry=None))
QUERY_LATENCY = service_metric("geo", Histogram(
    "cfz_geo_query_seconds", "Time inside the spatial index", ["kind"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25),
    registry=None))
