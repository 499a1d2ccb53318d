"""Gateway routes of the reporting service."""
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from services.common import thai
from services.common.errors import validation_error
from services.gateway.http import api, json_response, query_dict
from services.registry.schemas import load
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
]
CREATES = set()


class ReportingRoutes:
    reporting = RpcProxy("reporting")

    def _report(self, request, level, key):
        query = query_dict(request)
        load(reporting_schemas.ReportQuery, query)  # checked here, read by the service
        result = self._call(self.reporting, "report", level, key, query)
        if "csv" in result:
            return Response(result["csv"].encode("utf-8"), mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="{}"'.format(result["filename"])})
        return json_response(result)

    @http("GET", "/api/v1/reports/rankings")
    @api
    def rankings(self, request):
        query = query_dict(request)
        load(reporting_schemas.RankingQuery, query)
        return json_response(self._call(self.reporting, "rankings", query))

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
