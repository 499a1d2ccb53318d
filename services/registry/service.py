"""registry: agencies, officers, service points, services offered, catalogue.

A thin nameko shell: input is validated with the same schemas the gateway
uses, then handed to the plain modules (accounts, points, catalogue, demo)
with the registry's repository (store.RegistryStore, ADR 12).
"""
import logging

from nameko.dependency_providers import Config

from services.common import events
from services.common.actor import Actor, require_system_admin
from services.common.config import get_bool, get_int
from services.common.demo import require_demo_data
from services.common.dependencies import PasswordHasher, ThailandOutline
from services.common.entrypoints import HealthMixin, event_handler, outbox_timer, rpc
from services.common.errors import NotFound
from services.common.fields import idempotency_key as idempotency_key_field
from services.common.metrics import Metrics
from services.common.outbox_publisher import OutboxPublisher
from services.common.opendata_service import OpenDataMixin
from services.common.storage import Storage
from services.registry import (accounts, audit, catalogue, demo, opendata, points, schemas,
                               store, throttle)

log = logging.getLogger(__name__)

INDEXES = store.INDEXES
OUTBOX_COLLECTIONS = ("points",)


def bootstrap(storage, container):
    """On start: the system administrator and the starter catalogue (first
    start), and a catalogue search index of this version (see
    catalogue.SEARCH_VERSION)."""
    config = container.config
    hasher = next(d for d in container.dependencies if isinstance(d, PasswordHasher))
    if accounts.ensure_admin(storage, hasher.passwords, config["CFZ_ADMIN_USERNAME"],
                             config["CFZ_ADMIN_PASSWORD"]):
        log.info("created system administrator %r", config["CFZ_ADMIN_USERNAME"])
    if get_bool(config, "CFZ_STARTER_CATALOGUE"):
        result = catalogue.load_starter(storage)
        if result:
            log.info("imported starter catalogue: %s entries", result["total"])
    reindexed = catalogue.reindex(storage)
    if reindexed:
        log.info("rebuilt the search index of %s catalogue entries", reindexed)




class RegistryService(OpenDataMixin, HealthMixin):
    name = "registry"

    storage = Storage(store.RegistryStore, indexes=INDEXES, on_start=bootstrap)
    passwords = PasswordHasher()
    outline = ThailandOutline()
    config = Config()
    # publishes each write's events at once; the timer below, what is left
    outbox_publisher = OutboxPublisher(*OUTBOX_COLLECTIONS)
    metrics = Metrics()

    def _actor(self, token):
        """Who is calling: RPC callers pass the bearer token they were
        given, and the registry checks it itself rather than trusting a
        caller's claim (the broker is not the only line of defence),
        including that its account has not been disabled since."""
        return Actor.from_claims(self._claims(token))

    def _claims(self, token):
        return accounts.verify_actor(self.storage, self.config["CFZ_JWT_SECRET"], token)

    # --- agencies and accounts -------------------------------------------
    @rpc
    def register_agency(self, data, client=None):
        """`client`: the gateway's client id; internal callers share one."""
        data = schemas.load(schemas.AgencyRegistration, data)
        self.storage.hit_rate_limit("registration", client or "internal",
                                    self.config["CFZ_REGISTRATION_RATE_LIMIT"],
                                    what="registrations")
        return accounts.register_agency(self.storage, self.passwords, data)

    @rpc
    def approve_agency(self, token, agency_id):
        result = accounts.approve_agency(self.storage, self._actor(token), agency_id)
        self.storage.mark_open_data_dirty()
        return result

    @rpc
    def reject_agency(self, token, agency_id, data):
        actor = self._actor(token)
        data = schemas.load(schemas.AgencyRejection, data)
        return accounts.reject_agency(self.storage, actor, agency_id, data["reason"])

    @rpc
    def check_token(self, token):
        """The token's claims if its account still honours it (for the
        gateway, which checks every token here before it is used)."""
        return self._claims(token)

    @rpc
    def disable_account(self, token, account_id):
        return accounts.disable_account(self.storage, self._actor(token), account_id)

    @rpc
    def list_officers(self, token, agency_id):
        return accounts.list_officers(self.storage, self._actor(token), agency_id)

    @rpc
    def audit_trail(self, token, agency_id, query=None):
        actor = self._actor(token)
        query = schemas.load(schemas.AuditQuery, query or {})
        return accounts.audit_trail(self.storage, actor, agency_id, query)

    # Other services' changes to public information, kept in the same
    # trail from their events (who, when, before, after; once per event).
    @event_handler("feedback", "feedback_moderated")
    def on_feedback_moderated(self, payload):
        audit.record_entry(self.storage, audit.moderation_entry(
            events.parse_event("feedback_moderated", payload)))

    @event_handler("complaints", "complaint_status_changed")
    def on_complaint_status_changed(self, payload):
        audit.record_entry(self.storage, audit.complaint_status_entry(
            events.parse_event("complaint_status_changed", payload)))

    @rpc
    def list_agencies(self, token, status=None):
        return accounts.list_agencies(self.storage, self._actor(token), status)

    @rpc
    def get_agency(self, agency_id):
        return accounts.agency_view(accounts.get_agency(self.storage, agency_id))

    @rpc
    def authenticate(self, username, password, client=None):
        """`client`: the gateway's client id (internal callers share one)."""
        data = schemas.load(schemas.TokenRequest, {"username": username, "password": password})
        return accounts.authenticate(self.storage, self.passwords, self.config["CFZ_JWT_SECRET"],
                                     get_int(self.config, "CFZ_TOKEN_TTL_SECONDS"),
                                     data["username"], data["password"], client,
                                     throttle.settings(self.config))

    @rpc
    def add_officer(self, token, agency_id, data):
        return accounts.add_officer(self.storage, self.passwords, self._actor(token), agency_id,
                                    schemas.load(schemas.OfficerCreate, data))

    # --- service points ----------------------------------------------------
    @rpc
    def create_service_point(self, token, data, agency_id=None, idempotency_key=None):
        actor = self._actor(token)
        key = idempotency_key_field(idempotency_key)
        data = schemas.load(schemas.ServicePointCreate, data)
        result = points.create(self.storage, actor, data, agency_id=agency_id, idempotency_key=key)
        self.storage.mark_open_data_dirty()
        return result

    @rpc
    def get_service_point(self, point_id):
        return points.point_view(points.get(self.storage, point_id))

    @rpc
    def list_service_points(self, query=None):
        return points.list_points(self.storage,
                                  schemas.load(schemas.ServicePointQuery, query or {}))

    @rpc
    def update_service_point(self, token, point_id, data):
        result = points.update(self.storage, self._actor(token), point_id,
                               schemas.load(schemas.ServicePointUpdate, data))
        self.storage.mark_open_data_dirty()
        return result

    @rpc
    def close_service_point(self, token, point_id):
        result = points.close(self.storage, self._actor(token), point_id)
        self.storage.mark_open_data_dirty()
        return result

    @rpc
    def set_services(self, token, point_id, declaration):
        result = points.set_services(self.storage, self._actor(token), point_id,
                                     schemas.load(schemas.ServicesDeclaration, declaration))
        self.storage.mark_open_data_dirty()
        return result

    @rpc
    def open_points(self, after_id=None, limit=1000):
        """Every open point's event payload, paged by id (for resync)."""
        return points.all_open_points(self.storage, after_id, min(int(limit), 5000))

    @rpc
    def coverage(self, group_by="province"):
        query = schemas.load(schemas.CoverageQuery, {"group_by": group_by})
        return points.coverage(self.storage, query["group_by"])

    # --- catalogue ---------------------------------------------------------
    @rpc
    def search_catalogue(self, q="", limit=20):
        query = schemas.load(schemas.CatalogueQuery, {"q": q, "limit": limit})
        return catalogue.search(self.storage, query["q"], query["limit"])

    @rpc
    def get_catalogue_entry(self, service_code):
        entry = catalogue.get_entries(self.storage, [service_code]).get(service_code)
        if entry is None:
            raise NotFound("No such service in the catalogue.", {"service_code": service_code})
        return catalogue.entry_view(entry)

    @rpc
    def import_catalogue(self, token, payload):
        require_system_admin(self._actor(token))
        return catalogue.import_entries(self.storage, payload)

    # --- demo data and outbox ---------------------------------------------
    @rpc
    def load_demo(self):
        require_demo_data(self.config)
        result = demo.load(self.storage, self.passwords)
        self.storage.mark_open_data_dirty()
        return result

    # --- open data (docs/adr/0007-open-data.md) ----------------------------
    def open_data_files(self):
        """The register of open points as open data (services/registry/opendata.py)."""
        return opendata.build(self.storage)

    @outbox_timer()
    def publish_outbox(self):
        return self.outbox_publisher.publish_pending()
