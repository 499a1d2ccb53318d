"""Gateway routes of the complaints service: filing and following a
complaint, the agency's handling, the relay's dead letters, and the Open311
GeoReport v2 server under /open311/v2/ (JSON, the spec's error array)."""
from nameko.rpc import RpcProxy

from services.common.config import get_int
from services.common.errors import (CfzError, Forbidden, NotFound, PayloadTooLarge,
                                    ValidationFailed)
from services.complaints import schemas as complaint_schemas
from services.gateway.http import json_response, query_dict
from services.gateway.entrypoint import route
from services.common.schemas import load

OPEN311 = "/open311/v2"


def open311_error_body(exc):
    """The spec's error array {code, description} for one of our errors,
    the field messages folded into the description."""
    description = exc.message
    fields = (exc.details or {}).get("fields")
    if fields:
        description += " " + "; ".join(
            "{}: {}".format(name, _flatten(messages)) for name, messages in sorted(fields.items()))
    return [{"code": exc.status, "description": description}]


def _flatten(messages):
    if isinstance(messages, dict):
        return "; ".join("{}: {}".format(k, _flatten(v)) for k, v in sorted(messages.items()))
    if isinstance(messages, list):
        return " ".join(_flatten(m) for m in messages)
    return str(messages)


def open311_errors(exc):
    """Errors of the Open311 routes as the spec's array of {code, description}
    (the route entrypoint logs what is not a CfzError)."""
    if isinstance(exc, CfzError):
        retry = exc.details.get("retry_after_seconds") if exc.status in (429, 503) else None
        return json_response(open311_error_body(exc), exc.status,
                             {"Retry-After": str(retry)} if retry else None)
    return json_response([{"code": 500, "description": "Something went wrong on our "
                           "side; it has been logged."}], 500)


class ComplaintsRoutes:
    complaints = RpcProxy("complaints")

    # --- citizens ------------------------------------------------------------------
    @route("GET", "/api/v1/complaint-categories", tag="complaints",
           summary="Complaint categories (Thai and English) with their SLA")
    def complaint_categories(self, request):
        return json_response({"results": self._call(self.complaints, "list_categories")})

    @route("POST", "/api/v1/complaints", tag="complaints", creates=True,
           body=complaint_schemas.ComplaintCreate,
           headers={"Idempotency-Key": "Retry safely: a repeat with the same key answers with "
                                       "the first complaint (header Idempotent-Replayed: true); "
                                       "the same key with another complaint is 409"},
           summary="File a complaint (send an Idempotency-Key header to make retries safe)")
    def file_complaint(self, request):
        key = complaint_schemas.idempotency_key(request.headers.get("Idempotency-Key"))
        data = self._body(request, complaint_schemas.ComplaintCreate)
        # the service validates again and calls the registry for the point
        result = self._call(self.complaints, "file_complaint", data, key, self._client(request))
        view = result["complaint"]
        headers = {"Location": "/api/v1/complaints/" + view["tracking_code"]}
        if not result["created"]:
            headers["Idempotent-Replayed"] = "true"
        return json_response(view, 201, headers)

    @route("GET", "/api/v1/complaints/<string:tracking_code>", tag="complaints",
           summary="Follow a complaint: status, history, PMOC reference, expected date")
    def get_complaint(self, request, tracking_code):
        return json_response(self._call(self.complaints, "get_by_tracking_code", tracking_code))

    @route("POST", "/api/v1/complaints/<string:tracking_code>/rating", tag="complaints",
           body=complaint_schemas.Rating, summary="Rate the resolution (1-5)")
    def rate_complaint(self, request, tracking_code):
        data = self._body(request, complaint_schemas.Rating)
        return json_response(self._call(self.complaints, "rate", tracking_code, data))

    @route("POST", "/api/v1/complaints/<string:tracking_code>/reopen", tag="complaints",
           body=complaint_schemas.Reopen,
           summary="Reopen a resolved complaint (once, within 30 days)")
    def reopen_complaint(self, request, tracking_code):
        data = self._body(request, complaint_schemas.Reopen)
        return json_response(self._call(self.complaints, "reopen", tracking_code, data))

    # --- agencies --------------------------------------------------------------
    @route("GET", "/api/v1/officer/complaints", tag="complaints", auth=True,
           query=complaint_schemas.OfficerQuery,
           summary="Complaints of the officer's agency (officer)")
    def officer_complaints(self, request):
        token = self._token(request)
        query = load(complaint_schemas.OfficerQuery, query_dict(request))
        return json_response(self._call(self.complaints, "list_for_agency", token, query))

    @route("GET", "/api/v1/officer/complaints/<string:complaint_id>", tag="complaints", auth=True,
           summary="One complaint with the complainant's contact unless anonymous (officer)")
    def officer_complaint(self, request, complaint_id):
        token = self._token(request)
        return json_response(self._call(self.complaints, "get_for_agency", token, complaint_id))

    @route("POST", "/api/v1/officer/complaints/<string:complaint_id>/status", tag="complaints",
           auth=True, body=complaint_schemas.StatusChange,
           summary="Accept, progress, resolve, reject or forward a complaint (officer of its "
                   "agency)")
    def change_complaint_status(self, request, complaint_id):
        token = self._token(request)
        data = self._body(request, complaint_schemas.StatusChange)
        return json_response(self._call(self.complaints, "change_status", token,
                                        complaint_id, data))

    # --- operators -------------------------------------------------------------
    @route("GET", "/api/v1/admin/complaints/relay", tag="complaints", auth=True,
           summary="Relay to PMOC: pending, relayed, dead letters (administrator)")
    def complaints_relay(self, request):
        token = self._token(request)
        return json_response(self._call(self.complaints, "relay_stats", token))

    @route("GET", "/api/v1/admin/complaints/dead-letters", tag="complaints", auth=True,
           summary="Complaints PMOC did not take, with the reason (administrator)")
    def complaints_dead_letters(self, request):
        token = self._token(request)
        query = load(complaint_schemas.OfficerQuery, query_dict(request))
        return json_response(self._call(self.complaints, "dead_letters", token,
                                        query["limit"], query["offset"]))

    @route("POST", "/api/v1/admin/complaints/dead-letters/retry", tag="complaints", auth=True,
           summary="Relay dead letters again: all, or the listed complaint_ids (administrator)")
    def complaints_retry(self, request):
        token = self._token(request)
        ids = None
        if request.content_length:
            ids = self._body(request, complaint_schemas.DeadLetterRetry).get("complaint_ids")
        return json_response(self._call(self.complaints, "retry_dead_letters", token, ids))

    # --- Open311 GeoReport v2 --------------------------------------------------------
    @route("GET", OPEN311 + "/discovery.json", errors=open311_errors)
    def open311_discovery(self, request):
        return json_response(self._call(self.complaints, "open311_discovery",
                                        request.host_url.rstrip("/") + OPEN311 + "/"))

    @route("GET", OPEN311 + "/services.json", errors=open311_errors)
    def open311_services(self, request):
        return json_response(self._call(self.complaints, "open311_services"))

    @route("GET", OPEN311 + "/services/<string:service_code>.json", errors=open311_errors)
    def open311_service(self, request, service_code):
        return json_response(self._call(self.complaints, "open311_service", service_code))

    @route("GET", OPEN311 + "/requests.json", errors=open311_errors)
    def open311_requests(self, request):
        # the complaints service checks the filters (open311.parse_query)
        return json_response(self._call(self.complaints, "open311_requests", query_dict(request)))

    @route("POST", OPEN311 + "/requests.json", errors=open311_errors)
    def open311_post(self, request):
        form = self._open311_form(request)
        keys = [k.strip() for k in self.config.get("CFZ_OPEN311_API_KEYS", "").split(",") if k.strip()]
        if keys and form.get("api_key") not in keys:
            raise Forbidden("Invalid or missing api_key.")
        key = complaint_schemas.idempotency_key(request.headers.get("Idempotency-Key"))
        return json_response(self._call(self.complaints, "open311_file", form, key,
                                        self._client(request)), 201)

    @route("GET", OPEN311 + "/requests/<string:request_id>.json", errors=open311_errors)
    def open311_request(self, request, request_id):
        return json_response(self._call(self.complaints, "open311_request", request_id))

    @route("GET,POST,PUT,PATCH,DELETE", OPEN311 + "/<path:rest>", errors=open311_errors)
    def open311_unknown(self, request, rest):
        raise NotFound("No resource {} {}/{} (this server answers JSON only: use .json)."
                       .format(request.method, OPEN311, rest[:100]))

    def _open311_form(self, request):
        max_bytes = get_int(self.config, "CFZ_MAX_BODY_BYTES")
        if request.content_length and request.content_length > max_bytes:
            raise PayloadTooLarge("The body is larger than {} bytes.".format(max_bytes))
        if (request.mimetype or "") == "application/json":
            data = self._json(request)
            return {k: v for k, v in data.items() if isinstance(v, str)}
        form = {}
        for key in request.form.keys():
            values = request.form.getlist(key)
            if len(values) > 1:
                raise ValidationFailed("Give each field once.",
                                       {"fields": {key: ["Given more than once."]}})
            form[key] = values[0]
        return form
