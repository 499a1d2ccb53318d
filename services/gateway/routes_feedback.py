"""Gateway routes of the feedback service: ratings, comments, visit tokens,
QR codes for counters and the moderation queue."""
from marshmallow import ValidationError
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.common.errors import validation_error
from services.feedback import schemas as feedback_schemas
from services.gateway import qr
from services.gateway.http import api, json_response, query_dict
from services.gateway.webserver import http
from services.common.schemas import load

OPERATIONS = [
    ("get", "/api/v1/questionnaire", "The satisfaction questionnaire (Thai and English)",
     None, None, False, "feedback"),
    ("post", "/api/v1/service-points/{point_id}/feedback",
     "Rate a visit (Idempotency-Key header supported; visit_token makes it verified)",
     feedback_schemas.FeedbackSubmission, None, False, "feedback"),
    ("get", "/api/v1/service-points/{point_id}/feedback", "Published, redacted comments",
     None, feedback_schemas.PublicListQuery, False, "feedback"),
    ("post", "/api/v1/service-points/{point_id}/visit-tokens",
     "Exchange a counter QR code for a visit token (one device, one day)",
     feedback_schemas.VisitTokenRequest, None, False, "feedback"),
    ("get", "/api/v1/service-points/{point_id}/qr", "A counter or single-use QR code (officer)",
     None, feedback_schemas.QrQuery, True, "feedback"),
    ("get", "/api/v1/service-points/{point_id}/visit-tokens/status",
     "Whether a single-use code shown on a counter tablet has rated yet (officer)",
     None, feedback_schemas.VisitTokenStatusQuery, True, "feedback"),
    ("get", "/api/v1/moderation/feedback", "Comments waiting for moderation (officer)",
     None, feedback_schemas.ModerationQueueQuery, True, "feedback"),
    ("post", "/api/v1/feedback/{feedback_id}/moderation", "Publish or reject a comment (officer)",
     feedback_schemas.ModerationDecision, None, True, "feedback"),
]
CREATES = {("post", "/api/v1/service-points/{point_id}/feedback"),
           ("post", "/api/v1/service-points/{point_id}/visit-tokens")}


class FeedbackRoutes:
    feedback = RpcProxy("feedback")

    @http("GET", "/api/v1/questionnaire")
    @api
    def get_questionnaire(self, request):
        return json_response(self._call(self.feedback, "questionnaire"))

    @http("POST", "/api/v1/service-points/<string:point_id>/feedback")
    @api
    def submit_feedback(self, request, point_id):
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            try:
                feedback_schemas.IDEMPOTENCY_KEY(key)
            except ValidationError as exc:
                raise validation_error({"Idempotency-Key": exc.messages})
        data = self._body(request, feedback_schemas.FeedbackSubmission)
        result = self._call(self.feedback, "submit", point_id, data, key, self._client(request))
        headers = {"Idempotent-Replayed": "true"} if result.get("replayed") else None
        return json_response(result, 201, headers)

    @http("GET", "/api/v1/service-points/<string:point_id>/feedback")
    @api
    def list_feedback(self, request, point_id):
        query = load(feedback_schemas.PublicListQuery, query_dict(request))
        return json_response(self._call(self.feedback, "list_public", point_id, query))

    @http("POST", "/api/v1/service-points/<string:point_id>/visit-tokens")
    @api
    def visit_token(self, request, point_id):
        data = self._body(request, feedback_schemas.VisitTokenRequest)
        return json_response(self._call(self.feedback, "issue_visit_token", point_id, data,
                                        self._client(request)), 201)

    @http("GET", "/api/v1/service-points/<string:point_id>/visit-tokens/status")
    @api
    def visit_token_status(self, request, point_id):
        token = self._token(request)
        query = load(feedback_schemas.VisitTokenStatusQuery, query_dict(request))
        return json_response(self._call(self.feedback, "visit_token_status", token, point_id,
                                        query), headers={"Cache-Control": "no-store"})

    @http("GET", "/api/v1/service-points/<string:point_id>/qr")
    @api
    def qr_code(self, request, point_id):
        token = self._token(request)
        query = load(feedback_schemas.QrQuery, query_dict(request))
        target = self._call(self.feedback, "qr_target", token, point_id, query)
        image = qr.qr_image(target["url"], query["format"])
        mimetype = "image/svg+xml" if query["format"] == "svg" else "image/png"
        filename = "qr-{}-{}.{}".format(point_id, target["kind"], query["format"])
        return Response(image, mimetype=mimetype, headers={
            "Content-Disposition": 'inline; filename="{}"'.format(filename),
            "X-Feedback-Url": target["url"], "Cache-Control": "no-store"})

    @http("GET", "/api/v1/moderation/feedback")
    @api
    def moderation_queue(self, request):
        token = self._token(request)
        query = load(feedback_schemas.ModerationQueueQuery, query_dict(request))
        return json_response(self._call(self.feedback, "moderation_queue", token, query))

    @http("POST", "/api/v1/feedback/<string:feedback_id>/moderation")
    @api
    def moderate(self, request, feedback_id):
        token = self._token(request)
        data = self._body(request, feedback_schemas.ModerationDecision)
        return json_response(self._call(self.feedback, "moderate", token, feedback_id, data))
