"""Gateway routes of the feedback service: ratings, comments, visit tokens,
QR codes for counters and the moderation queue."""
from marshmallow import ValidationError
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.common.errors import validation_error
from services.feedback import schemas as feedback_schemas
from services.gateway import qr
from services.gateway.http import json_response, query_dict
from services.gateway.entrypoint import route
from services.common.schemas import load


class FeedbackRoutes:
    feedback = RpcProxy("feedback")

    @route("GET", "/api/v1/questionnaire", tag="feedback",
           summary="The satisfaction questionnaire (Thai and English)")
    def get_questionnaire(self, request):
        return json_response(self._call(self.feedback, "questionnaire"))

    @route("POST", "/api/v1/service-points/<string:point_id>/feedback", tag="feedback",
           creates=True, body=feedback_schemas.FeedbackSubmission,
           headers={"Idempotency-Key": "Retry safely: a repeat with the same key answers with "
                                       "the first rating (header Idempotent-Replayed: true); "
                                       "the same key with another rating is 409"},
           summary="Rate a visit (Idempotency-Key header supported; visit_token makes it "
                   "verified)")
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

    @route("GET", "/api/v1/service-points/<string:point_id>/feedback", tag="feedback",
           query=feedback_schemas.PublicListQuery, summary="Published, redacted comments")
    def list_feedback(self, request, point_id):
        query = load(feedback_schemas.PublicListQuery, query_dict(request))
        return json_response(self._call(self.feedback, "list_public", point_id, query))

    @route("POST", "/api/v1/service-points/<string:point_id>/visit-tokens", tag="feedback",
           creates=True, body=feedback_schemas.VisitTokenRequest,
           summary="Exchange a counter QR code for a visit token (one device, one day)")
    def visit_token(self, request, point_id):
        data = self._body(request, feedback_schemas.VisitTokenRequest)
        return json_response(self._call(self.feedback, "issue_visit_token", point_id, data,
                                        self._client(request)), 201)

    @route("GET", "/api/v1/service-points/<string:point_id>/visit-tokens/status", tag="feedback",
           auth=True, query=feedback_schemas.VisitTokenStatusQuery,
           summary="Whether a single-use code shown on a counter tablet has rated yet "
                   "(officer)")
    def visit_token_status(self, request, point_id):
        token = self._token(request)
        query = load(feedback_schemas.VisitTokenStatusQuery, query_dict(request))
        return json_response(self._call(self.feedback, "visit_token_status", token, point_id,
                                        query), headers={"Cache-Control": "no-store"})

    @route("GET", "/api/v1/service-points/<string:point_id>/qr", tag="feedback", auth=True,
           query=feedback_schemas.QrQuery, summary="A counter or single-use QR code (officer)")
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

    @route("GET", "/api/v1/moderation/feedback", tag="feedback", auth=True,
           query=feedback_schemas.ModerationQueueQuery,
           summary="Comments waiting for moderation (officer)")
    def moderation_queue(self, request):
        token = self._token(request)
        query = load(feedback_schemas.ModerationQueueQuery, query_dict(request))
        return json_response(self._call(self.feedback, "moderation_queue", token, query))

    @route("POST", "/api/v1/feedback/<string:feedback_id>/moderation", tag="feedback", auth=True,
           body=feedback_schemas.ModerationDecision,
           summary="Publish or reject a comment (officer)")
    def moderate(self, request, feedback_id):
        token = self._token(request)
        data = self._body(request, feedback_schemas.ModerationDecision)
        return json_response(self._call(self.feedback, "moderate", token, feedback_id, data))
