"""Every PromQL expression of the deployment files, to check them against a
real Prometheus (tests/deploy) and to read them in one place:

    python deploy/expressions.py            one line each: where<TAB>expr
    python deploy/expressions.py --json     [{"source", "name", "expr"}]

Alert and recording rules come from deploy/prometheus/rules/*.yml, panel
queries from deploy/grafana/dashboards/*.json (each target's `expr`, with
the dashboard's $__rate_interval and $__interval replaced by a fixed window
so the text is plain PromQL). Standard library and PyYAML only.
"""
import glob
import json
import os
import sys

import yaml

DEPLOY = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(DEPLOY, "prometheus", "rules", "*.yml")
DASHBOARDS = os.path.join(DEPLOY, "grafana", "dashboards", "*.json")
# what Grafana substitutes at query time; a fixed value makes the query runnable
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def rule_expressions(pattern=RULES):
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        for group in document.get("groups", []):
            for rule in group.get("rules", []):
                yield {"source": os.path.relpath(path, DEPLOY),
                       "name": rule.get("alert") or rule.get("record"),
                       "kind": "alert" if "alert" in rule else "record",
                       "expr": rule["expr"].strip(), "rule": rule}


def _panels(panels):
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # rows hold panels


def panel_expressions(pattern=DASHBOARDS, substitute=True):
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as handle:
            dashboard = json.load(handle)
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if not expr:
                    continue
                if substitute:
                    for variable, value in GRAFANA_VARIABLES.items():
                        expr = expr.replace(variable, value)
                yield {"source": os.path.relpath(path, DEPLOY),
                       "name": "{} / {}".format(dashboard.get("title"), panel.get("title")),
                       "kind": "panel", "expr": expr.strip(), "panel": panel,
                       "dashboard": dashboard}


def all_expressions():
    return list(rule_expressions()) + list(panel_expressions())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    found = [{"source": e["source"], "name": e["name"], "expr": e["expr"]}
             for e in all_expressions()]
    if "--json" in argv:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        for entry in found:
            print("{}: {}\t{}".format(entry["source"], entry["name"],
                                      " ".join(entry["expr"].split())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
