"""Open data generation time and file sizes at N points (not a test).

    python -m bench.opendata                 # = --sizes 10000 100000
    python -m bench.opendata --sizes 1000

For each size: the points of bench/geodata.py (1-4 catalogue services each,
documents mostly declared) in the embedded store, then the registry's
generation as its timer runs it (services/registry/opendata.build, then
services/common/opendata_store.publish: raw and gzip chunks, the manifest),
timed separately; the sizes of every file, raw and gzipped; the largest
stored chunk document. Also a read of every chunk back, as the gateway
streams them.
"""
import argparse
import base64
import time

import bson

from bench import geodata
from services.common import opendata_store
from services.common.storage import ensure_indexes, get_client
from services.registry import opendata
from services.registry.store import RegistryStore


def run(n, seed=2569):
    db = get_client("mongomock://").get_database("bench_opendata_{}".format(n))
    db.client.drop_database(db.name)
    ensure_indexes(db, opendata_store.INDEXES)
    points = geodata.Points(n, seed)
    bundles = geodata.service_bundles(geodata.starter_catalogue_entries(), seed)
    db.agencies.insert_one({"_id": "ag-bench", "name_th": "หน่วยงานทดสอบ", "name_en": "Bench agency",
                            "ministry": "กระทรวงทดสอบ", "status": "approved"})
    registry_docs, _ = geodata.documents(points, "ag-bench", bundles)
    db.points.insert_many(registry_docs)
    started = time.perf_counter()
    files = opendata.build(RegistryStore(db))
    built = time.perf_counter()
    manifest = opendata_store.publish(db, files)
    stored = time.perf_counter()
    largest = max(len(bson.encode(doc)) for doc in db.open_data_chunks.find())
    view = opendata_store.manifest_view(db)
    read_started = time.perf_counter()
    for f in view["files"]:
        for index in range(f["gzip"]["chunks"]):
            base64.b64decode(opendata_store.chunk(db, view["generation"], f["name"], "gzip", index))
    read = time.perf_counter() - read_started
    print("\n{:,} points: build {:.1f} s, store (gzip + chunks) {:.1f} s, total {:.1f} s; "
          "largest chunk document {:,} bytes; reading every gzip chunk back {:.2f} s".format(
              n, built - started, stored - built, stored - started, largest, read))
    print("  {:<38} {:>12} {:>12}".format("file", "bytes", "gzip bytes"))
    for f in manifest["files"]:
        print("  {:<38} {:>12,} {:>12,}".format(f["name"], f["bytes"], f["gzip"]["bytes"]))
    db.client.drop_database(db.name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--seed", type=int, default=2569)
    args = parser.parse_args()
    for n in args.sizes:
        run(n, args.seed)


if __name__ == "__main__":
    main()
