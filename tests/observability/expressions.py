"""The PromQL the live-Prometheus test checks, in one place: the questions
an operator asks of the metrics (docs/observability.md). Each is checked
against a real Prometheus scraping a real `cfz run` after real traffic
(test_live_telemetry.py)."""

EXPRESSIONS = {
    # HTTP: answers by route template and status; errors are never successes
    "http_by_route_status": 'sum by (route, method, status) (cfz_http_requests_total)',
    "http_4xx_by_route": 'sum by (route, status) (cfz_http_requests_total{status=~"4.."})',
    "http_5xx_by_route": 'sum by (route, status) (cfz_http_requests_total{status=~"5.."})',
    "http_error_ratio": 'sum(rate(cfz_http_requests_total{status=~"5.."}[1m])) '
                        '/ sum(rate(cfz_http_requests_total[1m]))',
    "http_p95_seconds": 'histogram_quantile(0.95, sum by (le, route) '
                        '(rate(cfz_http_request_duration_seconds_bucket[1m])))',
    # RPC, by caller, target and outcome
    "rpc_by_outcome": 'sum by (service, target, method, outcome) (cfz_rpc_calls_total)',
    "rpc_p95_seconds": 'histogram_quantile(0.95, sum by (le, service, target) '
                       '(rate(cfz_rpc_call_duration_seconds_bucket[1m])))',
    # events: handled, lag, published, waiting
    "event_handler_by_outcome": 'sum by (service, event, outcome) (cfz_event_handler_calls_total)',
    "event_lag_count": 'sum by (service, event) (cfz_event_lag_seconds_count)',
    "event_lag_p95_seconds": 'histogram_quantile(0.95, sum by (le, service) '
                             '(rate(cfz_event_lag_seconds_bucket[1m])))',
    "events_published": 'sum by (service, event) (cfz_events_published_total)',
    "outbox_publish_failures": 'sum by (service) (cfz_outbox_publish_failures_total)',
    # database-wide gauges: every replica reports the same, so max, never sum
    "outbox_pending": 'max by (service) (cfz_outbox_pending_events)',
    "outbox_oldest_age_seconds": 'max by (service) (cfz_outbox_oldest_pending_age_seconds)',
    "relay_pending": 'max(cfz_complaints_relay{state="pending"})',
    "relay_dead_letters": 'max(cfz_complaints_relay{state="dead_letter"})',
    "relay_oldest_pending_age_seconds": 'max(cfz_complaints_relay_oldest_pending_age_seconds)',
    # timers and storage
    "timer_seconds_since_success": 'time() - max by (service, timer) '
                                   '(cfz_timer_last_success_timestamp_seconds)',
    "mongo_up": 'min by (service) (cfz_mongo_up)',
    # PMOC
    "pmoc_calls_by_status": 'sum by (operation, status) (cfz_pmoc_request_duration_seconds_count)',
    "pmoc_poll_failures": 'sum(cfz_pmoc_status_poll_failures_total)',
    # entrypoints (kept from before)
    "entrypoint_by_outcome": 'sum by (service, entrypoint, outcome) (cfz_entrypoint_calls_total)',
}
