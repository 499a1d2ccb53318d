"""Gateway routes of the reporting service."""
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.common import rpc, thai
from services.common.config import get_float
from services.common.errors import validation_error
from services.gateway.http import json_response, query_dict
from services.gateway.entrypoint import route
from services.common.schemas import load
from services.reporting import schemas as reporting_schemas


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

    @route("GET", "/api/v1/reports/rankings", tag="reports", query=reporting_schemas.RankingQuery,
           summary="Points, agencies or provinces by the small-sample-aware score; only "
                   "entries with enough ratings are ranked")
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

    @route("GET", "/api/v1/reports/themes", tag="reports", query=reporting_schemas.ThemesQuery,
           summary="Comment themes of a service point, agency, province or the nation over "
                   "[from, to]: terms and two-word phrases of published comments distinctive "
                   "against the rest of the country (Dunning's G², a minimum count), with "
                   "count, share, mean satisfaction and up to three examples")
    def themes_report(self, request):
        return self._themes(request, "themes")

    @route("GET", "/api/v1/reports/themes/unhappy", tag="reports",
           query=reporting_schemas.ThemesQuery,
           summary="What the unhappy say: themes of comments rated 1-2 against those rated 4-5 "
                   "in the same scope")
    def themes_unhappy(self, request):
        return self._themes(request, "unhappy")

    @route("GET", "/api/v1/reports/themes/rising", tag="reports",
           query=reporting_schemas.ThemesQuery,
           summary="Rising themes: this period against the one of equal length before it (G², "
                   "a minimum count)")
    def themes_rising(self, request):
        return self._themes(request, "rising")

    @route("GET", "/api/v1/reports/zero-copy", tag="reports", query=reporting_schemas.GroupedQuery,
           summary="Zero Copy progress per agency or province: services declaring no copy, "
                   "copies still demanded, citizen-reported breaches and the points where the "
                   "two disagree")
    def zero_copy_report(self, request):
        query = self._query(request, reporting_schemas.GroupedQuery)
        return self._answer(self._call(self.reporting, "zero_copy_progress", query))

    @route("GET", "/api/v1/reports/rollout", tag="reports", query=reporting_schemas.RolloutQuery,
           summary="Rollout per agency or province (pinned, surveyed, copies past their "
                   "planned end), laggards first; with `id`, that one's daily series")
    def rollout_report(self, request):
        query = self._query(request, reporting_schemas.RolloutQuery)
        return self._answer(self._call(self.reporting, "rollout", query))

    @route("GET", "/api/v1/reports/complaints/overdue", tag="reports", auth=True,
           query=reporting_schemas.OverdueQuery,
           summary="Open complaints past their SLA (officers: their own agency; "
                   "administrators: any level)")
    def overdue_complaints(self, request):
        token = self._token(request)
        query = self._query(request, reporting_schemas.OverdueQuery)
        return json_response(self._call(self.reporting, "overdue_complaints", token, query))

    @route("GET", "/api/v1/reports/alerts", tag="reports", query=reporting_schemas.AlertsQuery,
           summary="Satisfaction alerts: significant drops against a point's or agency's own "
                   "baseline")
    def satisfaction_alerts(self, request):
        query = self._query(request, reporting_schemas.AlertsQuery)
        return json_response(self._call(self.reporting, "alerts", query))

    @route("POST", "/api/v1/admin/reports/recount", tag="reports", auth=True,
           summary="Recount every aggregate from the source services and list the differences "
                   "from the incremental state (administrators)")
    def recount(self, request):
        self._require_admin(request)
        # a recount reads every record of three services: longer than an RPC
        return json_response(rpc.call(self.reporting, "recount",
                                      timeout=get_float(self.config, "CFZ_RECOUNT_TIMEOUT")))

    @route("GET", "/api/v1/reports/service-points/<string:point_id>", tag="reports",
           query=reporting_schemas.ReportQuery,
           summary="Satisfaction of a service point: count, CSAT with 95% interval, driver "
                   "means, small-sample-aware score, key drivers, Zero Copy breaches")
    def point_report(self, request, point_id):
        self._call(self.registry, "get_service_point", point_id)  # 404 for an unknown point
        return self._report(request, "service_point", point_id)

    @route("GET", "/api/v1/reports/agencies/<string:agency_id>", tag="reports",
           query=reporting_schemas.ReportQuery, summary="The same for an agency")
    def agency_report(self, request, agency_id):
        self._call(self.registry, "get_agency", agency_id)  # 404 for an unknown agency
        return self._report(request, "agency", agency_id)

    @route("GET", "/api/v1/reports/provinces/<string:province_code>", tag="reports",
           query=reporting_schemas.ReportQuery, summary="The same for a province")
    def province_report(self, request, province_code):
        if thai.province(province_code) is None:
            raise validation_error({"province_code": ["Not an official province code."]})
        return self._report(request, "province", province_code)
