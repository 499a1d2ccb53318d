"""Gateway routes of the reporting service."""
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.common import rpc, thai
from services.common.config import get_float
from services.common.errors import validation_error
from services.gateway.http import api, json_response, query_dict
from services.gateway.webserver import http
from services.common.schemas import load
from services.reporting import schemas as reporting_schemas

OPERATIONS = [
    ("get", "/api/v1/reports/service-points/{point_id}",
     "Satisfaction of a service point: count, CSAT with 95% interval, driver means, "
     "small-sample-aware score, key drivers, Zero Copy breaches", None,
     reporting_schemas.ReportQuery, False, "reports"),
    ("get", "/api/v1/reports/agencies/{agency_id}", "The same for an agency", None,
     reporting_schemas.ReportQuery, False, "reports"),
    ("get", "/api/v1/reports/provinces/{province_code}", "The same for a province", None,
     reporting_schemas.ReportQuery, False, "reports"),
    ("get", "/api/v1/reports/rankings", "Points, agencies or provinces by the small-sample-aware "
     "score; only entries with enough ratings are ranked", None,
     reporting_schemas.RankingQuery, False, "reports"),
    ("get", "/api/v1/reports/zero-copy", "Zero Copy progress per agency or province: services "
     "declaring no copy, copies still demanded, citizen-reported breaches and the points where "
     "the two disagree", None, reporting_schemas.GroupedQuery, False, "reports"),
    ("get", "/api/v1/reports/rollout", "Rollout per agency or province (pinned, surveyed, copies "
     "past their planned end), laggards first; with `id`, that one's daily series", None,
     reporting_schemas.RolloutQuery, False, "reports"),
    ("get", "/api/v1/reports/complaints/overdue", "Open complaints past their SLA (officers: "
     "their own agency; administrators: any level)", None, reporting_schemas.OverdueQuery, True,
     "reports"),
    ("get", "/api/v1/reports/alerts", "Satisfaction alerts: significant drops against a point's "
     "or agency's own baseline", None, reporting_schemas.AlertsQuery, False, "reports"),
    ("get", "/api/v1/reports/themes", "Comment themes of a service point, agency, province or "
     "the nation over [from, to]: terms and two-word phrases of published comments distinctive "
     "against the rest of the country (Dunning's G², a minimum count), with count, share, mean "
     "satisfaction and up to three examples", None, reporting_schemas.ThemesQuery, False,
     "reports"),
    ("get", "/api/v1/reports/themes/unhappy", "What the unhappy say: themes of comments rated "
     "1-2 against those rated 4-5 in the same scope", None, reporting_schemas.ThemesQuery, False,
     "reports"),
    ("get", "/api/v1/reports/themes/rising", "Rising themes: this period against the one of "
     "equal length before it (G², a minimum count)", None, reporting_schemas.ThemesQuery, False,
     "reports"),
    ("post", "/api/v1/admin/reports/recount", "Recount every aggregate from the source services "
     "and list the differences from the incremental state (administrators)", None, None, True,
     "reports"),
]
CREATES = set()


class ReportingRoutes:
    reporting = RpcProxy("reporting")

    def _answer(self, result):
        if "csv" in result:
            return Response(result["csv"].encode("utf-8"), mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="{}"'.format(result["filename"])})
        return json_response(result)

    def _query(self, request, schema):
        query = query_dict(request)
        load(schema, query)  # checked here, read by the service
        return query

    def _report(self, request, level, key):
        query = self._query(request, reporting_schemas.ReportQuery)
        return self._answer(self._call(self.reporting, "report", level, key, query))

    @http("GET", "/api/v1/reports/rankings")
    @api
    def rankings(self, request):
        query = self._query(request, reporting_schemas.RankingQuery)
        return self._answer(self._call(self.reporting, "rankings", query))

    def _themes(self, request, view):
        query = self._query(request, reporting_schemas.ThemesQuery)
        level, key = query.get("level", "nation"), query.get("id")
        if level == "service_point":
            self._call(self.registry, "get_service_point", key)  # 404 for an unknown point
        elif level == "agency":
            self._call(self.registry, "get_agency", key)  # 404 for an unknown agency
        return self._answer(self._call(self.reporting, "themes", view, query))

    @http("GET", "/api/v1/reports/themes")
    @api
    def themes_report(self, request):
        return self._themes(request, "themes")

    @http("GET", "/api/v1/reports/themes/unhappy")
    @api
    def themes_unhappy(self, request):
        return self._themes(request, "unhappy")

    @http("GET", "/api/v1/reports/themes/rising")
    @api
    def themes_rising(self, request):
        return self._themes(request, "rising")

    @http("GET", "/api/v1/reports/zero-copy")
    @api
    def zero_copy_report(self, request):
        query = self._query(request, reporting_schemas.GroupedQuery)
        return self._answer(self._call(self.reporting, "zero_copy_progress", query))

    @http("GET", "/api/v1/reports/rollout")
    @api
    def rollout_report(self, request):
        query = self._query(request, reporting_schemas.RolloutQuery)
        return self._answer(self._call(self.reporting, "rollout", query))

    @http("GET", "/api/v1/reports/complaints/overdue")
    @api
    def overdue_complaints(self, request):
        token = self._token(request)
        query = self._query(request, reporting_schemas.OverdueQuery)
        return json_response(self._call(self.reporting, "overdue_complaints", token, query))

    @http("GET", "/api/v1/reports/alerts")
    @api
    def satisfaction_alerts(self, request):
        query = self._query(request, reporting_schemas.AlertsQuery)
        return json_response(self._call(self.reporting, "alerts", query))

    @http("POST", "/api/v1/admin/reports/recount")
    @api
    def recount(self, request):
        self._require_admin(request)
        # a recount reads every record of three services: longer than an RPC
        return json_response(rpc.call(self.reporting, "recount",
                                      timeout=get_float(self.config, "CFZ_RECOUNT_TIMEOUT")))

    @http("GET", "/api/v1/reports/service-points/<string:point_id>")
    @api
    def point_report(self, request, point_id):
        self._call(self.registry, "get_service_point", point_id)  # 404 for an unknown point
        return self._report(request, "service_point", point_id)

    @http("GET", "/api/v1/reports/agencies/<string:agency_id>")
    @api
    def agency_report(self, request, agency_id):
        self._call(self.registry, "get_agency", agency_id)  # 404 for an unknown agency
        return self._report(request, "agency", agency_id)

    @http("GET", "/api/v1/reports/provinces/<string:province_code>")
    @api
    def province_report(self, request, province_code):
        if thai.province(province_code) is None:
            raise validation_error({"province_code": ["Not an official province code."]})
        return self._report(request, "province", province_code)
