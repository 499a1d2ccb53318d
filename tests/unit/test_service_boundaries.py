"""Services share contracts, not code: nothing under services/<a>/ imports
services/<b>/ for two different services, so each can change alone. What
several need lives in services/common/.

The gateway is the edge: it validates a request with the owning service's
input schemas before calling it (README, Architecture), so it may import
`services.<service>.schemas` and nothing else of another service (the
Open311 adapter, once the one exception, answers through complaints' RPCs)."""
import ast
import pathlib

SERVICES = pathlib.Path(__file__).resolve().parents[2] / "services"
BACK_END = ("registry", "geo", "feedback", "complaints", "reporting")
GATEWAY_EXCEPTIONS = set()


def imports_of(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:  # `from services.x import schemas`
                yield "{}.{}".format(node.module, alias.name)


def foreign_imports(service):
    found = []
    for path in sorted((SERVICES / service).rglob("*.py")):
        for name in imports_of(path):
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "services" and parts[1] in BACK_END + ("gateway",) \
                    and parts[1] != service:
                found.append((str(path.relative_to(SERVICES.parent)), name))
    return found


def test_no_back_end_service_imports_another():
    found = [hit for service in BACK_END for hit in foreign_imports(service)]
    assert not found, found


def test_the_gateway_imports_only_the_services_input_schemas():
    allowed = {"services.{}".format(s) for s in BACK_END} | {
        "services.{}.schemas".format(s) for s in BACK_END} | GATEWAY_EXCEPTIONS
    found = [(path, name) for path, name in foreign_imports("gateway")
             if name not in allowed and not any(
                 name.startswith(a + ".") and a.endswith(".schemas") for a in allowed)]
    assert not found, found


def test_common_imports_no_service():
    assert foreign_imports("common") == []


# --- storage behind narrow repositories (ADR 12) ---------------------------------------
# Each service's persistence is `store.py` or a `store/` package, whose Repository the
# shell gets from a Storage provider as `self.storage`; no other module of
# the service issues a query. Services still on a bare Mongo `db`, to go:
NOT_YET_BEHIND_A_REPOSITORY = set()
COLLECTION_METHODS = {"find", "find_one", "insert_one", "insert_many", "update_one",
                      "update_many", "replace_one", "delete_one", "delete_many",
                      "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
                      "count_documents", "estimated_document_count", "aggregate", "bulk_write",
                      "create_index", "distinct", "drop"}


def _calls_and_attributes(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield node


def test_service_shells_reach_stored_data_only_through_their_repository():
    found = []
    for service in sorted(set(BACK_END) - NOT_YET_BEHIND_A_REPOSITORY):
        path = SERVICES / service / "service.py"
        text = path.read_text(encoding="utf-8")
        if "Mongo(" in text or "Storage(" not in text:
            found.append((service, "no Storage provider"))
        for node in _calls_and_attributes(path):
            if node.attr in ("db", "_db"):
                found.append((service, "service.py line {}: .{}".format(node.lineno, node.attr)))
    assert not found, found


def test_only_the_persistence_module_of_a_service_issues_queries():
    found = []
    for service in sorted(set(BACK_END) - NOT_YET_BEHIND_A_REPOSITORY):
        for path in sorted((SERVICES / service).rglob("*.py")):
            if path.name == "store.py" or path.parent.name == "store":
                continue
            for node in _calls_and_attributes(path):
                if node.attr in COLLECTION_METHODS | {"_db"}:
                    found.append(("{}:{}".format(path.relative_to(SERVICES.parent), node.lineno),
                                  node.attr))
    assert not found, found
